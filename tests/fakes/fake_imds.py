"""A fake EC2 instance metadata service (IMDSv2 only), as strict as the real one.

PUT /latest/api/token needs X-aws-ec2-metadata-token-ttl-seconds (1..21600)
and answers a fresh token; every GET under /latest/ needs a current token in
X-aws-ec2-metadata-token, else 401 (IMDSv1 requests are refused, as on an
instance with HttpTokens=required). It serves the items the agent reads:

    meta-data/instance-id, meta-data/placement/region, meta-data/public-ipv4
    (404 when the instance has no public address),
    meta-data/iam/security-credentials/ (the role name) and .../<role> (JSON)

Runs in a thread of the test process:
    imds = FakeIMDS(instance_id="i-0abc", region="eu-north-1"); imds.start()
    ... imds.endpoint ... imds.requests ... imds.stop()
"""
import json
import secrets
import threading

import fake_ec2
from fakeserver import FakeHandler, FakeService


class FakeIMDS(FakeService):
    def __init__(self, instance_id="i-0123456789abcdef0", region="eu-north-1", public_ipv4="203.0.113.7",
                 role="sigrun-world", access_key=fake_ec2.ACCESS_KEY, secret_key=fake_ec2.SECRET_KEY,
                 token=fake_ec2.SESSION_TOKEN, host="127.0.0.1"):
        super().__init__(host)
        self.instance_id = instance_id
        self.region = region
        self.public_ipv4 = public_ipv4
        self.role = role
        self.access_key = access_key
        self.secret_key = secret_key
        self.session_token = token
        self.tokens = set()
        self.requests = []       # (method, path, status) of every request
        self.fail_status = None  # answer every request with this status while set
        self._lock = threading.Lock()

    @property
    def endpoint(self):
        return self.origin

    def paths(self, method=None):
        return [p for m, p, _ in self.requests if method is None or m == method]

    def _items(self):
        items = {
            "/latest/meta-data/instance-id": self.instance_id,
            "/latest/meta-data/placement/region": self.region,
        }
        if self.public_ipv4:
            items["/latest/meta-data/public-ipv4"] = self.public_ipv4
        if self.role:
            items["/latest/meta-data/iam/security-credentials/"] = self.role
            items[f"/latest/meta-data/iam/security-credentials/{self.role}"] = json.dumps({
                "Code": "Success",
                "LastUpdated": "2026-12-04T15:00:00Z",
                "Type": "AWS-HMAC",
                "AccessKeyId": self.access_key,
                "SecretAccessKey": self.secret_key,
                "Token": self.session_token,
                "Expiration": "2099-12-04T21:00:00Z",
            }, indent=2)
        return items

    def _answer(self, method, path, headers):
        if self.fail_status:
            return self.fail_status, "failing on purpose"
        if path == "/latest/api/token":
            if method != "PUT":
                return 405, ""
            if headers.get("X-Forwarded-For"):
                return 403, ""  # IMDS refuses proxied token requests
            try:
                ttl = int(headers.get("X-aws-ec2-metadata-token-ttl-seconds", ""))
            except ValueError:
                return 400, "missing or invalid TTL"
            if not 1 <= ttl <= 21600:
                return 400, "invalid TTL"
            token = secrets.token_urlsafe(32)
            self.tokens.add(token)
            return 200, token
        if method != "GET":
            return 405, ""
        if headers.get("X-aws-ec2-metadata-token") not in self.tokens:
            return 401, ""
        body = self._items().get(path)
        if body is None:
            return 404, "Not Found"
        return 200, body

    class Handler(FakeHandler):
        def _serve(self):
            fake = self.fake
            self.body()  # read and dropped: the next request on the connection starts after it
            with fake._lock:
                status, body = fake._answer(self.command, self.path, self.headers)
                fake.requests.append((self.command, self.path, status))
            self.reply(status, body.encode(), content_type="text/plain")

        do_GET = do_PUT = do_POST = _serve

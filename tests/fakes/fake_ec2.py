"""A fake EC2 Query endpoint that checks what EC2 checks.

Every request must carry a SigV4 signature that botocore's own signer
(botocore.auth.SigV4Auth) reproduces over the received method, path, signed
headers and body, with the timestamp the request was signed at; the
credential scope must name the configured region and "ec2"; a session token,
when the credentials have one, must be present and signed. Anything else gets
EC2's AuthFailure / SignatureDoesNotMatch error document.

It keeps instance state (pending -> running, running -> stopping -> stopped)
and tags, answers DescribeInstances (tag-key filter), StartInstances and
StopInstances, and fails on demand (IncorrectInstanceState follows from the
state; UnauthorizedOperation, RequestLimitExceeded or a slow answer through
fail_next()/delay).

Runs in a thread of the test process:
    ec2 = FakeEC2(region="eu-north-1"); ec2.start(); ...; ec2.stop()
"""
import datetime
import threading
import time
import urllib.parse
from xml.sax.saxutils import escape

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from fakeserver import FakeHandler, FakeService

NS = "http://ec2.amazonaws.com/doc/2016-11-15/"
STATE_CODES = {"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48,
               "stopping": 64, "stopped": 80}

ACCESS_KEY = "AKIDSIGRUNTEST0000001"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSIGRUNKEY"
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEJr//////////wEaCXNpZ3J1bi10ZXN0"


class Instance:
    def __init__(self, instance_id, state, ip, tags, launch_time):
        self.instance_id = instance_id
        self.state = state
        self.ip = ip
        self.tags = dict(tags)
        self.launch_time = launch_time


class FakeEC2(FakeService):
    def __init__(self, region="eu-north-1", access_key=ACCESS_KEY, secret_key=SECRET_KEY,
                 token=SESSION_TOKEN, host="127.0.0.1"):
        super().__init__(host)
        self.region = region
        self.credentials = {access_key: (secret_key, token)}
        self.instances = {}
        self.calls = []          # (action, params) of every authenticated call
        self.auth_failures = []  # reasons for refused signatures
        self.errors = {}         # action -> [(status, code, message)], consumed in order
        self.delay = 0.0
        self.auto_running_after = None  # seconds pending -> running, None = never
        self._lock = threading.Lock()

    # ---- test control ----
    def add_instance(self, instance_id, state="stopped", ip=None, tags=None, world=None,
                     tag_key="sigrun:world"):
        tags = dict(tags or {})
        if world is not None:
            tags[tag_key] = world
        inst = Instance(instance_id, state, ip, tags, "2026-12-04T15:00:00.000Z")
        self.instances[instance_id] = inst
        return inst

    def fail_next(self, action, code, status=400, message=None):
        self.errors.setdefault(action, []).append((status, code, message or f"fake {code}"))

    def actions(self):
        return [a for a, _ in self.calls]

    @property
    def endpoint(self):
        return f"{self.origin}/"

    class Handler(FakeHandler):
        def do_POST(self):
            status, xml = self.fake._handle(self, self.body())
            if self.fake.delay:
                time.sleep(self.fake.delay)
            self.reply(status, xml.encode(), content_type="text/xml;charset=UTF-8")

        def do_GET(self):
            self.reply(400)

    # ---- request handling ----
    def _verify(self, handler, body):
        auth = handler.headers.get("Authorization", "")
        if not auth.startswith("AWS4-HMAC-SHA256 "):
            return "missing or non-SigV4 Authorization"
        fields = {}
        for part in auth[len("AWS4-HMAC-SHA256 "):].split(","):
            k, _, v = part.strip().partition("=")
            fields[k] = v
        try:
            key, date, region, service, term = fields["Credential"].split("/")
            signed = fields["SignedHeaders"].split(";")
            signature = fields["Signature"]
        except (KeyError, ValueError):
            return "malformed Authorization"
        if key not in self.credentials:
            return f"unknown access key {key}"
        secret, token = self.credentials[key]
        if (region, service, term) != (self.region, "ec2", "aws4_request"):
            return f"wrong scope {region}/{service}/{term}"
        amz_date = handler.headers.get("X-Amz-Date")
        if not amz_date or amz_date[:8] != date:
            return "missing X-Amz-Date or scope date mismatch"
        when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
        if abs((datetime.datetime.now(datetime.timezone.utc) - when).total_seconds()) > 300:
            return "request time too skewed"
        for required in ("host", "x-amz-date"):
            if required not in signed:
                return f"{required} not signed"
        if token:
            if handler.headers.get("X-Amz-Security-Token") != token:
                return "missing or wrong X-Amz-Security-Token"
            if "x-amz-security-token" not in signed:
                return "X-Amz-Security-Token not signed"
        elif "X-Amz-Security-Token" in handler.headers or "x-amz-security-token" in signed:
            return "X-Amz-Security-Token with long-term credentials"
        headers = {}
        for name in signed:
            values = handler.headers.get_all(name)
            if values is None:
                return f"signed header {name} was not sent"
            headers[name] = ",".join(values)
        url = f"http://{handler.headers.get('Host')}{handler.path}"
        req = AWSRequest(method=handler.command, url=url, headers=headers, data=body)
        req.context["timestamp"] = amz_date
        signer = SigV4Auth(Credentials(key, secret, token), "ec2", self.region)
        canonical = signer.canonical_request(req)
        expected = signer.signature(signer.string_to_sign(req, canonical), req)
        if expected != signature:
            return "signature mismatch; canonical request was:\n" + canonical
        return None

    def _handle(self, handler, body):
        with self._lock:
            reason = self._verify(handler, body)
            if reason:
                self.auth_failures.append(reason)
                return 401, error_xml("AuthFailure", "AWS was not able to validate the provided access credentials")
            if handler.headers.get("Content-Type", "").split(";")[0] != "application/x-www-form-urlencoded":
                return 400, error_xml("InvalidParameterValue", "form body expected")
            params = dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=False))
            action = params.get("Action", "")
            self.calls.append((action, params))
            if params.get("Version") != "2016-11-15":
                return 400, error_xml("InvalidParameterValue", "Version must be 2016-11-15")
            queued = self.errors.get(action)
            if queued:
                status, code, message = queued.pop(0)
                return status, error_xml(code, message)
            self._advance()
            if action == "DescribeInstances":
                return self._describe(params)
            if action in ("StartInstances", "StopInstances"):
                return self._change(action, params)
            return 400, error_xml("InvalidAction", f"The action {action} is not valid for this web service.")

    def _advance(self):
        now = time.monotonic()
        for inst in self.instances.values():
            since = getattr(inst, "pending_since", None)
            if inst.state == "pending" and since is not None and self.auto_running_after is not None \
                    and now - since >= self.auto_running_after:
                inst.state = "running"

    def _describe(self, params):
        if params.get("Filter.1.Name") not in (None, "tag-key"):
            return 400, error_xml("InvalidParameterValue", "only tag-key filters are faked")
        key = params.get("Filter.1.Value.1")
        items = []
        for inst in self.instances.values():
            if key is not None and key not in inst.tags:
                continue
            tags = "".join(f"<item><key>{escape(k)}</key><value>{escape(v)}</value></item>"
                           for k, v in inst.tags.items())
            ip = f"<ipAddress>{inst.ip}</ipAddress>" if inst.ip and inst.state == "running" else ""
            items.append(
                f"<item><reservationId>r-{inst.instance_id[2:]}</reservationId><ownerId>123456789012</ownerId>"
                f"<groupSet/><instancesSet><item><instanceId>{inst.instance_id}</instanceId>"
                f"<imageId>ami-0123456789abcdef0</imageId>"
                f"<instanceState><code>{STATE_CODES[inst.state]}</code><name>{inst.state}</name></instanceState>"
                f"<privateDnsName>ip-10-0-0-1.ec2.internal</privateDnsName><dnsName/>"
                f"<launchTime>{inst.launch_time}</launchTime>{ip}"
                f"<tagSet>{tags}</tagSet></item></instancesSet></item>")
        return 200, (f'<?xml version="1.0" encoding="UTF-8"?>\n<DescribeInstancesResponse xmlns="{NS}">'
                     f"<requestId>00000000-0000-0000-0000-000000000000</requestId>"
                     f"<reservationSet>{''.join(items)}</reservationSet></DescribeInstancesResponse>")

    def _change(self, action, params):
        iid = params.get("InstanceId.1")
        inst = self.instances.get(iid)
        if inst is None:
            return 400, error_xml("InvalidInstanceID.NotFound", f"The instance ID '{iid}' does not exist")
        prev = inst.state
        if action == "StartInstances":
            if prev == "stopped":
                inst.state = "pending"
                inst.pending_since = time.monotonic()
            elif prev not in ("pending", "running"):
                return 400, error_xml("IncorrectInstanceState",
                                      f"The instance '{iid}' is not in a state from which it can be started.")
        else:
            if prev == "running":
                inst.state = "stopping"
            elif prev not in ("stopping", "stopped"):
                return 400, error_xml("IncorrectInstanceState",
                                      f"The instance '{iid}' is not in a state from which it can be stopped.")
        tag = "StartInstancesResponse" if action == "StartInstances" else "StopInstancesResponse"
        return 200, (f'<?xml version="1.0" encoding="UTF-8"?>\n<{tag} xmlns="{NS}"><requestId>r</requestId>'
                     f"<instancesSet><item><instanceId>{iid}</instanceId>"
                     f"<currentState><code>{STATE_CODES[inst.state]}</code><name>{inst.state}</name></currentState>"
                     f"<previousState><code>{STATE_CODES[prev]}</code><name>{prev}</name></previousState>"
                     f"</item></instancesSet></{tag}>")


def error_xml(code, message):
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>{escape(code)}</Code>'
            f"<Message>{escape(message)}</Message></Error></Errors>"
            f"<RequestID>00000000-0000-0000-0000-000000000001</RequestID></Response>")

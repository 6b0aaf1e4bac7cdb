"""Helpers for the Lambda tests: Discord-signed function URL events, and a
bootstrap process wired to the fake runtime API, EC2 and agent."""
import base64
import json
import os
import pathlib
import subprocess
import sys
import time

import nacl.signing

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "fakes"))

from fake_agent import FakeAgent  # noqa: E402
from fake_ec2 import ACCESS_KEY, SECRET_KEY, SESSION_TOKEN, FakeEC2  # noqa: E402
from fake_lambda_runtime import FakeLambdaRuntime  # noqa: E402

# A fixed application key pair; the tests sign like Discord does.
SIGNING_KEY = nacl.signing.SigningKey(bytes(range(32)))
PUBLIC_KEY_HEX = SIGNING_KEY.verify_key.encode().hex()
AGENT_KEY_HEX = "5f" * 32
REGION = "eu-north-1"


def function_url_event(body, *, ts=None, key=SIGNING_KEY, b64=False, signature=None, headers=None,
                       method="POST"):
    body = body if isinstance(body, bytes) else json.dumps(body).encode()
    ts = ts if ts is not None else str(int(time.time()))
    if signature is None:
        signature = key.sign(ts.encode() + body).signature.hex()
    h = {"content-type": "application/json", "host": "abcdef.lambda-url.eu-north-1.on.aws",
         "user-agent": "Discord-Interactions/1.0 (+https://discord.com)"}
    if signature is not False:
        h["x-signature-ed25519"] = signature
    if ts is not False:
        h["x-signature-timestamp"] = ts
    h.update(headers or {})
    return {
        "version": "2.0", "routeKey": "$default", "rawPath": "/", "rawQueryString": "",
        "headers": h,
        "requestContext": {"accountId": "anonymous", "apiId": "abcdef", "domainName": h["host"],
                           "http": {"method": method, "path": "/", "protocol": "HTTP/1.1",
                                    "sourceIp": "203.0.113.1", "userAgent": h["user-agent"]},
                           "requestId": "r", "routeKey": "$default", "stage": "$default",
                           "time": "04/Dec/2026:15:00:00 +0000", "timeEpoch": int(time.time() * 1000)},
        "body": base64.b64encode(body).decode() if b64 else body.decode("latin-1"),
        "isBase64Encoded": b64,
    }


def interaction(name, options=None, roles=(), type_=2, user="100000000000000001"):
    data = {"id": "200000000000000002", "name": name, "type": 1}
    if options is not None:
        data["options"] = options
    return {"type": type_, "id": "300000000000000003", "application_id": "400000000000000004",
            "token": "interaction-token", "version": 1, "guild_id": "500000000000000005",
            "channel_id": "600000000000000006", "data": data,
            "member": {"user": {"id": user, "username": "ragnar", "discriminator": "0"},
                       "roles": list(roles), "permissions": "0"}}


def world(name):
    return {"type": 3, "name": "world", "value": name}


class Harness:
    """The fakes plus one bootstrap process."""

    def __init__(self, builddir, binary=None, env=None, agent_players=("Ragnar", "Freya"), ec2_token=SESSION_TOKEN):
        self.ec2 = FakeEC2(region=REGION, token=ec2_token).start()
        self.agent = FakeAgent(AGENT_KEY_HEX, players=agent_players).start()
        self.runtime = FakeLambdaRuntime().start()
        self.env = {
            "PATH": "/usr/bin:/bin",
            "AWS_LAMBDA_RUNTIME_API": self.runtime.address,
            "DISCORD_PUBLIC_KEY": PUBLIC_KEY_HEX,
            "DISCORD_APPLICATION_ID": "400000000000000004",
            "SIGRUN_AGENT_KEY": AGENT_KEY_HEX,
            "SIGRUN_AGENT_PORT": str(self.agent.port),
            "AWS_REGION": REGION,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_SESSION_TOKEN": SESSION_TOKEN,
            "AWS_ENDPOINT_URL_EC2": self.ec2.endpoint,
            "HOME": "/nonexistent",
        }
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                self.env[k] = os.environ[k]
        self.env.update(env or {})
        self.env = {k: v for k, v in self.env.items() if v is not None}
        self.binary = binary or [str(pathlib.Path(builddir) / "lambda" / "bootstrap")]
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(self.binary, env=self.env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        return self

    def call(self, body, **kw):
        """Invoke with a signed event; return (statusCode, parsed body or raw)."""
        kind, res = self.runtime.invoke(function_url_event(body, **kw))
        assert kind == "response", res
        assert res["headers"]["content-type"] == "application/json"
        try:
            return res["statusCode"], json.loads(res["body"])
        except ValueError:
            return res["statusCode"], res["body"]

    def command(self, name, options=None, roles=()):
        status, body = self.call(interaction(name, options, roles))
        assert status == 200, body
        assert body["type"] == 4
        return body["data"]

    def stop(self):
        """Stop the runtime API first: bootstrap's `next` then fails and it
        exits by itself, through its cleanup (so LeakSanitizer gets to look)."""
        err = b""
        self.runtime.stop()
        if self.proc:
            try:
                _, err = self.proc.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                _, err = self.proc.communicate()
        self.agent.stop()
        self.ec2.stop()
        return err.decode(errors="replace")


def embed(data):
    assert len(data["embeds"]) == 1
    return data["embeds"][0]


def field(data, name):
    for f in embed(data).get("fields", []):
        if f["name"] == name:
            return f["value"]
    return None


def ephemeral(data):
    return data.get("flags", 0) & 64 == 64

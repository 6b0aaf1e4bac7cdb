#!/usr/bin/python3
"""The Python peer for bench-lambda.sh: the same Lambda flow as
lambda/bootstrap, written the way the first version of the bot was (PyNaCl
for the signature, boto3 for EC2, urllib for the agent and the runtime API).
Only PING and server-status: enough to compare cold start and warm latency.
"""
import base64
import json
import os
import urllib.request

import boto3
import nacl.exceptions
import nacl.signing

API = f"http://{os.environ['AWS_LAMBDA_RUNTIME_API']}/2018-06-01"
VERIFY = nacl.signing.VerifyKey(bytes.fromhex(os.environ["DISCORD_PUBLIC_KEY"]))
TAG = os.environ.get("SIGRUN_WORLD_TAG", "sigrun:world")
PORT = int(os.environ.get("SIGRUN_AGENT_PORT", "8456"))
ec2 = boto3.client("ec2", region_name=os.environ["AWS_REGION"],
                   endpoint_url=os.environ.get("AWS_ENDPOINT_URL_EC2"))


def respond(status, body):
    return {"statusCode": status, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}


def handle(event):
    body = event.get("body") or ""
    raw = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()
    h = event.get("headers", {})
    try:
        VERIFY.verify(h.get("x-signature-timestamp", "").encode() + raw,
                      bytes.fromhex(h.get("x-signature-ed25519", "")))
    except (nacl.exceptions.BadSignatureError, ValueError):
        return respond(401, {"error": "invalid request signature"})
    inter = json.loads(raw)
    if inter["type"] == 1:
        return respond(200, {"type": 1})
    res = ec2.describe_instances(Filters=[{"Name": "tag-key", "Values": [TAG]}])
    inst = res["Reservations"][0]["Instances"][0]
    world = next(t["Value"] for t in inst["Tags"] if t["Key"] == TAG)
    state = inst["State"]["Name"]
    fields = []
    if state == "running":
        ip = inst["PublicIpAddress"]
        with urllib.request.urlopen(f"http://{ip}:{PORT}/v1/status", timeout=2) as r:
            st = json.load(r)
        fields = [{"name": "Address", "value": f"`{ip}:2456`"}, {"name": "Players", "value": str(st["players"])}]
    return respond(200, {"type": 4, "data": {"embeds": [{"title": f"{world} is {state}", "fields": fields}]}})


while True:
    with urllib.request.urlopen(f"{API}/runtime/invocation/next") as r:
        rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.load(r)
    out = json.dumps(handle(event)).encode()
    req = urllib.request.Request(f"{API}/runtime/invocation/{rid}/response", data=out, method="POST")
    urllib.request.urlopen(req).read()

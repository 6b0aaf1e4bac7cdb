#!/usr/bin/python3
"""Benchmark of lambda/bootstrap against the local fakes, side by side with
the Python peer (peer_lambda.py: PyNaCl + boto3): cold start (process start
to the first answered PING), warm server-status latency, peak RSS, zip size.
Run through tests/bench/bench-lambda.sh."""
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "integration"))
from lambdactl import Harness, function_url_event, interaction  # noqa: E402

COLD_RUNS = int(os.environ.get("COLD_RUNS", "10"))
WARM_RUNS = int(os.environ.get("WARM_RUNS", "200"))


def peak_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def measure(builddir, binary):
    cold = []
    for _ in range(COLD_RUNS):
        h = Harness(builddir, binary=binary)
        h.ec2.add_instance("i-0aaa", state="running", ip="127.0.0.1", world="Midgard")
        rid = None
        t0 = time.perf_counter()
        h.start()
        rid = h.runtime.queue_event(function_url_event({"type": 1}))
        kind, body, _ = h.runtime.wait_result(rid, timeout=60)
        cold.append(time.perf_counter() - t0)
        assert kind == "response" and json.loads(json.loads(body)["body"]) == {"type": 1}, body
        h.stop()

    h = Harness(builddir, binary=binary)
    h.ec2.add_instance("i-0aaa", state="running", ip="127.0.0.1", world="Midgard")
    h.start()
    h.call({"type": 1})
    warm = []
    for _ in range(WARM_RUNS):
        t0 = time.perf_counter()
        status, data = h.call(interaction("server-status"))
        warm.append(time.perf_counter() - t0)
        assert status == 200 and data["data"]["embeds"][0]["title"] == "Midgard is running", data
    rss = peak_rss_kib(h.proc.pid)
    h.stop()
    assert not h.ec2.auth_failures, h.ec2.auth_failures
    warm.sort()
    return {
        "cold_median_ms": statistics.median(cold) * 1000,
        "warm_p50_ms": warm[len(warm) // 2] * 1000,
        "warm_p99_ms": warm[int(len(warm) * 0.99) - 1] * 1000,
        "peak_rss_mib": rss / 1024,
    }


def main():
    builddir = pathlib.Path(sys.argv[1])
    srcdir = HERE.parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        z = pathlib.Path(tmp) / "sigrun-lambda.zip"
        subprocess.run(["sh", str(srcdir / "packaging/lambda/make-zip.sh"), str(builddir / "lambda/bootstrap"),
                        str(z)], check=True, capture_output=True)
        zip_size = z.stat().st_size
    c = measure(builddir, [str(builddir / "lambda/bootstrap")])
    py = measure(builddir, ["/usr/bin/python3", str(HERE / "peer_lambda.py")])
    print(f"{'':24}{'C bootstrap':>14}{'Python peer':>14}{'ratio':>9}")
    for k, label in [("cold_median_ms", "cold start, median (ms)"), ("warm_p50_ms", "warm status p50 (ms)"),
                     ("warm_p99_ms", "warm status p99 (ms)"), ("peak_rss_mib", "peak RSS (MiB)")]:
        print(f"{label:24}{c[k]:14.2f}{py[k]:14.2f}{py[k] / c[k]:8.1f}x")
    print(f"zip size: {zip_size / 1048576:.1f} MiB ({zip_size} bytes); cold runs {COLD_RUNS}, warm runs {WARM_RUNS}")
    goal = py["cold_median_ms"] / c["cold_median_ms"] >= 20
    print(f"goal (cold start >= 20x faster than the peer): {'met' if goal else 'NOT met'}")


if __name__ == "__main__":
    main()

#!/bin/sh
# Benchmark the Lambda (cold start, warm server-status, peak RSS, zip size)
# against the same flow in Python with PyNaCl and boto3 from Debian
# (apt-get install python3-nacl python3-boto3 python3-botocore zip).
# Not run by make check.   usage: tests/bench/bench-lambda.sh [BUILDDIR]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
builddir=$(cd "${1:-${SIGRUN_TOP_BUILDDIR:-.}}" && pwd)
[ -x "$builddir/lambda/bootstrap" ] || { echo "build lambda/bootstrap in $builddir first" >&2; exit 1; }
/usr/bin/python3 -c 'import boto3, nacl' 2>/dev/null || { echo "needs python3-boto3 and python3-nacl" >&2; exit 1; }
SIGRUN_TOP_BUILDDIR=$builddir exec /usr/bin/python3 "$here/bench_lambda.py" "$builddir"

#!/bin/bash
# Install what the CloudFormation template check needs: node/npm (Debian's),
# then the pinned @aws-cdk/aws-service-spec from package-lock.json into
# tests/cloudformation/node_modules. Idempotent and quiet when nothing is
# missing; bootstrap.sh calls it.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
spec="$here/node_modules/@aws-cdk/aws-service-spec/db.json.gz"

if ! command -v npm >/dev/null 2>&1; then
        if [ "$(id -u)" -ne 0 ]; then
                echo "npm is missing; run as root: apt-get install -y nodejs npm" >&2
                exit 1
        fi
        echo "==> installing nodejs npm" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >/dev/null
        apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

# npm ci wipes node_modules; skip it when the installed tree is the locked one.
stamp="$here/node_modules/.package-lock.json"
if [ -f "$spec" ] && [ -f "$stamp" ] && [ "$stamp" -nt "$here/package-lock.json" ]; then
        exit 0
fi
echo "==> npm ci (tests/cloudformation)" >&2
cd "$here"
npm ci --no-audit --no-fund --loglevel=error >/dev/null

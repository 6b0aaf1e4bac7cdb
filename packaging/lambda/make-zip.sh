#!/bin/sh
# Build the Lambda deployment zip for provided.al2023 from a bootstrap binary
# built on Debian: the binary goes to bin/bootstrap-real, the dynamic loader
# and every shared library ldd lists go to lib/, and the top-level
# `bootstrap` starts the binary through the bundled loader, so nothing is
# taken from the host (AL2023 has glibc 2.34, Debian 12 builds against 2.36).
# This is what awslabs/aws-lambda-cpp's packager does.
#
# usage: make-zip.sh BOOTSTRAP-BINARY OUTPUT.zip
set -eu

bin=$1
out=$2
case $out in /*) ;; *) out=$(pwd)/$out ;; esac

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT INT TERM
mkdir -p "$stage/bin" "$stage/lib"

cp "$bin" "$stage/bin/bootstrap-real"
# Debug info is of no use in Lambda; keep the symbol table for backtraces.
strip --strip-debug "$stage/bin/bootstrap-real" 2>/dev/null || true

loader=$(ldd "$bin" | awk '/ld-linux/ { print ($2 == "=>") ? $3 : $1 }')
[ -n "$loader" ] || { echo "make-zip.sh: no dynamic loader found for $bin" >&2; exit 1; }
cp -L "$loader" "$stage/lib/ld-linux-x86-64.so.2"
ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | while read -r lib; do
        cp -L "$lib" "$stage/lib/"
done
strip --strip-debug "$stage"/lib/*.so* 2>/dev/null || true

# No dirname, no coreutils: only the shell. Lambda runs us from
# $LAMBDA_TASK_ROOT (/var/task). Amazon Linux keeps its CA bundle at
# /etc/pki/tls/certs/ca-bundle.crt, not where Debian's libcurl looks; the
# binary picks it up from there (see common/aws.c), or from CURL_CA_BUNDLE.
cat > "$stage/bootstrap" <<'SCRIPT'
#!/bin/sh
root=${LAMBDA_TASK_ROOT:-${0%/*}}
exec "$root/lib/ld-linux-x86-64.so.2" --library-path "$root/lib" "$root/bin/bootstrap-real" "$@"
SCRIPT
chmod 755 "$stage/bootstrap" "$stage/bin/bootstrap-real" "$stage/lib/ld-linux-x86-64.so.2"

rm -f "$out"
(cd "$stage" && zip -q -r -X "$out" bootstrap bin lib)
echo "$out: $(wc -c < "$out") bytes, $(ls "$stage/lib" | wc -l) files in lib/"

#!/bin/sh
# Recreates the one-package custom index (PEP 503 HTML) used as an explicit source, and serves it on
# http://127.0.0.1:8765/simple/ (tomli-w 1.2.0's wheel, downloaded from PyPI; its sha256 is checked).
set -e
dir=${1:-/tmp/py16/index}
mkdir -p "$dir/simple/tomli-w" "$dir/files"
cd "$dir"
whl=tomli_w-1.2.0-py3-none-any.whl
sum=188306098d013b691fcadc011abd66727d3c414c571bb01b1a174ba8c983cf90
[ -f "files/$whl" ] || curl -sSf -o "files/$whl" "https://files.pythonhosted.org/packages/c7/18/c86eb8e0202e32dd3df50d43d7ff9854f8e0603945ff398974c1d91ac1ef/$whl"
echo "$sum  files/$whl" | sha256sum -c -
printf '<!DOCTYPE html>\n<html><body><a href="tomli-w/">tomli-w</a></body></html>\n' > simple/index.html
printf '<!DOCTYPE html>\n<html><body>\n<a href="../../files/%s#sha256=%s" data-requires-python="&gt;=3.9">%s</a>\n</body></html>\n' "$whl" "$sum" "$whl" > simple/tomli-w/index.html
exec python3 -m http.server 8765 --bind 127.0.0.1

#!/usr/bin/env bash
# Creates the Python virtual environment that runs schemathesis (the OpenAPI fuzzer of
# .ci/openapi-test.sh), if it is missing or older than requirements.txt; prints the path of its
# schemathesis command. Run by .ci/bootstrap.sh and by .ci/openapi-test.sh itself.
set -euo pipefail
cd "$(dirname "$0")"
VENV=$PWD/.venv
if [ ! -x "$VENV/bin/schemathesis" ] || [ requirements.txt -nt "$VENV/.installed" ]; then
  python3 -m venv "$VENV" >&2
  "$VENV/bin/pip" install -q --disable-pip-version-check -r requirements.txt >&2
  touch "$VENV/.installed"
fi
echo "$VENV/bin/schemathesis"

#!/usr/bin/env bash
# Creates the Python virtual environment that runs the test SMTP server (smtp-sink.py), if it
# is missing or older than requirements.txt; prints the path of its python. Run by
# .ci/bootstrap.sh and by the email tests themselves (server/tests/api/mail.rs).
set -euo pipefail
cd "$(dirname "$0")"
VENV=$PWD/.venv
if [ ! -x "$VENV/bin/python" ] || [ requirements.txt -nt "$VENV/.installed" ]; then
  python3 -m venv "$VENV" >&2
  "$VENV/bin/pip" install -q --disable-pip-version-check -r requirements.txt >&2
  touch "$VENV/.installed"
fi
echo "$VENV/bin/python"

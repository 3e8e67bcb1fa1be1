#!/usr/bin/env bash
# Creates .build/clients-venv, a Python virtual environment with the official clients the sandbox is checked
# against (Tests/Clients/official_clients.py, run by `swift test`): twilio-python 9.13.0 and authy-python 2.2.6
# as published on PyPI. Does nothing when they are already there. Needs python3 with venv (python3-venv).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=$root/.build/clients-venv
clients=("twilio==9.13.0" "authy==2.2.6")
installed() {
    "$venv/bin/python" - "${clients[@]}" <<'PY' 2>/dev/null
import importlib.metadata, sys
sys.exit(0 if all(importlib.metadata.version(n) == v for n, v in (c.split("==") for c in sys.argv[1:])) else 1)
PY
}
[ -x "$venv/bin/python" ] && installed && exit 0
echo "creating $venv with ${clients[*]}"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${clients[@]}"
installed

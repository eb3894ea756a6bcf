#!/usr/bin/env bash
# The Python SDK's checks: ruff, mypy (strict) and pytest against a real gatehouse-server, in a
# virtualenv this script creates (never the system Python). Called by scripts/test.sh;
# GATEHOUSE_SERVER_BIN names the server binary the tests start.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${GATEHOUSE_SDK_VENV:-/var/tmp/gatehouse-sdk-venv}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check "./sdk/python[test,lint]"
cd sdk/python
"$venv/bin/ruff" check src tests
"$venv/bin/ruff" format --check src tests
"$venv/bin/mypy" src tests
"$venv/bin/pytest" -q

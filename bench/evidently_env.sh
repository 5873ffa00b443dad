#!/usr/bin/env bash
# Creates the isolated virtualenv used by bench/drift_bench.py to run Evidently (never the project's venv).
set -euo pipefail
VENV="${EVIDENTLY_VENV:-/tmp/evidently-venv}"
PY="${PYTHON311:-python3.11}"
if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import evidently" 2>/dev/null; then
    "$VENV/bin/pip" install --quiet --upgrade pip
    "$VENV/bin/pip" install --quiet "evidently==0.7.23" "pandas<3"
fi
"$VENV/bin/python" -c "import evidently, pandas; print('evidently', evidently.__version__, 'pandas', pandas.__version__)"

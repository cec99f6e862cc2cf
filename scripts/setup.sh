#!/usr/bin/env bash
# Sets up .venv with everything DreamFactory Studio needs; `--dev` adds the test tools. Safe to run again.
#   TORCH_SPEC  the torch requirement (default torch==2.13.0; on a machine with wheels on disk, its CPU build)
#   PYTHON      the interpreter to build the venv from (default python3; 3.11 or newer)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "setup: DreamFactory Studio needs Python 3.11 or newer; set PYTHON=/path/to/python3.11" >&2
    exit 2
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
pip=(.venv/bin/python -m pip install --quiet --disable-pip-version-check)
# Torch first and pinned: a bare `torch` requirement would pull a multi-GB CUDA build.
"${pip[@]}" "${TORCH_SPEC:-torch==2.13.0}"
if [ "${1:-}" = "--dev" ]; then
    "${pip[@]}" -e ".[dev,faces,ray]"
else
    "${pip[@]}" -e .
fi

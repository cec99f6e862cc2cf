#!/usr/bin/env bash
# Sets everything up, checks style and the layer contracts, then runs the tests (headless, no GPU, no network).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
export QT_QPA_PLATFORM=offscreen
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/lint-imports
exec .venv/bin/python -m pytest "$@"

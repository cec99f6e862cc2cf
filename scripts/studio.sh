#!/usr/bin/env bash
# Sets everything up, then opens the studio on the sample project (offline backends: no key, no GPU).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/dreamfactory-studio open --sample "$@"

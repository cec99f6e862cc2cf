#!/usr/bin/env bash
# Builds the one-folder desktop app into build/app/dreamfactory-studio/ (PyInstaller; packaging/README.md says why).
# From a fresh clone: sets up .venv (scripts/setup.sh), adds PyInstaller, builds. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[packaging]"
.venv/bin/pyinstaller --noconfirm --clean --log-level ERROR \
    --distpath build/app --workpath build/pyinstaller packaging/pyinstaller/dreamfactory-studio.spec
echo "built build/app/dreamfactory-studio/ ($(du -sh build/app/dreamfactory-studio | cut -f1)):"
echo "  build/app/dreamfactory-studio/dreamfactory-studio        the studio (no command: the window)"

#!/usr/bin/env bash
# Builds the sdist and the wheel into build/dist/, installs the wheel into a new venv (torch pinned first, as
# scripts/setup.sh does), and runs the installed `dreamfactory-studio --version` and a headless render of the
# sample story from outside the checkout, with its own settings. Exit 0 when all of it worked.
#   PYTHON      the interpreter for the new venv (default python3; 3.11 or newer)
#   TORCH_SPEC  the torch requirement (default torch==2.13.0)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
rm -rf build/dist && mkdir -p build/dist
.venv/bin/python -m build --outdir build/dist . > build/dist/build.log 2>&1 || { cat build/dist/build.log; exit 1; }
sdist=$(ls build/dist/dreamfactory_studio-*.tar.gz)
wheel=$(ls build/dist/dreamfactory_studio-*.whl)
in_wheel=$(unzip -Z1 "$wheel")
in_sdist=$(tar tzf "$sdist")
for shipped in resources/crew/roles.toml resources/sample/the-last-ferry.txt ui/settings.ui ui/export.ui; do
    grep -qx "dreamfactory_studio/$shipped" <<< "$in_wheel" || { echo "check_wheel: $shipped not in $wheel" >&2; exit 1; }
    grep -q "/$shipped\$" <<< "$in_sdist" || { echo "check_wheel: $shipped not in $sdist" >&2; exit 1; }
done
echo "built $(basename "$sdist") and $(basename "$wheel"): resources/ and ui/ are in both"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"${PYTHON:-python3}" -m venv "$work/venv"
pip=("$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check)
"${pip[@]}" "${TORCH_SPEC:-torch==2.13.0}"
"${pip[@]}" "$root/$wheel"
echo "installed into a new venv ($(du -sh "$work/venv" | cut -f1))"

cd "$work"  # away from the checkout, so that nothing is imported from it
export DREAMFACTORY_CONFIG_DIR=$work/config DREAMFACTORY_DATA_DIR=$work/data DREAMFACTORY_LOG_DIR=$work/log
studio=$work/venv/bin/dreamfactory-studio
"$studio" --version
"$studio" render "$root/resources/sample/the-last-ferry.txt" "$work/ferry.mp4" --scenes 2 --resolution 640x360 --quiet
"$work/venv/bin/python" - "$work/ferry.mp4" <<'PY'
import sys

import dreamfactory_studio
from moviepy import VideoFileClip

assert "site-packages" in dreamfactory_studio.__file__, dreamfactory_studio.__file__
with VideoFileClip(sys.argv[1]) as clip:
    print(f"render: {sys.argv[1].rsplit('/', 1)[1]} lasts {clip.duration:.1f} s at {clip.size[0]}x{clip.size[1]}")
PY
echo "check_wheel: all good"

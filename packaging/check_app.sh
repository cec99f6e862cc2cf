#!/usr/bin/env bash
# Checks a built app (default build/app/dreamfactory-studio) as a user's machine would run it: no venv on the
# PATH, no Python environment, its own settings. It prints its version, renders a story headless with its own
# ffmpeg, opens the studio on the sample project, and exports that project. Exit 0 when all of it worked.
#   --gpu-stack  then also installs the GPU stack with the app's own pip (TORCH_SPEC, default torch==2.13.0) and
#                draws the sample project's keyframes with a tiny random diffusers model (built with .venv).
set -euo pipefail
cd "$(dirname "$0")/.."
gpu_stack=no
[ "${1:-}" = "--gpu-stack" ] && { gpu_stack=yes; shift; }
app=$(realpath "${1:-build/app/dreamfactory-studio}")/dreamfactory-studio
[ -x "$app" ] || { echo "check_app: no app at $app; build it with bash packaging/build_app.sh" >&2; exit 2; }
home=$(mktemp -d)
trap 'kill "${pid:-}" 2>/dev/null || true; rm -rf "$home"' EXIT
clean=(env -i HOME="$home" PATH=/usr/bin:/bin LANG=C.UTF-8 DREAMFACTORY_CONFIG_DIR="$home/config"
    DREAMFACTORY_DATA_DIR="$home/data" DREAMFACTORY_LOG_DIR="$home/log")
run() { "${clean[@]}" "$@"; }
ffmpeg_of_app=$(find "$(dirname "$app")/_internal/imageio_ffmpeg/binaries" -name 'ffmpeg-*' -type f | head -1)
duration() { "$ffmpeg_of_app" -hide_banner -i "$1" 2>&1 | sed -n 's/.*Duration: \([0-9:.]*\).*/\1/p'; }

run "$app" --version
run "$app" render resources/sample/the-last-ferry.txt "$home/render/ferry.mp4" --scenes 3 \
    --resolution 640x360 --pdf "$home/render/ferry.pdf" --quiet
echo "render: ferry.mp4 lasts $(duration "$home/render/ferry.mp4"); $(ls "$home/render" | tr '\n' ' ')"

# The window, on the sample project (made on first use); offscreen unless a display is there.
platform=offscreen
[ -n "${DISPLAY:-}" ] && platform=xcb
"${clean[@]}" QT_QPA_PLATFORM=$platform DISPLAY="${DISPLAY:-}" "$app" open --sample > "$home/open.log" 2>&1 &
pid=$!  # env's, which becomes the studio's
for _ in $(seq 60); do
    [ -f "$home/data/samples/the-last-ferry/.lock" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$home/open.log"; echo "check_app: the studio exited" >&2; exit 1; }
    sleep 0.5
done
[ -f "$home/data/samples/the-last-ferry/.lock" ] || { cat "$home/open.log"; echo "check_app: no project opened" >&2; exit 1; }
sleep 1
kill -0 "$pid" || { cat "$home/open.log"; exit 1; }
kill "$pid"; wait "$pid" 2>/dev/null || true
echo "open --sample: the studio ran with the sample project open (stopped; its lock is left, as after a crash)"
run "$app" export "$home/data/samples/the-last-ferry" "$home/sample.mp4" --resolution 640x360 \
    --timeline "$home/sample.xml"
echo "export: sample.mp4 lasts $(duration "$home/sample.mp4"); its edit: $(grep -c '<clipitem' "$home/sample.xml") clips"

if [ $gpu_stack = yes ]; then
    # pip in the app reads the machine's pip settings (an index, a wheel folder), as it would for a user.
    pip_settings=($(env | grep '^PIP_' || true))
    user_pip_conf=${XDG_CONFIG_HOME:-$HOME/.config}/pip/pip.conf
    [ -f "$user_pip_conf" ] && pip_settings+=(PIP_CONFIG_FILE="$user_pip_conf")
    run "${pip_settings[@]}" "$app" gpu-stack install --torch "${TORCH_SPEC:-torch==2.13.0}" > "$home/install.log" 2>&1 \
        || { cat "$home/install.log"; exit 1; }
    sed -n '/^managed folder/,$p' "$home/install.log"
    .venv/bin/python -c "import sys; from tests.tiny_models import build_sd15; build_sd15(__import__('pathlib').Path(sys.argv[1]))" \
        "$home/tiny-sd15" > /dev/null 2>&1
    run DREAMFACTORY_IMAGE_STEPS=2 DREAMFACTORY_KEYFRAMES_WIDTH=64 DREAMFACTORY_KEYFRAMES_HEIGHT=64 \
        "$app" run "$home/data/samples/the-last-ferry" --phase keyframes --image-model "$home/tiny-sd15" > "$home/run.log" 2>&1
    grep -q "^loading: loading tiny-sd15" "$home/run.log" || { cat "$home/run.log"; echo "check_app: no model loaded" >&2; exit 1; }
    echo "gpu stack: the app drew $(grep -c -- '--- scene .*: done' "$home/run.log") keyframes with diffusers from its managed folder"
    run "$app" export "$home/data/samples/the-last-ferry" "$home/drawn.mp4" --resolution 640x360 > /dev/null
    echo "export: drawn.mp4 lasts $(duration "$home/drawn.mp4")"
fi
echo "check_app: all good"

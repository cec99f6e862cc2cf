#!/usr/bin/env bash
# Installs the built app (build/app/dreamfactory-studio) for one user, or for all under PREFIX=/usr/local:
#   PREFIX/lib/dreamfactory-studio/                       the app folder
#   PREFIX/bin/dreamfactory-studio                        a link to its program
#   PREFIX/share/applications/dreamfactory-studio.desktop the menu entry
#   PREFIX/share/icons/hicolor/NxN/apps/                  the icon in each size
#   PREFIX/share/metainfo/io.github.dreamfactory.studio.metainfo.xml   what software centres show
# `install.sh --uninstall` removes them again. The user's settings, projects and GPU stack are left alone.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
prefix=${PREFIX:-$HOME/.local}
app_id=io.github.dreamfactory.studio
files=("$prefix/lib/dreamfactory-studio" "$prefix/bin/dreamfactory-studio"
    "$prefix/share/applications/dreamfactory-studio.desktop" "$prefix/share/metainfo/$app_id.metainfo.xml")
for size in "$here"/icons/*; do files+=("$prefix/share/icons/hicolor/$(basename "$size")/apps/dreamfactory-studio.png"); done

if [ "${1:-}" = "--uninstall" ]; then
    rm -rf "${files[@]}"
    command -v update-desktop-database > /dev/null && update-desktop-database -q "$prefix/share/applications" || true
    echo "removed DreamFactory Studio from $prefix"
    exit 0
fi
built=${1:-$here/../../build/app/dreamfactory-studio}
[ -x "$built/dreamfactory-studio" ] || { echo "install: no app at $built; build it with bash packaging/build_app.sh" >&2; exit 2; }
mkdir -p "$prefix/lib" "$prefix/bin" "$prefix/share/applications" "$prefix/share/metainfo"
rm -rf "$prefix/lib/dreamfactory-studio"
cp -a "$built" "$prefix/lib/dreamfactory-studio"
ln -sfn "$prefix/lib/dreamfactory-studio/dreamfactory-studio" "$prefix/bin/dreamfactory-studio"
install -m 644 "$here/dreamfactory-studio.desktop" "$prefix/share/applications/"
install -m 644 "$here/$app_id.metainfo.xml" "$prefix/share/metainfo/"
for size in "$here"/icons/*; do
    install -D -m 644 "$size/dreamfactory-studio.png" "$prefix/share/icons/hicolor/$(basename "$size")/apps/dreamfactory-studio.png"
done
command -v update-desktop-database > /dev/null && update-desktop-database -q "$prefix/share/applications" || true
command -v gtk-update-icon-cache > /dev/null && gtk-update-icon-cache -q -t "$prefix/share/icons/hicolor" || true
echo "installed DreamFactory Studio into $prefix (run it as $prefix/bin/dreamfactory-studio, or from the menu)"
case ":$PATH:" in *":$prefix/bin:"*) ;; *) echo "note: $prefix/bin is not on your PATH" ;; esac

"""Packaging: the wheel carries resources/ and ui/; the Linux desktop files agree with each other; and (slow) the
wheel installed in a new venv renders a story, and the built one-folder app opens and exports the sample project
with its own ffmpeg and draws with the GPU stack it installs (packaging/check_*.sh)."""

from __future__ import annotations

import configparser
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile

import pytest

from .paths import REPO

LINUX = REPO / "packaging" / "linux"


def test_the_wheel_ships_resources_and_ui(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path), str(REPO)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("dreamfactory_studio-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for shipped in (
        "dreamfactory_studio/resources/crew/roles.toml",
        "dreamfactory_studio/resources/crew/phases.toml",
        "dreamfactory_studio/resources/crew/chain.toml",
        "dreamfactory_studio/resources/sample/the-last-ferry.txt",
        "dreamfactory_studio/ui/README.md",
        "dreamfactory_studio/ui/settings.ui",
        "dreamfactory_studio/ui/new_project.ui",
        "dreamfactory_studio/ui/export.ui",
        "dreamfactory_studio/resources/icons/dreamfactory-studio.svg",
        "dreamfactory_studio/resources/icons/undo.svg",
        "dreamfactory_studio/resources/fonts/DejaVuSans.ttf",
    ):
        assert shipped in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert (
        "dreamfactory-studio = dreamfactory_studio.cli:main"
        in zipfile.ZipFile(wheel).read(entry_points).decode()
    )


def test_the_desktop_entry_icons_and_appstream_metadata_name_the_same_app():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(LINUX / "dreamfactory-studio.desktop")
    desktop = entry["Desktop Entry"]
    assert desktop["Exec"].split()[:2] == ["dreamfactory-studio", "open"], "a command the CLI has"
    assert desktop["Type"] == "Application" and desktop["Categories"].endswith(";")
    sizes = sorted(int(p.name.split("x")[0]) for p in (LINUX / "icons").iterdir())
    assert sizes == [16, 24, 32, 48, 64, 128, 256, 512]
    for size in sizes:
        png = LINUX / "icons" / f"{size}x{size}" / f"{desktop['Icon']}.png"
        assert png.read_bytes()[16:24] == size.to_bytes(4, "big") * 2, f"{png} is {size} px square"
    meta = ET.parse(LINUX / "io.github.dreamfactory.studio.metainfo.xml").getroot()
    assert meta.findtext("id") == "io.github.dreamfactory.studio"
    assert meta.findtext("launchable") == "dreamfactory-studio.desktop"
    assert meta.find("provides").findtext("binary") == desktop["TryExec"]


def _script(*command: str) -> str:
    done = subprocess.run(["bash", *command], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    return done.stdout


@pytest.mark.slow
def test_the_wheel_installs_into_a_new_venv_and_renders_a_story():
    out = _script("packaging/check_wheel.sh")
    assert "resources/ and ui/ are in both" in out and "render: ferry.mp4 lasts" in out
    assert "check_wheel: all good" in out


@pytest.mark.slow
def test_the_built_app_exports_with_its_own_ffmpeg_and_draws_with_the_gpu_stack_it_installs():
    _script("packaging/build_app.sh")
    out = _script("packaging/check_app.sh", "--gpu-stack")
    assert "export: sample.mp4 lasts 00:01:" in out, "the sample project exported in full"
    assert "the app drew 10 keyframes with diffusers" in out and "export: drawn.mp4 lasts" in out
    assert "check_app: all good" in out

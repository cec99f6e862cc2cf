"""The wheel carries resources/ and ui/ inside the package, where the installed studio looks for them."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from .conftest import REPO


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
        "dreamfactory_studio/resources/icons/undo.svg",
        "dreamfactory_studio/resources/fonts/DejaVuSans.ttf",
    ):
        assert shipped in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert (
        "dreamfactory-studio = dreamfactory_studio.cli:main"
        in zipfile.ZipFile(wheel).read(entry_points).decode()
    )

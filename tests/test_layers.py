"""The walls between layers that import-linter cannot see: nothing heavy is imported at module level."""

from __future__ import annotations

import os
import subprocess
import sys

from .paths import REPO

HEAVY = ("torch", "diffusers", "transformers", "openai", "cv2", "moviepy")
PROBE = """
import importlib, pkgutil, sys
import dreamfactory_studio
skip = tuple(sys.argv[1].split(",")) if sys.argv[1] else ()
for info in pkgutil.walk_packages(dreamfactory_studio.__path__, "dreamfactory_studio."):
    if not info.name.startswith(skip) and not info.name.endswith("__main__"):
        importlib.import_module(info.name)
print(",".join(sorted(m for m in sys.modules if m.split(".")[0] in sys.argv[2].split(","))))
"""


def loaded_after_importing_everything(skip: str, watch: tuple[str, ...]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, skip, ",".join(watch)],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        check=True,
    )
    return done.stdout.strip()


def test_no_module_imports_a_model_or_sdk_at_import_time():
    assert loaded_after_importing_everything("", HEAVY) == ""


def test_nothing_below_the_app_imports_qt():
    assert (
        loaded_after_importing_everything("dreamfactory_studio.app,dreamfactory_studio.cli", ("PySide6",))
        == ""
    )


def test_version_imports_almost_nothing():
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "dreamfactory_studio", "--version"],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )
    assert done.returncode == 0
    assert "pydantic" not in done.stderr and "PySide6" not in done.stderr

"""Where things live: the shipped resources and the user's config, data and log folders.

The environment variables ``DREAMFACTORY_CONFIG_DIR``, ``DREAMFACTORY_DATA_DIR`` and ``DREAMFACTORY_LOG_DIR``
move the user folders (tests and portable installs use them).
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "dreamfactory-studio"
_PACKAGE = Path(__file__).resolve().parent.parent


def _bundled(name: str) -> Path:
    # In a wheel the folder is inside the package; in a source checkout it sits beside the package.
    inside = _PACKAGE / name
    return inside if inside.is_dir() else _PACKAGE.parent / name


def resources_dir() -> Path:
    """The shipped ``resources/`` folder (role cards, icons, stylesheet, sample story)."""
    return _bundled("resources")


def ui_dir() -> Path:
    """The shipped ``ui/`` folder of Qt Designer forms."""
    return _bundled("ui")


def _user_dir(env: str, kind: str) -> Path:
    override = os.environ.get(env)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(getattr(platformdirs, f"user_{kind}_dir")(APP_NAME, appauthor=False))


def config_dir() -> Path:
    """The user's config folder: ``settings.toml`` and overrides of role cards and phases."""
    return _user_dir("DREAMFACTORY_CONFIG_DIR", "config")


def data_dir() -> Path:
    """The user's data folder: the sample project and the recent projects list."""
    return _user_dir("DREAMFACTORY_DATA_DIR", "data")


def log_dir() -> Path:
    """The user's log folder, where tracebacks go."""
    return _user_dir("DREAMFACTORY_LOG_DIR", "log")


def sample_story() -> Path:
    """The sample story that the sample project is made from."""
    return resources_dir() / "sample" / "the-last-ferry.txt"


def font_file(bold: bool = False) -> Path:
    """The shipped DejaVu Sans font, so that cards, subtitles and PDFs look the same on every system."""
    return resources_dir() / "fonts" / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")

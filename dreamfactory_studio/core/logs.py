"""The log file in the user log folder. It keeps tracebacks; it never keeps a secret."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from dreamfactory_studio.core.paths import log_dir
from dreamfactory_studio.core.secrets import redact

LOG_FILE = "dreamfactory-studio.log"


class _RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def setup_logging(level: int = logging.INFO) -> Path:
    """Send the package's log records, tracebacks included, to the log file; return its path."""
    folder = log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOG_FILE
    root = logging.getLogger("dreamfactory_studio")
    for old in [h for h in root.handlers if getattr(h, "_dreamfactory", False)]:
        if Path(old.baseFilename) == path.resolve():
            break
        root.removeHandler(old)
        old.close()
    else:
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
        )
        handler.setFormatter(_RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler._dreamfactory = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level)
    return path

"""The lock file that stops two programs writing one project.

The lock holds the owner's host, pid and a random token. A lock whose process is gone (same host) or whose
file is unreadable is stale: it is taken over. A lock held by a live process, or by another host, is refused.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path

from dreamfactory_studio.core.atomic import atomic_write_text
from dreamfactory_studio.core.errors import ProjectLocked

LOCK_NAME = ".lock"


@dataclass(frozen=True)
class LockOwner:
    host: str
    pid: int
    token: str


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_owner(folder: Path) -> LockOwner | None:
    """The lock's owner, or None when there is no lock or it cannot be read."""
    try:
        data = json.loads((Path(folder) / LOCK_NAME).read_text(encoding="utf-8"))
        return LockOwner(str(data["host"]), int(data["pid"]), str(data["token"]))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        return LockOwner(host="?", pid=-1, token="")


def _is_stale(owner: LockOwner) -> bool:
    if owner.pid < 0:
        return True
    return owner.host == socket.gethostname() and not _pid_alive(owner.pid)


class ProjectLock:
    """Held while a program may write the project. Use ``acquire()`` and ``release()`` or ``with``."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self.me = LockOwner(socket.gethostname(), os.getpid(), uuid.uuid4().hex)
        self.held = False
        self.took_over: LockOwner | None = None

    def _payload(self) -> str:
        return json.dumps({"host": self.me.host, "pid": self.me.pid, "token": self.me.token})

    def acquire(self) -> None:
        """Take the lock, taking over a stale one; raise :class:`ProjectLocked` when a live program holds it."""
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            owner = read_owner(self.folder)
            if owner is not None and not _is_stale(owner):
                raise ProjectLocked(
                    f"{self.folder} is open in another program (pid {owner.pid} on {owner.host}). "
                    "Close it there, or open this project read-only."
                ) from None
            atomic_write_text(self.path, self._payload())
            # Two programs may take over the same stale lock at once; the last rename wins.
            if read_owner(self.folder) != self.me:
                raise ProjectLocked(f"{self.folder} was just opened by another program; try again.") from None
            self.took_over = owner
        else:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(self._payload())
                handle.flush()
                os.fsync(handle.fileno())
        self.held = True

    def release(self) -> None:
        if self.held and read_owner(self.folder) == self.me:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
        self.held = False

    def __enter__(self) -> ProjectLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

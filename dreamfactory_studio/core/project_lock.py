"""The lock that stops two programs writing one project.

The lock is an advisory ``flock`` on ``PROJECT/.lock``, held for as long as the project is open: the operating
system lets one open file hold it, and lets go of it when the holder ends in any way (a crash, SIGKILL), so two
programs can never both hold it and a lock left by a dead program is simply free. The file's content (host, pid,
a random token) only says who holds it, for the message. A file naming another machine is refused even when
free, since a network share may not carry the lock across machines.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path

from dreamfactory_studio.core.errors import BadInput, ProjectLocked

LOCK_NAME = ".lock"


@dataclass(frozen=True)
class LockOwner:
    host: str
    pid: int
    token: str


def _parse(text: str) -> LockOwner | None:
    """The owner a lock file's text names; None for an empty file, a pid of -1 for an unreadable one."""
    if not text.strip():
        return None
    try:
        data = json.loads(text)
        return LockOwner(str(data["host"]), int(data["pid"]), str(data["token"]))
    except (ValueError, KeyError, TypeError):
        return LockOwner(host="?", pid=-1, token="")


def read_owner(folder: Path) -> LockOwner | None:
    """The lock's owner, or None when there is no lock file (or it is empty)."""
    try:
        fd = os.open(Path(folder) / LOCK_NAME, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_NONBLOCK)
        try:
            return _parse(os.read(fd, 4096).decode("utf-8", "replace"))
        finally:
            os.close(fd)
    except FileNotFoundError:
        return None
    except OSError:
        return LockOwner(host="?", pid=-1, token="")


class ProjectLock:
    """Held while a program may write the project. Use ``acquire()`` and ``release()`` or ``with``."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self.me = LockOwner(socket.gethostname(), os.getpid(), uuid.uuid4().hex)
        self.held = False
        self.took_over: LockOwner | None = None
        """The owner named by a lock file that was left behind (its program had ended), if any."""
        self._fd: int | None = None

    def _payload(self) -> str:
        return json.dumps({"host": self.me.host, "pid": self.me.pid, "token": self.me.token})

    def _open(self) -> int:
        try:
            # Never through a link: a project copied from a tar or a repository may carry one to any file.
            return os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
        except IsADirectoryError:
            raise BadInput(
                f"{self.path} is a folder, where the project's lock file belongs; remove it."
            ) from None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise BadInput(
                    f"{self.path} is a symbolic link, where the project's lock file belongs; the studio does not "
                    "follow it. Remove the link and open the project again."
                ) from None
            if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
                raise BadInput(
                    f"cannot write in {self.folder} ({exc.strerror}); open the project read-only, or copy it "
                    "to a folder you can write in."
                ) from None
            raise

    def acquire(self) -> None:
        """Take the lock; raise :class:`ProjectLocked` when another program (or another open folder of this
        one) holds it, or when a program on another machine wrote it."""
        while True:
            fd = self._open()
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                owner = read_owner(self.folder) or LockOwner("?", -1, "")
                raise ProjectLocked(
                    f"{self.folder} is open in another program (pid {owner.pid} on {owner.host}). "
                    "Close it there, or open this project read-only."
                ) from None
            if os.fstat(fd).st_nlink > 1:
                os.close(fd)
                raise BadInput(
                    f"{self.path} is a hard link to another file, where the project's own lock file belongs; the "
                    "studio will not write through it. Remove it and open the project again."
                )
            # The holder before us may have removed the file between our open and our lock: then the lock we
            # hold is on a file no one else will open, so open the one at the path again.
            with contextlib.suppress(FileNotFoundError):
                if os.fstat(fd).st_ino == os.lstat(self.path).st_ino:
                    break
            os.close(fd)
        with os.fdopen(os.dup(fd), "r+b") as handle:
            previous = _parse(handle.read(4096).decode("utf-8", "replace"))
            if previous is not None and previous.pid >= 0 and previous.host != self.me.host:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
                raise ProjectLocked(
                    f"{self.folder} is open in a program on another machine (pid {previous.pid} on "
                    f"{previous.host}). Close it there, or open this project read-only; if that program is gone, "
                    f"remove {self.path}."
                )
            handle.seek(0)
            handle.truncate()
            handle.write(self._payload().encode())
            handle.flush()
            os.fsync(handle.fileno())
        self._fd, self.took_over, self.held = fd, previous, True

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()  # while still holding it: no one can take a lock on the file we remove
            os.close(self._fd)
            self._fd = None
        self.held = False

    def __enter__(self) -> ProjectLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

"""Errors a user can cause or meet, each with the exit code the CLI gives it.

Anything raised as a :class:`StudioError` is shown as its message alone (one line, no traceback);
everything else is a bug, logged with its traceback.
"""

from __future__ import annotations

import errno


class StudioError(Exception):
    """A problem the user can act on. ``str(err)`` says what is wrong and what to do."""

    exit_code = 1


class BadInput(StudioError):
    """The user gave something we cannot use (a file, a path, an option)."""

    exit_code = 2


class ScriptNotWritten(BadInput):
    """The project has no scenes yet. The message is the fact alone; each front end adds how to write the script
    in its own words (:data:`ADVICE`)."""

    def __init__(self, message: str = "the project has no scenes yet: the script is not written yet"):
        super().__init__(message)


ADVICE = {
    "cli": "run the script phase first (`run PROJECT --until script`)",
    "window": "press Run (F5) and the crew writes the script first",
}
"""What each front end adds to a :class:`ScriptNotWritten`."""


def advised(exc: BaseException, front: str) -> str:
    """``exc``'s message as ``front`` ("cli" or "window") says it: with its advice where the error has one."""
    text = str(exc)
    return f"{text}; {ADVICE[front]}." if isinstance(exc, ScriptNotWritten) else text


class ProjectError(BadInput):
    """The project folder cannot be used as asked."""


class ProjectLocked(ProjectError):
    """Another program holds the project's lock."""


class DamagedProject(ProjectError):
    """``project.json`` cannot be read. ``autosave`` names the last good state when one exists."""

    def __init__(self, message: str, autosave: str | None = None):
        super().__init__(message)
        self.autosave = autosave


class NewerProject(ProjectError):
    """The project was written by a newer version of the studio."""


class BackendError(StudioError):
    """A backend (a server, a model) failed in a way the user can act on; the message says how."""


class DiskFull(BackendError):
    """The disk has no room for what is being written: the user's machine, so exit 2 like any other input."""

    exit_code = 2


class BadModel(BackendError):
    """A model setting names something that cannot be used (no folder, the wrong kind of model, a class this
    version of diffusers lacks): the user's input, so exit 2 like any other."""

    exit_code = 2


USER_OS_ERRORS = {
    errno.EROFS: "the file system is read-only",
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EACCES: "permission denied",
    errno.EPERM: "the operation is not permitted",
    errno.EISDIR: "a folder stands where a file belongs",
    errno.ENOTDIR: "a file stands where a folder belongs",
    errno.ENAMETOOLONG: "the name is too long",
}


def as_user_error(exc: BaseException) -> StudioError | None:
    """The :class:`BadInput` for an error the user's machine caused (a read-only folder, a full disk, missing
    permissions), wherever it arose; None for anything else (a bug)."""
    if isinstance(exc, OSError) and exc.errno in USER_OS_ERRORS:
        where = f" ({exc.filename})" if exc.filename else ""
        return BadInput(
            f"cannot go on: {USER_OS_ERRORS[exc.errno]}{where}. Everything finished before is kept; free some "
            "space or choose a folder you can write in, then try again."
        )
    if isinstance(exc, RecursionError):
        return BadInput("a file is nested far too deeply to be read; it is not one the studio wrote.")
    return None


class UnsafeSave(StudioError):
    """What was about to be saved would not open again; the last good save is kept instead."""

"""Errors a user can cause or meet, each with the exit code the CLI gives it.

Anything raised as a :class:`StudioError` is shown as its message alone (one line, no traceback);
everything else is a bug, logged with its traceback.
"""

from __future__ import annotations


class StudioError(Exception):
    """A problem the user can act on. ``str(err)`` says what is wrong and what to do."""

    exit_code = 1


class BadInput(StudioError):
    """The user gave something we cannot use (a file, a path, an option)."""

    exit_code = 2


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

"""The workspace layer: one headless engine under the CLI and the window (see :mod:`.workspace`)."""

from dreamfactory_studio.workspace.workspace import Workspace

__all__ = ["Workspace"]

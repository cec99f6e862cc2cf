"""What one run of the production does: a small value the CLI's ``run`` options and the window's run controls
both make, light enough to import where the window starts."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RunRequest:
    """One run of the production, as the CLI's ``run`` options and the window's run controls ask for it:
    the phases not done yet up to ``until`` (all of them when None); or the one ``phase`` again; or the
    keyframes from scene ``from_scene`` on (that scene ``only``). ``step`` runs only the next phase not done, so
    that the person can edit before going on."""

    until: str | None = None
    step: bool = False
    phase: str | None = None
    from_scene: int | None = None
    only: bool = False
    overwrite_edits: bool = False

    def describe(self) -> str:
        if self.from_scene is not None:
            return (
                f"Redraw scene {self.from_scene}" if self.only else f"Keyframes from scene {self.from_scene}"
            )
        if self.phase is not None:
            return f"Run the {self.phase} phase"
        if self.step:
            return "Run the next phase"
        return f"Run up to the {self.until} phase" if self.until else "Run all phases"

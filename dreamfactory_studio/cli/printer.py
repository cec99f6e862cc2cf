"""Printing a production on the terminal: the conversation live, and a project's state."""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from dreamfactory_studio.core.dialogue import format_dialogue
from dreamfactory_studio.core.errors import BadInput
from dreamfactory_studio.core.events import (
    Event,
    ExportProgress,
    MessageFinished,
    MessageStarted,
    ModelLoading,
    PhaseFinished,
    PhaseStarted,
    SceneFinished,
    SceneStarted,
    SheetStarted,
    TakeMade,
    TokenReceived,
)
from dreamfactory_studio.core.model import Project, Scene, TranscriptMessage
from dreamfactory_studio.core.scene_fields import SCENE_TEXT_FIELDS

SHOWN_ABOVE = ("title", "shot", "camera", "script", "narration")
"""The scene's text fields ``show`` gives in its first lines; the others follow, each on a line of its own."""


class ConversationPrinter:
    """Prints each message as ``Role (source): words`` while the words stream in."""

    def __init__(self, out: TextIO):
        self.out = out
        self._thinking = False
        self._said: set[str] = set()
        tty = getattr(out, "isatty", lambda: False)()
        self._dim, self._plain = ("\x1b[2m", "\x1b[0m") if tty else ("", "")

    def __call__(self, event: Event) -> None:
        out = self.out
        if self._thinking and not (isinstance(event, TokenReceived) and event.reasoning):
            out.write(f"]{self._plain}\n")  # the thinking is over: the answer starts on its own line
            self._thinking = False
        if isinstance(event, PhaseStarted):
            out.write(f"\n=== {event.title} ===\n")
        elif isinstance(event, MessageStarted):
            out.write(f"\n{event.title}" + (f" ({event.source})" if event.source != "studio" else "") + ": ")
        elif isinstance(event, TokenReceived) and event.reasoning:
            if not self._thinking:
                out.write(f"{self._dim}[thinking: ")
                self._thinking = True
            out.write(event.text)
        elif isinstance(event, TokenReceived):
            out.write(event.text)
        elif isinstance(event, MessageFinished):
            if event.message.role == "studio":
                out.write(event.message.text)
            out.write("\n")
        elif isinstance(event, PhaseFinished) and event.status != "done":
            out.write(f"--- {event.phase}: {event.status}\n")
        elif isinstance(event, ModelLoading):
            out.write(f"loading: {event.message}\n")
        elif isinstance(event, SheetStarted):
            out.write(f"\n--- {event.name}'s character sheet\n")
        elif isinstance(event, SceneStarted):
            out.write(f"\n--- scene {event.number}: drawing the {event.what}\n")
        elif isinstance(event, SceneFinished):
            out.write(f"--- scene {event.number}: {event.status}\n")
        elif isinstance(event, TakeMade) and event.notes:
            fresh = [note for note in event.notes if note not in self._said]  # each said once a run
            self._said.update(fresh)
            out.writelines(f"    note: {note}\n" for note in fresh)
        out.flush()


class ExportPrinter:
    """Prints an export's progress: a line per scene spoken or rendered, and the film's percentage."""

    STAGES = {
        "narration": "speaking the narration",
        "clips": "rendering clips",
        "video": "writing the film",
        "pdf": "writing the PDF storyboard",
    }

    def __init__(self, out: TextIO):
        self.out = out
        self.live = out.isatty()
        self._tenths = -1

    def __call__(self, event: Event) -> None:
        if isinstance(event, ModelLoading):
            self.out.write(f"loading: {event.message}\n")
        elif isinstance(event, ExportProgress) and event.total:
            stage = self.STAGES.get(event.stage, event.stage)
            if event.stage != "video":
                if event.done < event.total:
                    what = f"{event.message} " if event.message else ""
                    self.out.write(f"{stage}: {what}({event.done + 1} of {event.total})\n")
            elif self.live:
                end = "\n" if event.done >= event.total else ""
                self.out.write(f"\r{stage}: {event.done * 100 // event.total:3d}%{end}")
            elif event.done * 10 // event.total != self._tenths:
                self._tenths = event.done * 10 // event.total
                self.out.write(f"{stage}: {self._tenths * 10}%\n")
        self.out.flush()


def print_project(project: Project, out: TextIO, length: Callable[[Scene], float]) -> None:
    def mark(owner, field: str) -> str:
        return " (yours)" if owner is not None and owner.is_user_edited(field) else ""

    out.write(f"{project.title}{f' by {project.author}' if project.author else ''}\n")
    out.write(
        "phases: " + ", ".join(f"{name} {state.status}" for name, state in project.phases.items()) + "\n"
    )
    if project.task:
        t = project.task
        out.write(
            f"task: {t.mode}, {t.scenes} scenes, for {t.audience or '-'}, {t.aspect}{mark(t, 'scenes')}\n"
        )
    if project.style:
        s = project.style
        out.write(f"style: {s.style}{mark(s, 'style')}; palette: {s.palette}; lighting: {s.lighting}\n")
    if project.outline:
        out.write(f"outline{mark(project, 'outline')}: {project.outline}\n")
    for character in project.characters:
        out.write(f"character: {character.name}{mark(character, 'description')}: {character.description}\n")
    names = {c.id: c.name for c in project.characters}
    for cut in project.cut_scenes:
        out.write(f"cut: {cut.scene.title or 'a scene'} (was scene {cut.position}; {cut.reason})\n")
    for number, scene in enumerate(project.scenes, start=1):
        flags = " ".join(f for f, on in (("[stale]", scene.stale), ("[pinned]", scene.pinned)) if on)
        edited = " [the screenplay's]" if scene.from_screenplay else ""
        edited += f" [yours: {', '.join(scene.user_edited)}]" if scene.user_edited else ""
        who = ", ".join(names.get(i, "?") for i in scene.characters) or "-"
        out.write(
            f"\n{number}. {scene.title} ({scene.shot}, {scene.camera}; {length(scene):.1f} s; {who}) {flags}{edited}\n"
        )
        if scene.setting:
            out.write(f"   setting: {scene.setting.heading}\n")
        out.write(f"   script: {scene.script}\n   narration: {scene.narration}\n")
        if scene.dialogue:
            said = format_dialogue(scene.dialogue, names).replace("\n", "\n      ")
            out.write(f"   dialogue:\n      {said}\n")
        for name in SCENE_TEXT_FIELDS:
            if name not in SHOWN_ABOVE and getattr(scene, name):
                out.write(f"   {name}: {getattr(scene, name)}\n")
        if scene.keyframe:
            k = scene.keyframe
            score = f", score {k.score:.2f}" if k.score is not None else ""
            out.write(
                f"   keyframe: {k.image} (take {k.id}, seed {k.seed}{score}; {len(scene.takes)} takes)\n"
            )
    if project.base_frame:
        out.write(f"\nBase Frame: {project.base_frame.image} ({project.base_frame.source})\n")
    if project.base_description.text:
        mine = " (yours)" if project.base_description.user_edited else ""
        out.write(f"Base Description{mine}: {project.base_description.text}\n")


def print_transcript(
    messages: list[TranscriptMessage], out: TextIO, titles: dict[str, str], role: str = "all"
) -> None:
    """The crew's conversation as the window's chat panes show it: all of it, or one role's messages."""
    roles = {m.role for m in messages} | set(titles)
    # "Director" or "Art Director", as the window's tabs say, name the roles director and art_director.
    by_title = {title.casefold(): key for key, title in titles.items()}
    wanted = role.strip().casefold()
    role = by_title.get(wanted) or next((r for r in roles if r.casefold() == wanted.replace(" ", "_")), role)
    if role != "all" and role not in roles:
        names = ", ".join(sorted(titles.get(r, r) for r in roles - {"studio"}))
        raise BadInput(f"no role '{role}'; the roles are {names}.")
    phase = None
    for message in messages:
        if role != "all" and message.role != role:
            continue
        if message.phase != phase:
            phase = message.phase
            out.write(f"\n=== {phase} ===\n")
        title = titles.get(message.role, "DreamFactory" if message.role == "studio" else message.role)
        source = f" ({message.source})" if message.source not in ("", "studio") else ""
        out.write(f"\n{title}{source} · {message.time.astimezone():%H:%M:%S}:\n{message.text}\n")
    if not messages:
        out.write("the crew has not spoken yet; run it with `dreamfactory-studio run PROJECT`.\n")


def print_evaluation(evaluation, frames, out: TextIO, *, as_json: bool = False) -> None:
    """The scores of ``evaluate``: overall, per scene, and what could not be computed and why."""
    from dreamfactory_studio.eval.evaluate import METRICS, format_score

    if as_json:
        import json

        data = evaluation.model_dump(mode="json")
        data["scenes"] = [
            {"key": f.key, "label": f.label, **evaluation.scenes.get(f.key, {})} for f in frames
        ]
        out.write(json.dumps(data, indent=1) + "\n")
        return
    out.write("scores\n")
    for key, label in METRICS.items():
        if key in evaluation.overall:
            value = evaluation.overall[key]
            extra = f" (most common: {evaluation.overall['cssc_style']})" if key == "cssc" else ""
            out.write(f"  {label}: {value}{extra}\n")
    for key, reason in evaluation.unavailable.items():
        out.write(f"  not computed, {METRICS.get(key, key)}: {reason}\n")
    columns = ("clip_score", "base_similarity", "face", "csfd", "style")
    shown = [c for c in columns if any(c in evaluation.scenes.get(f.key, {}) for f in frames)]
    if shown:
        out.write("per scene\n  " + "  ".join(f"{c:>15}" for c in ("", *shown)) + "\n")
        for frame in frames:
            scores = evaluation.scenes.get(frame.key, {})
            cells = [format_score(scores.get(c)) for c in shown]
            drift = "  drifts" if evaluation.drifting(frame.key) else ""
            out.write(f"  {frame.short[:15]:>15}  " + "  ".join(f"{c:>15}" for c in cells) + drift + "\n")
    for warning in evaluation.warnings:
        out.write(f"note: {warning}\n")

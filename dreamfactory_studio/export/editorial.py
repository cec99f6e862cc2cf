"""The film as an edit that editors open, and an editor's changed edit read back, with OpenTimelineIO.

The format follows the file's extension: ``.otio`` (OpenTimelineIO), ``.xml`` (Final Cut 7 XML, which Premiere
and Resolve read), ``.fcpxml`` (Final Cut Pro) and ``.edl`` (CMX 3600). The edit is the film's timeline as
straight cuts: a crossfade becomes a cut at its middle, so every clip sits where it plays in the MP4 and the
total is the film's length to the frame; the title and end cards are gaps. Each scene clip carries its scene's
title and script as a marker and its AI metadata (prompt, seed, model, take, references) in the clip's
metadata, and in Final Cut 7 XML also in the clip's logging info, so that the edit can come back.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dreamfactory_studio.core.atomic import atomic_write_bytes
from dreamfactory_studio.core.errors import BackendError, BadInput
from dreamfactory_studio.core.model import MAX_SCENE_SECONDS, Project
from dreamfactory_studio.core.reading import check_json_nesting, check_xml_nesting, read_regular_file
from dreamfactory_studio.export.timeline import Timeline

FORMATS = {
    ".otio": ("otio_json", "OpenTimelineIO"),
    ".xml": ("fcp_xml", "Final Cut 7 XML"),
    ".fcpxml": ("fcpx_xml", "Final Cut Pro XML"),
    ".edl": ("cmx_3600", "CMX 3600 EDL"),
}
NAMESPACE = "dreamfactory"
MAX_EDIT_BYTES = 256 * 2**20
"""The largest edit file read (a feature film's edit is a few MB)."""
LOGNOTE = "dreamfactory "


def timeline_format(path: Path) -> tuple[str, str]:
    """The OpenTimelineIO adapter and the format's name for an edit file, or :class:`BadInput`."""
    found = FORMATS.get(Path(path).suffix.lower())
    if found is None:
        known = ", ".join(f"{suffix} ({name})" for suffix, (_a, name) in FORMATS.items())
        raise BadInput(f"{Path(path).name}: an edit is written as {known}; name the file with one of these.")
    return found


@dataclass(frozen=True)
class SceneMedia:
    """What the edit shows for one scene: its clip (or keyframe still) and what made it."""

    scene_id: str
    media: Path
    info: dict


def scene_media(project: Project, plans, asset_path) -> dict[int, SceneMedia]:
    """Each planned scene's clip and AI metadata, by scene number (``asset_path``: asset -> file)."""
    names = {c.id: c.name for c in project.characters}
    out = {}
    for plan in plans:
        scene = project.scene(plan.scene_id)
        take = scene.keyframe
        info = {
            "scene_id": scene.id,
            "scene_number": plan.number,
            "title": scene.title,
            "take_id": take.id if take else "",
            "prompt": take.prompt if take else "",
            "negative_prompt": take.negative_prompt if take else "",
            "seed": take.seed if take else None,
            "model": take.model if take else "",
            "backend": take.backend if take else "",
            "keyframe": take.image if take else "",
            "references": (
                [r.model_dump(mode="json") for r in take.recipe.references]
                if take and take.recipe
                else list(take.references if take else [])
            ),
            "characters": [names.get(i, i) for i in scene.characters],
            "script": scene.script,
            "duration": plan.length,
        }
        media = Path(plan.clip) if plan.clip else asset_path(take.image)
        out[plan.number] = SceneMedia(scene.id, media, info)
    return out


def build_edit(
    timeline: Timeline, media: dict[int, SceneMedia], title: str, where: Path | None, cards: dict[str, Path]
):
    """The OpenTimelineIO timeline of the film: the scenes on the first video track, the title and end cards
    (``cards``: kind -> still image) on a second one above their gaps, the narration on an audio track.
    ``where``: the folder the edit is written in, for relative media paths; ``None`` writes file URLs."""
    import opentimelineio as otio

    fps = timeline.fps
    span = _spans(timeline)

    def at(frames: int):
        return otio.opentime.RationalTime(frames, fps)

    def window(start: int, length: int):
        return otio.opentime.TimeRange(at(start), at(length))

    def url(path: Path) -> str:
        path = Path(path).resolve()
        return os.path.relpath(path, where).replace(os.sep, "/") if where else path.as_uri()

    edit = otio.schema.Timeline(name=_name(title))
    edit.global_start_time = at(0)
    pictures = otio.schema.Track(name="Pictures", kind=otio.schema.TrackKind.Video)
    titles = otio.schema.Track(name="Cards", kind=otio.schema.TrackKind.Video)
    for segment, (start, length) in zip(timeline.segments, span, strict=True):
        offset = start - segment.first
        if segment.plan is None:
            pictures.append(otio.schema.Gap(source_range=window(0, length)))
            if segment.kind in cards:
                before = start - round(titles.duration().value)
                if before > 0:
                    titles.append(otio.schema.Gap(source_range=window(0, before)))
                card = otio.schema.Clip(
                    name=_name(f"{segment.kind} card: {segment.text}"),
                    media_reference=otio.schema.ExternalReference(
                        target_url=url(cards[segment.kind]), available_range=window(0, length)
                    ),
                    source_range=window(0, length),
                )
                card.metadata[NAMESPACE] = {"card": segment.kind, "text": segment.text}
                titles.append(card)
            continue
        shown = media[segment.plan.number]
        info = dict(shown.info, frames=length, fps=fps)
        clip = otio.schema.Clip(
            name=_name(f"{segment.plan.number:02d} {segment.plan.title}"[:80]),
            media_reference=otio.schema.ExternalReference(
                target_url=url(shown.media), available_range=window(0, segment.frames)
            ),
            source_range=window(offset, length),
        )
        clip.metadata[NAMESPACE] = info
        clip.metadata["fcp_xml"] = {
            "logginginfo": {
                "scene": str(segment.plan.number),
                "shottake": info["take_id"],
                "description": info["prompt"][:1000],
                "lognote": LOGNOTE
                + json.dumps({"scene_id": shown.scene_id, "frames": length, "duration": info["duration"]}),
            }
        }
        marker = otio.schema.Marker(
            name=_name(segment.plan.title or f"Scene {segment.plan.number}"),
            marked_range=window(offset, 0),
            color=otio.schema.MarkerColor.BLUE,
        )
        marker.comment = shown.info.get("script", "") or info["title"]
        clip.markers.append(marker)
        pictures.append(clip)
    edit.tracks.append(pictures)
    if len(titles):
        edit.tracks.append(titles)
    voice = otio.schema.Track(name="Narration", kind=otio.schema.TrackKind.Audio)
    position = 0
    for line in timeline.speech:
        if line.audio is None:
            continue
        start, length = round(line.start * fps), max(1, round(line.duration * fps))
        if start > position:
            voice.append(otio.schema.Gap(source_range=window(0, start - position)))
        voice.append(
            otio.schema.Clip(
                name=f"narration {line.scene_number:02d}",
                media_reference=otio.schema.ExternalReference(
                    target_url=url(Path(line.audio)), available_range=window(0, length)
                ),
                source_range=window(0, length),
            )
        )
        position = max(position, start) + length
    if len(voice):
        edit.tracks.append(voice)
    return edit


def _name(text: str) -> str:
    # The FCPXML adapter looks names up in XPath predicates, which a straight apostrophe breaks.
    return text.replace("'", "\u2019")


def _spans(timeline: Timeline) -> list[tuple[int, int]]:
    """Each segment's first frame and length as a cut: a crossfade is cut where it begins, so that each scene's
    clip in the edit is the scene's length (its first frame to the next scene's)."""
    cuts = [0] + [s.first for s in timeline.segments[1:]] + [timeline.frames]
    return [(cuts[i], cuts[i + 1] - cuts[i]) for i in range(len(timeline.segments))]


def write_cards(timeline: Timeline, title: str, folder: Path, width: int, height: int) -> dict[str, Path]:
    """The title and end cards as the film shows them, as PNG stills in ``folder`` (made if missing)."""
    import io

    from PIL import Image

    from dreamfactory_studio.export.cards import card_frame

    stills = {}
    for segment in timeline.segments:
        if segment.plan is None and segment.kind not in stills:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{segment.kind}-card.png"
            buffer = io.BytesIO()
            Image.fromarray(card_frame(segment.text or title, width, height)).save(buffer, format="PNG")
            atomic_write_bytes(path, buffer.getvalue())  # replaces a link planted there, never follows it
            stills[segment.kind] = path
    return stills


def write_edit(path: Path, edit) -> Path:
    """Write the edit in the format its extension names (an EDL holds one track: the scenes)."""
    import opentimelineio as otio

    adapter, name = timeline_format(path)
    if adapter == "cmx_3600":
        edit = edit.deepcopy()
        del edit.tracks[1:]
    # Written beside it and renamed over it: a link (soft or hard) standing at the path is replaced, never
    # written through.
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        otio.adapters.write_to_file(edit, str(partial), adapter_name=adapter)
        os.replace(partial, path)
    except OSError as exc:
        if exc.filename and Path(exc.filename) not in (
            Path(path),
            partial,
        ):  # the adapter's own files, not the edit
            raise BackendError(
                f"OpenTimelineIO's {name} adapter could not load ({exc}); reinstall the studio."
            ) from None
        raise BadInput(
            f"cannot write the edit to {path} ({exc.strerror or exc}); choose another place."
        ) from None
    except Exception as exc:  # an adapter refusing what it cannot express
        raise BadInput(f"the edit cannot be written as {name}: {exc}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    return path


@dataclass
class EditReading:
    """An editor's edit, as far as it maps onto the project's scenes."""

    order: list[str] = field(default_factory=list)
    """Scene ids in the edit's order (a scene used twice counts where it first plays)."""
    durations: dict[str, float] = field(default_factory=dict)
    """Seconds, for the scenes the editor trimmed or extended."""
    unmatched: list[str] = field(default_factory=list)
    """The edit's clips that are not one of this project's scenes, with why."""


def read_edit(path: Path | str, project: Project, media: dict[str, Path], fps: int) -> EditReading:
    """Read an edit file and map its first video track's clips to scenes: by the metadata the studio wrote,
    else by the media file (``media``: scene id -> the file the studio exported for it)."""
    import opentimelineio as otio

    path = Path(path).expanduser()
    adapter, name = timeline_format(path)
    data = read_regular_file(path, MAX_EDIT_BYTES, f"an edit ({name})")
    # OpenTimelineIO's readers recurse as deep as the file nests (its C++ JSON reader until it crashes).
    if adapter == "otio_json":
        check_json_nesting(data, f"the edit {path.name}")
    elif adapter != "cmx_3600":
        check_xml_nesting(data, f"the edit {path.name}")
    try:
        options = {"rate": fps} if adapter == "cmx_3600" else {}
        edit = otio.adapters.read_from_file(str(path), adapter_name=adapter, **options)
    except Exception as exc:
        raise BadInput(
            f"{path.name} cannot be read as {name} ({str(exc)[:200]}); nothing was changed."
        ) from None
    if isinstance(edit, otio.schema.SerializableCollection):
        timelines = list(edit.find_children(descended_from_type=otio.schema.Timeline)) or list(edit)
        edit = timelines[0] if timelines else None
    tracks = edit.video_tracks() if isinstance(edit, otio.schema.Timeline) else []
    if not tracks:
        raise BadInput(f"{path.name} holds no video track; nothing was changed.")
    by_file = {Path(file).name: scene_id for scene_id, file in media.items()}
    known = {s.id for s in project.scenes}
    reading = EditReading()
    for clip in tracks[0].find_clips(shallow_search=True):
        scene_id, exported, planned = _identity(clip)
        if scene_id is None:
            target = getattr(clip.media_reference, "target_url", "") or ""
            scene_id = by_file.get(Path(target.rsplit("/", 1)[-1]).name)
        if scene_id is None or scene_id not in known:
            target = getattr(clip.media_reference, "target_url", "") or ""
            why = "was cut from the project before" if scene_id else "is not one of this project's scenes"
            if target and not _media_file(target, path.parent).exists():
                why += f"; its media {target.rsplit('/', 1)[-1]} is missing"
            reading.unmatched.append(f"{clip.name or target or 'a clip'} ({why})")
            continue
        if scene_id in reading.order:
            reading.unmatched.append(f"{clip.name} (a second use of scene {project.scene_number(scene_id)})")
            continue
        frames = _frames(clip, fps)
        if frames is None:
            reading.unmatched.append(f"{clip.name or scene_id} (its length is not a number of frames)")
            continue
        reading.order.append(scene_id)
        if exported is not None and frames != exported:
            planned = planned or exported / fps
            seconds = round(planned + (frames - exported) / fps, 3)
            if 0 < seconds <= MAX_SCENE_SECONDS:
                reading.durations[scene_id] = seconds
    return reading


def _frames(clip, fps: int) -> int | None:
    """A clip's length in frames at ``fps``; None when the edit gives it as no finite length (NaN, infinity,
    a rate of zero)."""
    try:
        duration = clip.duration()
        if not (math.isfinite(duration.rate) and duration.rate > 0 and math.isfinite(duration.value)):
            return None
        frames = duration.rescaled_to(fps).value
    except (ValueError, ArithmeticError, RuntimeError):
        return None
    return round(frames) if math.isfinite(frames) and 0 <= frames < 1e9 else None


def _media_file(url: str, where: Path) -> Path:
    """A media reference's file: a file URL, an absolute path, or a path relative to the edit."""
    from urllib.parse import unquote, urlparse

    if url.startswith("file:"):
        return Path(unquote(urlparse(url).path))
    return Path(url) if Path(url).is_absolute() else where / url


def _identity(clip) -> tuple[str | None, int | None, float | None]:
    """The scene id, the exported length in frames and the scene's planned seconds that the studio wrote on a
    clip, as far as they survived the editor."""
    info = _mapping(clip.metadata.get(NAMESPACE))
    if not info.get("scene_id"):
        note = _mapping(_mapping(clip.metadata.get("fcp_xml")).get("logginginfo")).get("lognote")
        try:
            info = (
                _mapping(json.loads(note[len(LOGNOTE) :]))
                if isinstance(note, str) and note.startswith(LOGNOTE)
                else {}
            )
        except (ValueError, RecursionError):
            info = {}
    scene_id, frames, seconds = info.get("scene_id"), info.get("frames"), info.get("duration")
    return (
        scene_id if isinstance(scene_id, str) and scene_id else None,
        frames if isinstance(frames, int) and not isinstance(frames, bool) and 0 < frames < 1e9 else None,
        float(seconds) if _finite(seconds) and 0 < seconds <= MAX_SCENE_SECONDS else None,
    )


def _mapping(value) -> dict:
    """Metadata as a dict: what an editor's tool left there may be anything (a list, a string, nothing)."""
    return dict(value) if isinstance(value, Mapping) else {}


def _finite(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def describe_edit(project: Project, reading: EditReading, cut=None) -> str:
    """The edit in words: the new order, the trims, the scenes it leaves out (``cut``: they were cut)."""
    titles = {s.id: s.title or s.id for s in project.scenes}
    numbers = {s.id: n for n, s in enumerate(project.scenes, 1)}
    if cut is None:
        gone = [s for s in project.scenes if s.id not in set(reading.order)]
        moved = reading.order != [s.id for s in project.scenes if s.id in set(reading.order)]
        lines = ["the edit would:"]
        lines.append("  put the scenes in a new order" if moved else "  keep the order of the scenes")
    else:
        gone = cut
        lines = ["took the edit:"]
        lines.append(f"  the film is now scenes: {', '.join(titles.get(i, i) for i in reading.order)}")
    for scene_id, seconds in reading.durations.items():
        lines.append(
            f"  make scene {numbers.get(scene_id, '?')} ({titles.get(scene_id)}) {seconds:.2f} s long"
        )
    for scene in gone:
        lines.append(f"  cut '{scene.title or scene.id}' (kept: `restore` puts it back)")
    if reading.unmatched:
        lines.append(f"  leave out {len(reading.unmatched)} clip(s) that are not this project's scenes")
    return "\n".join(lines)

"""One export, start to end: narration and clips (cached), the timeline, the MP4, the SRT, and on request the PDF
storyboard, the PNG sequence and the CSV shot list. A workspace's ``export`` calls :func:`export_project` with
its backends, for the CLI and the window alike."""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from dreamfactory_studio.backends.backend_set import Backends
from dreamfactory_studio.backends.image import GenerationCancelled
from dreamfactory_studio.backends.video.ffmpeg import check_audio
from dreamfactory_studio.core.errors import BadInput
from dreamfactory_studio.core.events import Emit, ExportProgress, ignore
from dreamfactory_studio.core.model import Project
from dreamfactory_studio.core.project_folder import ProjectFolder, holds
from dreamfactory_studio.core.settings import ExportSettings, Settings
from dreamfactory_studio.export.editorial import timeline_format
from dreamfactory_studio.export.film import FilmFormat, FilmMaker
from dreamfactory_studio.export.timeline import Timeline, build_timeline


@dataclass
class ExportOptions:
    """What to write, and the settings this export changes (``None``: as in the settings)."""

    output: Path | None
    """The MP4; None: no film, only the other outputs asked for (an edit, a PDF...)."""
    pdf: Path | None = None
    timeline: Path | None = None
    """An edit for an editor: .otio, .xml (Final Cut 7), .fcpxml or .edl."""
    frames: Path | None = None
    srt: Path | None = None
    csv: Path | None = None
    resolution: str | None = None
    fps: int | None = None
    transition: str | None = None
    crossfade: float | None = None
    burn_subtitles: bool | None = None
    music: Path | None = None
    title_card: bool | None = None
    end_card: bool | None = None


def _silent(settings, project) -> list[str]:
    """Say so when the narration went silent because no voice was found (not when silence was chosen)."""
    from dreamfactory_studio.backends.backend_set import speech_backend

    chosen = settings.speech.backend
    if chosen != "auto" or speech_backend(settings.speech).name != "silence":
        return []
    if not any(scene.narration.strip() for scene in project.scenes):
        return []
    return [
        "the narration is silent (timed, with subtitles): no voice is set up. Get a local one with "
        "`dreamfactory-studio models get mms-tts-eng --accept-licence --use`, install espeak-ng, or set "
        '[speech] backend = "openai".'
    ]


@dataclass
class ExportResult:
    video: Path | None
    srt: Path | None
    duration: float
    scenes: int
    renders: int
    syntheses: int
    pdf: Path | None = None
    frames: list[Path] = field(default_factory=list)
    csv: Path | None = None
    warnings: list[str] = field(default_factory=list)
    timeline: Timeline | None = None
    edit: Path | None = None


def export_settings(settings: Settings, options: ExportOptions) -> ExportSettings:
    """The export section of the settings with this export's changes applied and checked."""
    changes = {
        "transition": options.transition,
        "crossfade": options.crossfade,
        "title_card": options.title_card,
        "end_card": options.end_card,
    }
    if options.burn_subtitles is not None:
        changes["subtitles"] = "burn" if options.burn_subtitles else "file"
    if options.music is not None:
        changes["music"] = str(options.music)
    changes = {key: value for key, value in changes.items() if value is not None}
    try:
        return ExportSettings.model_validate({**settings.export.model_dump(), **changes})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise BadInput(f"the export's {where} cannot be {first.get('input')!r}: {first['msg']}.") from None


def prepare_outputs(
    settings: Settings, options: ExportOptions, project_root: Path | None = None
) -> tuple[ExportSettings, FilmFormat]:
    """Check an export before any work is done (the CLI's ``render`` calls it before the crew starts): refuse
    what cannot be written or would land on a file of the project at ``project_root``, make missing folders;
    return the export settings and the film's format."""
    chosen = export_settings(settings, options)
    music = Path(chosen.music).expanduser() if chosen.music else None
    if options.output is None and not any(
        (options.timeline, options.pdf, options.frames, options.csv, options.srt)
    ):
        raise BadInput(
            "nothing to export: name the film (OUT.mp4), or ask for --timeline, --pdf, --frames or --csv."
        )
    if options.output is not None:
        options.output = Path(options.output).expanduser().resolve()
        if options.output.suffix.lower() != ".mp4":
            raise BadInput(
                f"the film is written as H.264 MP4; name it with .mp4 (got {options.output.name})."
            )
    if options.timeline is not None:
        options.timeline = Path(options.timeline).expanduser().resolve()
        timeline_format(options.timeline)
    if music is not None and not music.is_file():
        raise BadInput(f"the music file {music} does not exist.")
    if music is not None:
        check_audio(music)
    if project_root is not None:
        srt = options.srt or (options.output.with_suffix(".srt") if options.output else None)
        for what, path in (
            ("film", options.output),
            ("edit", options.timeline),
            ("subtitles", srt),
            ("PDF storyboard", options.pdf),
            ("shot list", options.csv),
            ("PNG sequence", options.frames),
        ):
            if path is not None and holds(project_root, path):
                raise BadInput(
                    f"the {what} would be written over the project's own files ({Path(path).expanduser()}); "
                    f"choose a place outside them, such as {Path(project_root) / 'exports'}."
                )
    outputs = (options.output, options.srt, options.pdf, options.csv, options.timeline)
    folders = [p.parent for p in outputs if p is not None]
    folders += [options.frames] if options.frames else []
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=folder):
                pass  # a real write: permissions, read-only mounts and ACLs all answer
        except OSError as exc:
            raise BadInput(
                f"cannot write in {folder} ({exc.strerror or exc}); choose another place."
            ) from None
    for path in outputs:
        if path is not None and path.is_dir():
            raise BadInput(f"{path} is a folder; give a file name.")
    film_format = FilmFormat.parse(
        options.resolution or settings.defaults.resolution, options.fps or settings.defaults.fps
    )
    return chosen, film_format


async def export_project(
    folder: ProjectFolder,
    project: Project,
    backends: Backends,
    options: ExportOptions,
    *,
    emit: Emit = ignore,
) -> ExportResult:
    """Export ``project`` with the speech and video backends of ``backends``, on its GPU worker; cancelling the
    awaiting task stops it and leaves no partial file."""
    from dreamfactory_studio.core.dialogue import dialogue_rows
    from dreamfactory_studio.export.documents import write_frames, write_shot_list
    from dreamfactory_studio.export.storyboard_pdf import Panel, write_storyboard
    from dreamfactory_studio.export.subtitles import write_srt

    settings = backends.settings
    chosen, film_format = prepare_outputs(settings, options, folder.root)
    maker = FilmMaker(
        folder,
        project,
        speech=backends.speech,
        video=backends.video,
        worker=backends.worker,
        settings=chosen,
        film_format=film_format,
        words_per_second=settings.speech.words_per_second,
        clip_end=settings.video.clip_end,
        emit=emit,
    )
    plans = await maker.prepare()
    timeline = build_timeline(plans, chosen, film_format.fps, title=project.title)

    result = ExportResult(
        video=None,
        srt=None,
        duration=timeline.duration,
        scenes=len(plans),
        renders=maker.renders,
        syntheses=maker.syntheses,
        warnings=list(timeline.warnings) + maker.notes + _silent(settings, project),
        timeline=timeline,
    )
    if options.output is not None:
        await _assemble(project, timeline, options, chosen, film_format, emit)
        result.video = options.output
    srt_path = options.srt or (options.output.with_suffix(".srt") if options.output else None)
    if srt_path is not None:
        result.srt = _written("subtitles", srt_path, lambda: write_srt(srt_path, timeline.cues))
    if options.timeline:
        result.edit = await asyncio.to_thread(
            _written,
            "edit",
            options.timeline,
            lambda: _write_edit(folder, project, plans, timeline, options, film_format),
        )
    if options.pdf:
        emit(ExportProgress("pdf", 0, 1))
        panels = []
        names = {c.id: c.name for c in project.characters}
        for plan in plans:
            scene = project.scene(plan.scene_id)
            panels.append(
                Panel(
                    number=plan.number,
                    title=plan.title,
                    image=folder.asset_path(scene.keyframe.image),
                    duration=plan.length,
                    shot=", ".join(part for part in (scene.shot, scene.camera) if part),
                    script=scene.script,
                    narration=plan.narration,
                    setting=scene.setting.heading if scene.setting else "",
                    dialogue=tuple(dialogue_rows(scene.dialogue, names)) if plan.dialogue else (),
                )
            )
        aspect = film_format.width / film_format.height
        heading = f"{project.title}, by {project.author}" if project.author else project.title
        result.pdf = await asyncio.to_thread(
            _written,
            "PDF storyboard",
            options.pdf,
            lambda: write_storyboard(options.pdf, heading, panels, aspect=aspect),
        )
        emit(ExportProgress("pdf", 1, 1))
    if options.frames:
        result.frames = await asyncio.to_thread(
            _written, "PNG sequence", options.frames, lambda: write_frames(folder, project, options.frames)
        )
    if options.csv:
        result.csv = _written(
            "shot list", options.csv, lambda: write_shot_list(options.csv, project, timeline)
        )
    return result


def _written(what: str, path: Path, write):
    """Run a document writer, turning a file system refusal into one clear message."""
    try:
        return write()
    except OSError as exc:
        raise BadInput(
            f"cannot write the {what} to {path} ({exc.strerror or exc}); choose another place."
        ) from None


async def _assemble(
    project: Project, timeline: Timeline, options: ExportOptions, chosen, film_format, emit: Emit
) -> None:
    """Write the MP4 off the event loop; cancelling stops it and leaves no partial file."""
    from dreamfactory_studio.export.assembly import assemble

    loop = asyncio.get_running_loop()
    stop = threading.Event()
    last = [-1]

    def progress(done: int, total: int) -> None:
        percent = done * 100 // max(1, total)
        if percent != last[0]:
            last[0] = percent
            loop.call_soon_threadsafe(emit, ExportProgress("video", done, total))

    job = loop.run_in_executor(
        None,
        lambda: assemble(
            timeline,
            options.output,
            film_format,
            chosen,
            title=project.title,
            burn_subtitles=chosen.subtitles == "burn",
            music=Path(chosen.music).expanduser() if chosen.music else None,
            on_progress=progress,
            cancelled=stop.is_set,
        ),
    )
    try:
        await asyncio.shield(job)
    except asyncio.CancelledError:
        stop.set()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await job  # let it remove its temporary file before we return
        raise
    except GenerationCancelled:
        raise asyncio.CancelledError from None


def _write_edit(folder, project, plans, timeline: Timeline, options: ExportOptions, film_format) -> Path:
    from dreamfactory_studio.export.editorial import build_edit, scene_media, write_cards, write_edit

    where = options.timeline
    cards = write_cards(
        timeline, project.title, where.with_name(f"{where.stem} cards"), film_format.width, film_format.height
    )
    relative = where.parent if where.suffix.lower() == ".otio" else None
    edit = build_edit(
        timeline, scene_media(project, plans, folder.asset_path), project.title, relative, cards
    )
    return write_edit(where, edit)

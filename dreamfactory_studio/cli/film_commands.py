"""The commands that make and score the film: export, render (new, run and export in one go), evaluate, compare."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dreamfactory_studio.cli.options import settings_for
from dreamfactory_studio.core.errors import BadInput
from dreamfactory_studio.core.project_folder import ProjectFolder
from dreamfactory_studio.workspace import Workspace


def _export_options(args: argparse.Namespace):
    from dreamfactory_studio.export.exporter import ExportOptions

    def path(value: str | None) -> Path | None:
        return Path(value).expanduser() if value else None

    return ExportOptions(
        output=path(args.output),
        timeline=path(getattr(args, "timeline", None)),
        pdf=path(args.pdf),
        frames=path(args.frames),
        srt=path(args.srt),
        csv=path(args.csv),
        resolution=args.resolution,
        fps=args.fps,
        transition=args.transition,
        crossfade=args.crossfade,
        burn_subtitles=args.burn_subtitles,
        music=path(args.music),
        title_card=args.title_card,
        end_card=args.end_card,
    )


def _print_export(result) -> None:
    minutes, seconds = divmod(round(result.duration), 60)
    if result.video:
        print(f"wrote {result.video} ({result.scenes} scenes, {minutes}:{seconds:02d})")
    if result.srt:
        print(f"subtitles: {result.srt}")
    if result.edit:
        print(f"edit: {result.edit} ({result.scenes} scenes, {minutes}:{seconds:02d})")
    if result.pdf:
        print(f"storyboard: {result.pdf}")
    if result.frames:
        print(f"keyframes: {len(result.frames)} PNG files in {result.frames[0].parent}")
    if result.csv:
        print(f"shot list: {result.csv}")
    print(
        f"rendered {result.renders} clip(s) and spoke {result.syntheses} narration(s); "
        f"{result.scenes - result.renders} clip(s) were reused unchanged"
    )
    for warning in result.warnings:
        print(f"warning: {warning}")


def cmd_export(args: argparse.Namespace) -> int:
    import asyncio

    from dreamfactory_studio.cli.printer import ExportPrinter

    settings, options = settings_for(args), _export_options(args)
    with Workspace.open(args.project, settings=settings) as workspace:
        result = asyncio.run(workspace.export(options, emit=ExportPrinter(sys.stdout)))
    _print_export(result)
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    import asyncio

    from dreamfactory_studio.cli.printer import ExportPrinter
    from dreamfactory_studio.core.events import ignore
    from dreamfactory_studio.core.new_project import new_project
    from dreamfactory_studio.core.project_folder import is_project
    from dreamfactory_studio.export.exporter import prepare_outputs
    from dreamfactory_studio.production.run_plan import RunRequest

    settings = settings_for(args)
    options = _export_options(args)
    target = Path(args.project).expanduser() if args.project else options.output.with_suffix(".dreamfactory")
    prepare_outputs(settings, options, target)  # refuse a bad output now, not after the crew and keyframes
    if is_project(target):
        folder = ProjectFolder.open(target)
        print(f"continuing the project in {target}")
    else:
        folder = new_project(args.story_file, target, scenes=args.scenes, style=args.style)
        print(f"made a project in {target}")
    quiet = ignore if args.quiet else ExportPrinter(sys.stdout)

    async def make(workspace: Workspace):
        ran = await workspace.run(RunRequest())
        if ran and not args.quiet:
            print(f"ran: {', '.join(ran)}")
        return await workspace.export(options, emit=quiet)

    with Workspace(folder, settings=settings) as workspace:
        result = asyncio.run(make(workspace))
    _print_export(result)
    print(
        f"the project is in {target}: open it with `dreamfactory-studio open {target}` to edit and export again"
    )
    return 0


def _reference(args: argparse.Namespace) -> Path | None:
    if not args.reference:
        return None
    reference = Path(args.reference).expanduser()
    if not reference.is_dir():
        raise BadInput(
            f"the reference folder {reference} does not exist; give a folder of real images or videos."
        )
    return reference


def cmd_evaluate(args: argparse.Namespace) -> int:
    import asyncio

    from dreamfactory_studio.cli.printer import print_evaluation
    from dreamfactory_studio.core.project_folder import is_project
    from dreamfactory_studio.eval.evaluate import Evaluator, project_frames

    target, reference = Path(args.project).expanduser(), _reference(args)
    settings = settings_for(args)

    def say(message: str) -> None:
        print(message, file=sys.stderr)

    if is_project(target):
        with Workspace.open(target, settings=settings) as workspace:
            evaluation = asyncio.run(workspace.evaluate(reference, say=say))
            frames = project_frames(workspace.folder, workspace.project)
            title, where = workspace.project.title, f"saved in {target}"
    elif target.is_dir():
        evaluation, frames = asyncio.run(Evaluator(settings, say).outputs(target, reference))
        title, where = target.name, ""
    else:
        raise BadInput(f"{target} is neither a project nor a folder of outputs.")
    if args.report:
        from dreamfactory_studio.eval.report import write_report

        report = write_report(Path(args.report).expanduser(), title, evaluation, frames)
        where += f"{'; ' if where else ''}report: {report}"
    print_evaluation(evaluation, frames, sys.stdout, as_json=args.json)
    if where and not args.json:
        print(where)
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    import asyncio

    from dreamfactory_studio.eval.compare import compare

    stories = [Path(story).expanduser() for story in args.stories]
    for story in stories:
        if not story.is_file():
            raise BadInput(f"there is no story file {story}.")
    out = Path(args.out).expanduser()
    result = asyncio.run(
        compare(
            stories,
            out,
            settings_for(args),
            reference=_reference(args),
            scenes=args.scenes,
            say=lambda message: print(message, file=sys.stderr),
        )
    )
    print(result.markdown(), end="")
    for key, why in result.missing().items():
        print(f"not computed: {key}: {why}")
    print(f"written: {out / 'comparison.csv'} and {out / 'comparison.md'}")
    return 0


def cmd_import_edit(args: argparse.Namespace) -> int:
    with Workspace.open(args.project) as workspace:
        reading = workspace.read_edit(Path(args.edit_file))
        for line in reading.unmatched:
            print(f"not mapped: {line}")
        if args.dry_run:
            print(workspace.describe_edit(reading))
            return 0
        cut = workspace.conform(reading, Path(args.edit_file).name)
        workspace.save()
        print(workspace.describe_edit(reading, cut))
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from dreamfactory_studio.core import edits

    with Workspace.open(args.project) as workspace:
        project = workspace.project
        ids = None
        if args.scene:
            wanted = args.scene.casefold()
            ids = [c.scene.id for c in project.cut_scenes if wanted in (c.scene.id, c.scene.title.casefold())]
        restored = edits.restore_scenes(project, ids)
        workspace.save()
    print("restored: " + "; ".join(f"{s.title or s.id}" for s in restored))
    return 0

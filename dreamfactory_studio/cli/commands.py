"""What each CLI command does. Errors the user can cause become one line on stderr and an exit code."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from dreamfactory_studio.core.errors import BadInput, StudioError
from dreamfactory_studio.core.logs import redact, setup_logging
from dreamfactory_studio.core.project_folder import ProjectFolder
from dreamfactory_studio.workspace import Workspace

log = logging.getLogger("dreamfactory_studio.cli")


def dispatch(args: argparse.Namespace) -> int:
    log_file = setup_logging()
    handler = COMMANDS[args.command or "open"]
    try:
        return handler(args) or 0
    except StudioError as exc:
        log.info("%s: %s", type(exc).__name__, exc, exc_info=True)
        print(f"dreamfactory-studio: {redact(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("dreamfactory-studio: interrupted; everything finished so far is saved.", file=sys.stderr)
        return 130
    except Exception as exc:
        log.exception("unexpected error in %s", args.command)
        print(
            f"dreamfactory-studio: unexpected error ({type(exc).__name__}: {redact(str(exc))}). "
            f"Details are in {log_file}; please report them.",
            file=sys.stderr,
        )
        return 1


def cmd_open(args: argparse.Namespace) -> int:
    from dreamfactory_studio.app.studio import launch
    from dreamfactory_studio.workspace.sample import sample_project

    project = getattr(args, "project", None)
    if getattr(args, "sample", False):
        project = str(sample_project())
    elif project:
        # A path that is no project is one line here; a damaged or locked one gets the window's dialogs.
        ProjectFolder.open(project, read_only=True)
    return launch(project, read_only=getattr(args, "read_only", False))


def cmd_new(args: argparse.Namespace) -> int:
    from dreamfactory_studio.core.new_project import new_project

    with new_project(
        args.story_file, args.project, scenes=args.scenes, style=args.style, title=args.title
    ) as folder:
        project = folder.load()
    print(f"made project '{project.title}' in {folder.root}")
    print(f"next: dreamfactory-studio run {folder.root}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    import asyncio

    from dreamfactory_studio.cli.printer import ConversationPrinter
    from dreamfactory_studio.core.events import ignore
    from dreamfactory_studio.production.run_plan import RunRequest

    settings = _settings_for(args)
    if sum(bool(x) for x in (args.phase, args.from_scene, args.scene, args.next)) > 1:
        raise BadInput("give one of --phase, --next, --from-scene and --scene.")
    request = RunRequest(
        until=args.until,
        step=args.next,
        phase=args.phase,
        from_scene=args.from_scene or args.scene,
        only=bool(args.scene),
        overwrite_edits=args.overwrite_edits,
    )
    with Workspace.open(args.project, settings=settings) as workspace:
        printer = ignore if args.quiet else ConversationPrinter(sys.stdout)
        crew = {"crew_preset": args.crew, "mode": args.mode}
        ran = asyncio.run(workspace.run(workspace.plan(request, **crew), emit=printer, **crew))
    if ran:
        print(f"done: {', '.join(ran)}; saved in {workspace.root}")
    else:
        print(
            f"nothing to do: the phases up to {args.until or 'the end'} are done. Re-run one with --phase NAME."
        )
    return 0


def cmd_pin(args: argparse.Namespace) -> int:
    from dreamfactory_studio.core import edits
    from dreamfactory_studio.production.imports import import_base_frame, import_take

    with Workspace.open(args.project) as workspace:
        folder, project = workspace.folder, workspace.project
        if args.base_frame:
            if args.unpin:
                edits.unpin_base_frame(project)
                said = "unpinned the Base Frame"
            elif args.image:
                import_base_frame(folder, project, args.image)
                said = f"pinned {args.image} as the Base Frame"
            else:
                if not args.scene:
                    raise BadInput(
                        "say which scene's take to pin as the Base Frame with --scene K, or give --image."
                    )
                edits.pin_base_frame(project, edits.find_scene(project, args.scene), args.take)
                said = f"pinned scene {args.scene}'s keyframe as the Base Frame"
        else:
            if not args.scene:
                raise BadInput("say which scene to pin with --scene K (or --base-frame).")
            scene = edits.find_scene(project, args.scene)
            if args.image:
                take = import_take(folder, project, scene, args.image)
                edits.pin_scene(scene, take.id)
            else:
                edits.pin_scene(scene, args.take, pinned=not args.unpin)
            said = f"{'unpinned' if args.unpin else 'pinned'} scene {args.scene}'s keyframe"
        workspace.save()
    print(said)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from dreamfactory_studio.cli.printer import print_project
    from dreamfactory_studio.core.project_folder import project_json

    with Workspace.open(args.project, read_only=True) as workspace:
        project, folder = workspace.project, workspace.folder
    if args.transcript:
        from dreamfactory_studio.cli.printer import print_transcript
        from dreamfactory_studio.production.crew_config import load_crew

        titles = {role: card.title for role, card in load_crew(folder.root).roles.items()}
        print_transcript(project.transcripts, sys.stdout, titles, role=args.transcript)
    elif args.json:
        print(project_json(project))
    else:
        print_project(project, sys.stdout)
    return 0


def cmd_edit(args: argparse.Namespace) -> int:
    from dreamfactory_studio.core import edits

    with Workspace.open(args.project) as workspace:
        project = workspace.project
        done: list[str] = []
        scene_values = {
            "title": args.title,
            "script": args.script,
            "narration": args.narration,
            "shot": args.shot,
            "camera": args.camera,
            "duration": args.duration,
            "characters": [n.strip() for n in args.characters.split(",") if n.strip()]
            if args.characters
            else None,
        }
        if any(v is not None for v in scene_values.values()):
            if not args.scene:
                raise BadInput("say which scene to change with --scene K.")
            changed = edits.edit_scene(project, edits.find_scene(project, args.scene), **scene_values)
            done += [f"scene {args.scene} {name}" for name in changed]
        if any(v is not None for v in (args.style, args.palette, args.lighting)):
            changed = edits.edit_style(
                project, style=args.style, palette=args.palette, lighting=args.lighting
            )
            done += [f"style {name}" for name in changed]
        if args.character:
            edits.edit_character(project, args.character, description=args.description, rename=args.rename)
            done.append(f"character {args.rename or args.character}")
        elif args.description is not None or args.rename is not None:
            raise BadInput("say which character to change with --character NAME.")
        if args.outline is not None:
            edits.edit_outline(project, args.outline)
            done.append("outline")
        if args.direction:
            edits.set_direction(project, *args.direction)
            done.append(f"direction for {args.direction[0]}")
        if args.base_description is not None:
            edits.edit_base_description(project, args.base_description)
            done.append("Base Description")
        if not done:
            raise BadInput("nothing to change; see `dreamfactory-studio edit --help` for what can be edited.")
        workspace.save()
    print("changed: " + "; ".join(done))
    return 0


def cmd_scene(args: argparse.Namespace) -> int:
    from dreamfactory_studio.core import edits

    with Workspace.open(args.project) as workspace:
        project = workspace.project
        if args.to and not args.move:
            raise BadInput("--to goes with --move.")
        if args.insert:
            edits.insert_scene(project, args.insert)
            said = f"inserted a blank scene at {args.insert}; write it with `edit --scene {args.insert}`"
        elif args.duplicate:
            edits.duplicate_scene(project, args.duplicate)
            said = f"copied scene {args.duplicate} to scene {args.duplicate + 1}"
        elif args.move:
            if not args.to:
                raise BadInput("say where the scenes go with --to J.")
            edits.move_scenes(project, args.move, args.to)
            said = f"moved scene(s) {', '.join(map(str, args.move))} to position {args.to}"
        else:
            removed = edits.delete_scenes(project, args.delete)
            said = f"deleted {len(removed)} scene(s); their images stay in the project's assets"
        workspace.save()
    print(f"{said}; the project has {len(project.scenes)} scenes")
    return 0


def cmd_take(args: argparse.Namespace) -> int:
    from dreamfactory_studio.core import edits
    from dreamfactory_studio.production.imports import import_take

    with Workspace.open(
        args.project, read_only=not (args.select or args.delete or args.import_file)
    ) as workspace:
        folder, project = workspace.folder, workspace.project
        scene = edits.find_scene(project, args.scene)
        if args.select:
            edits.select_take(scene, args.select)
            said = f"scene {args.scene}'s keyframe is now take {args.select}"
        elif args.delete:
            edits.delete_take(project, scene, args.delete)
            said = f"deleted take {args.delete} of scene {args.scene}"
        elif args.import_file:
            take = import_take(folder, project, scene, args.import_file)
            said = f"added {args.import_file} as take {take.id} of scene {args.scene}"
        else:
            for take in scene.takes:
                mark = "*" if take.id == scene.selected_take else " "
                score = f"{take.score:.2f}" if take.score is not None else "  - "
                print(f"{mark} {take.id}  seed {take.seed:<10} score {score}  {take.backend}  {take.image}")
            if not scene.takes:
                print(f"scene {args.scene} has no takes yet")
            return 0
        workspace.save()
    print(said)
    return 0


def cmd_describe(args: argparse.Namespace) -> int:
    import asyncio
    import difflib

    from dreamfactory_studio.core import edits

    with Workspace.open(args.project, read_only=not args.apply) as workspace:
        project = workspace.project
        text = asyncio.run(workspace.describe())
        old = project.base_description.text
        label = workspace.backends.monitor.label
        diff = difflib.unified_diff(
            old.splitlines(), text.splitlines(), "current", f"new ({label})", lineterm=""
        )
        print("\n".join(diff) or "the monitor's description is the same as the current one")
        if args.apply:
            edits.replace_base_description(project, text)
            workspace.save()
            print("replaced the Base Description with the monitor's")
        elif text != old:
            print("nothing was changed; add --apply to replace the Base Description")
    return 0


def cmd_settings(args: argparse.Namespace) -> int:
    import asyncio
    import getpass

    import tomli_w

    from dreamfactory_studio.backends.backend_set import check_llm
    from dreamfactory_studio.core.settings import (
        apply_llm_preset,
        load_settings,
        save_settings,
        set_setting,
        settings_path,
        store_api_key,
    )

    settings = load_settings(environment=False)
    changed = bool(args.set or args.preset)
    if args.preset:
        apply_llm_preset(settings.llm, args.preset)
    for item in args.set:
        name, equals, value = item.partition("=")
        if not equals:
            raise BadInput(f"--set needs SECTION.KEY=VALUE, not {item!r}.")
        settings = set_setting(settings, name.strip(), value.strip())
    if changed:
        save_settings(settings)
        print(f"saved {settings_path()}")
    if args.store_key:
        key = getpass.getpass("API key: ") if sys.stdin.isatty() else sys.stdin.readline().strip()
        if not key:
            raise BadInput("no key was given; nothing was stored.")
        store_api_key(settings.llm.base_url, key)
        print(f"stored the key for {settings.llm.base_url or 'api.openai.com'} in the OS keyring")
    if args.check_llm:
        print(asyncio.run(check_llm(load_settings().llm)))
    if not (changed or args.store_key or args.check_llm):
        print(f"# {settings_path()}")
        print(tomli_w.dumps(settings.model_dump(mode="json")), end="")
    return 0


def _settings_for(args: argparse.Namespace):
    """The settings, with what this command's options change for this run only."""
    from dreamfactory_studio.core.settings import load_settings

    settings = load_settings()
    if getattr(args, "llm_url", None) is not None:
        settings.llm.base_url = args.llm_url
    if getattr(args, "llm_model", None):
        settings.llm.model = args.llm_model
    for section in (settings.image, settings.video):
        kind = "image" if section is settings.image else "video"
        model, backend = getattr(args, f"{kind}_model", None), getattr(args, f"{kind}_backend", None)
        if model:  # a model given on the command line is a diffusers model unless a backend is named
            section.model, section.backend = model, backend or "diffusers"
        elif backend:
            section.backend = backend
    if getattr(args, "speech", None):
        settings.speech.backend = args.speech
    return settings


def _export_options(args: argparse.Namespace):
    from dreamfactory_studio.export.exporter import ExportOptions

    def path(value: str | None) -> Path | None:
        return Path(value).expanduser() if value else None

    return ExportOptions(
        output=Path(args.output),
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
    print(f"wrote {result.video} ({result.scenes} scenes, {minutes}:{seconds:02d})")
    print(f"subtitles: {result.srt}")
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

    settings, options = _settings_for(args), _export_options(args)
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

    settings = _settings_for(args)
    options = _export_options(args)
    prepare_outputs(settings, options)  # refuse a bad output now, not after the crew and the keyframes
    target = Path(args.project).expanduser() if args.project else options.output.with_suffix(".dreamfactory")
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
    settings = _settings_for(args)

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
            _settings_for(args),
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


def cmd_recover(args: argparse.Namespace) -> int:
    with ProjectFolder.open(args.project) as folder:
        project = folder.recover()
    print(
        f"restored '{project.title}' from its autosave of {project.modified:%Y-%m-%d %H:%M} in {Path(folder.root)}"
    )
    return 0


def cmd_gpu_stack(args: argparse.Namespace) -> int:
    from dreamfactory_studio.backends import gpu_stack

    if args.action == "remove":
        removed = gpu_stack.remove_managed_stack()
        print(f"removed {gpu_stack.managed_dir()}" if removed else "there was no GPU stack to remove")
        return 0
    if args.action == "install":
        import signal

        def stop(*_):  # the window's Cancel: an exception, so that pip is stopped with this process
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
        wanted = " ".join(gpu_stack.requirements(args.torch))
        print(f"installing {wanted} (this can take a few minutes)", flush=True)
        print(f"installed into {gpu_stack.install(args.torch, args.torch_index)}")
    where = gpu_stack.managed_dir()
    print(f"managed folder: {where}{'' if where.is_dir() else ' (not installed)'}")
    for name, version in gpu_stack.installed_versions().items():
        print(f"  {name:<13}{version or 'missing'}")
    missing = gpu_stack.missing_parts()
    print("the diffusers backends can run" if not missing else f"missing: {', '.join(missing)}")
    return 0


COMMANDS = {
    "open": cmd_open,
    "new": cmd_new,
    "run": cmd_run,
    "show": cmd_show,
    "edit": cmd_edit,
    "pin": cmd_pin,
    "scene": cmd_scene,
    "take": cmd_take,
    "describe": cmd_describe,
    "settings": cmd_settings,
    "export": cmd_export,
    "render": cmd_render,
    "evaluate": cmd_evaluate,
    "compare": cmd_compare,
    "recover": cmd_recover,
    "gpu-stack": cmd_gpu_stack,
}

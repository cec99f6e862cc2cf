"""What each CLI command does: each takes the parsed arguments, opens a workspace, calls it and prints. Errors
the user can cause become one line on stderr and an exit code. The commands are grouped by module: here the project and
the production; editing in :mod:`.edit_commands`; the film in :mod:`.film_commands`; set-up in
:mod:`.setup_commands`."""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
from pathlib import Path

from dreamfactory_studio.cli.edit_commands import cmd_cast, cmd_edit, cmd_pin, cmd_scene, cmd_take
from dreamfactory_studio.cli.film_commands import (
    cmd_compare,
    cmd_evaluate,
    cmd_export,
    cmd_import_edit,
    cmd_render,
    cmd_restore,
)
from dreamfactory_studio.cli.options import settings_for
from dreamfactory_studio.cli.setup_commands import cmd_gpu_stack, cmd_models, cmd_settings
from dreamfactory_studio.core.errors import BadInput, StudioError, advised, as_user_error
from dreamfactory_studio.core.logs import setup_logging
from dreamfactory_studio.core.project_folder import ProjectFolder
from dreamfactory_studio.core.secrets import redact
from dreamfactory_studio.workspace import Workspace

log = logging.getLogger("dreamfactory_studio.cli")


def _stop_on_sigterm() -> None:
    """SIGTERM (``timeout``, a session's end) stops a command as Ctrl+C does: whatever it holds is let go of,
    its scratch files removed, and what it finished kept."""

    def stop(*_):
        raise KeyboardInterrupt

    with contextlib.suppress(ValueError):  # not the main thread (a test calling main in a thread)
        signal.signal(signal.SIGTERM, stop)


def dispatch(args: argparse.Namespace) -> int:
    if args.command not in (None, "open"):  # the window runs Qt's loop, where a Python handler never runs
        _stop_on_sigterm()
    try:
        log_file = setup_logging()
    except OSError as exc:
        print(f"dreamfactory-studio: {as_user_error(exc) or exc}", file=sys.stderr)
        return 2
    handler = COMMANDS[args.command or "open"]
    try:
        return handler(args) or 0
    except StudioError as exc:
        log.info("%s: %s", type(exc).__name__, exc, exc_info=True)
        _say(advised(exc, "cli"))
        return exc.exit_code
    except KeyboardInterrupt:
        _say("interrupted; everything finished so far is saved.")
        return 130
    except Exception as exc:
        known = as_user_error(exc)
        if known is not None:
            log.info("%s in %s", type(exc).__name__, args.command, exc_info=True)
            _say(str(known))
            return known.exit_code
        log.exception("unexpected error in %s", args.command)
        _say(
            f"unexpected error ({type(exc).__name__}: {str(exc)[:500]}). Details are in {log_file}; please "
            "report them."
        )
        return 1


MAX_MESSAGE = 2000
"""The most characters of an error line: what a server said may be megabytes, and the log keeps it whole."""


def _say(message: str) -> None:
    """One line on stderr: the message redacted, its line breaks made spaces, cut at :data:`MAX_MESSAGE`."""
    text = " ".join(redact(message)[: MAX_MESSAGE * 4].split())
    if len(text) > MAX_MESSAGE:
        text = text[: MAX_MESSAGE - 1] + "…"
    print(f"dreamfactory-studio: {text}", file=sys.stderr)


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
        args.story_file,
        args.project,
        scenes=args.scenes,
        style=args.style,
        title=args.title,
        merge_scenes=args.merge_scenes,
    ) as folder:
        project = folder.load()
    print(f"made project '{project.title}' in {folder.root}")
    if project.source != "story":
        print(
            f"from the screenplay: {len(project.scenes)} scenes and {len(project.characters)} characters "
            f"({', '.join(c.name for c in project.characters)}); the crew keeps them and fills shot and camera"
        )
    elif Path(args.story_file).suffix.lower() in (".fountain", ".spmd"):
        print("the screenplay has no scene headings, so it was read as a story; the crew makes the scenes")
    print(f"next: dreamfactory-studio run {folder.root}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    import asyncio

    from dreamfactory_studio.cli.printer import ConversationPrinter
    from dreamfactory_studio.core.events import ignore
    from dreamfactory_studio.production.run_plan import RunRequest

    settings = settings_for(args)
    if sum(bool(x) for x in (args.phase, args.from_scene, args.scene, args.next)) > 1:
        raise BadInput("give one of --phase, --next, --from-scene and --scene.")
    from dreamfactory_studio.core.scene_ids import find_scene

    with Workspace.open(args.project, settings=settings) as workspace:
        number = args.from_scene or args.scene
        request = RunRequest(
            until=args.until,
            step=args.next,
            phase=args.phase,
            from_scene=find_scene(workspace.project, number).id if number else None,
            only=bool(args.scene),
            overwrite_edits=args.overwrite_edits,
        )
        printer = ignore if args.quiet else ConversationPrinter(sys.stdout)
        crew = {"crew_preset": args.crew, "mode": args.mode}
        ran = asyncio.run(workspace.run(request, emit=printer, **crew))
    if ran:
        print(f"done: {', '.join(ran)}; saved in {workspace.root}")
    else:
        print(
            f"nothing to do: the phases up to {args.until or 'the end'} are done. Re-run one with --phase NAME."
        )
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from dreamfactory_studio.cli.printer import print_project
    from dreamfactory_studio.core.project_folder import project_json

    with Workspace.open(args.project, read_only=True) as workspace:
        project, folder = workspace.project, workspace.folder
        lengths = {scene.id: workspace.scene_length(scene) for scene in project.scenes}
    if args.transcript:
        from dreamfactory_studio.cli.printer import print_transcript
        from dreamfactory_studio.production.crew_config import load_crew

        titles = {role: card.title for role, card in load_crew(folder.root).roles.items()}
        print_transcript(project.transcripts, sys.stdout, titles, role=args.transcript)
    elif args.json:
        print(project_json(project))
    else:
        print_project(project, sys.stdout, lambda scene: lengths[scene.id])
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


def cmd_recover(args: argparse.Namespace) -> int:
    with ProjectFolder.open(args.project) as folder:
        project = folder.recover(force=args.force)
    print(
        f"restored '{project.title}' from its autosave of {project.modified:%Y-%m-%d %H:%M} in {Path(folder.root)}"
    )
    return 0


COMMANDS = {
    "open": cmd_open,
    "new": cmd_new,
    "run": cmd_run,
    "show": cmd_show,
    "edit": cmd_edit,
    "cast": cmd_cast,
    "models": cmd_models,
    "pin": cmd_pin,
    "scene": cmd_scene,
    "take": cmd_take,
    "describe": cmd_describe,
    "settings": cmd_settings,
    "export": cmd_export,
    "import-edit": cmd_import_edit,
    "restore": cmd_restore,
    "render": cmd_render,
    "evaluate": cmd_evaluate,
    "compare": cmd_compare,
    "recover": cmd_recover,
    "gpu-stack": cmd_gpu_stack,
}

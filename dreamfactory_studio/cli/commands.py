"""What each CLI command does. Errors the user can cause become one line on stderr and an exit code."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from dreamfactory_studio.core.errors import NotBuiltYet, StudioError
from dreamfactory_studio.core.logs import redact, setup_logging
from dreamfactory_studio.core.project_folder import ProjectFolder

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
    from dreamfactory_studio.production.sample import sample_project

    project = getattr(args, "project", None)
    if getattr(args, "sample", False):
        project = str(sample_project())
    elif project:
        # Check before the window starts, so that a bad path is one line here and not a dialog.
        ProjectFolder.open(project, read_only=True).load()
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
    with ProjectFolder.open(args.project) as folder:
        folder.load()
    raise NotBuiltYet(
        "`run` is not built yet: the crew and keyframe engines are still to come (issues 3 and 4)."
    )


def cmd_export(args: argparse.Namespace) -> int:
    with ProjectFolder.open(args.project, read_only=True) as folder:
        folder.load()
    raise NotBuiltYet("`export` is not built yet: video assembly is still to come (issue 5).")


def cmd_render(args: argparse.Namespace) -> int:
    from dreamfactory_studio.core.story import read_story

    read_story(args.story_file)
    raise NotBuiltYet("`render` is not built yet: it needs the crew, keyframes and export (issues 3 to 5).")


def cmd_evaluate(args: argparse.Namespace) -> int:
    with ProjectFolder.open(args.project, read_only=True) as folder:
        folder.load()
    raise NotBuiltYet("`evaluate` is not built yet: the metrics are still to come (issue 8).")


def cmd_recover(args: argparse.Namespace) -> int:
    with ProjectFolder.open(args.project) as folder:
        project = folder.recover()
    print(
        f"restored '{project.title}' from its autosave of {project.modified:%Y-%m-%d %H:%M} in {Path(folder.root)}"
    )
    return 0


COMMANDS = {
    "open": cmd_open,
    "new": cmd_new,
    "run": cmd_run,
    "export": cmd_export,
    "render": cmd_render,
    "evaluate": cmd_evaluate,
    "recover": cmd_recover,
}

"""The command line: ``dreamfactory-studio COMMAND ...``. Everything the window does, on the same project.

Exit codes: 0 done; 1 failure; 2 bad input (one line on stderr says what to do).
Only ``argparse`` is imported up front so that ``--version`` and ``--help`` answer at once.
"""

from __future__ import annotations

import argparse
import sys

from dreamfactory_studio import __version__
from dreamfactory_studio.cli.operation_options import add_operation_options, positive_int
from dreamfactory_studio.core.backend_registry import names

PROG = "dreamfactory-studio"
PHASE_CHOICES = ("task", "style", "story", "script", "keyframes")


def _image_arguments(p: argparse.ArgumentParser) -> None:
    """The painter for this command only."""
    p.add_argument("--image-backend", choices=names("painter"))
    p.add_argument(
        "--image-model",
        metavar="PATH_OR_ID",
        help="a diffusers folder or a cached model id; a ComfyUI checkpoint",
    )
    p.add_argument("--image-url", metavar="URL", help="the image server: ComfyUI's address, or an OpenAI one")


def _compute_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--devices",
        metavar="LIST",
        help="a worker per device for this command: cpu,cpu or cuda:0,cuda:1 (auto: every visible GPU)",
    )
    p.add_argument(
        "--ray",
        metavar="ADDRESS",
        help="draw on a Ray cluster: auto, or HOST:PORT (ray://HOST:10001) of its head",
    )


def _export_arguments(p: argparse.ArgumentParser) -> None:
    _compute_arguments(p)
    p.add_argument("--pdf", metavar="FILE", help="also write a PDF storyboard")
    p.add_argument("--frames", metavar="DIR", help="also write the keyframes as a PNG sequence")
    p.add_argument("--srt", metavar="FILE", help="write the subtitles here (default: beside the video)")
    p.add_argument("--csv", metavar="FILE", help="also write the shot list as CSV")
    p.add_argument("--resolution", metavar="WxH", help="e.g. 1280x720 (the default) or 1920x1080")
    p.add_argument("--fps", type=int, choices=(24, 25, 30))
    p.add_argument("--transition", choices=("cut", "crossfade"))
    p.add_argument("--crossfade", type=float, metavar="SECONDS", help="the crossfade's length")
    p.add_argument(
        "--burn-subtitles", action="store_true", default=None, help="draw the subtitles into the picture"
    )
    p.add_argument(
        "--music", metavar="FILE", help="an audio file to play under the film (it dips under speech)"
    )
    p.add_argument("--no-title-card", dest="title_card", action="store_false", default=None)
    p.add_argument("--no-end-card", dest="end_card", action="store_false", default=None)
    p.add_argument("--speech", choices=names("speech"), help="how the narration is spoken")
    p.add_argument("--video-backend", choices=names("video"), help="how keyframes become clips")
    p.add_argument(
        "--video-model", metavar="PATH_OR_ID", help="a diffusers image-to-video folder or cached id"
    )
    p.add_argument(
        "--clip-end",
        choices=("free", "next", "own"),
        help="where each clip ends: where the model takes it, on the next keyframe, or on the scene's end frame",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="DreamFactory Studio: turn a story into a multi-scene film. With no command, opens the studio.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = commands.add_parser("open", help="open the studio window on a project")
    p.add_argument("project", nargs="?", help="a project folder")
    p.add_argument("--sample", action="store_true", help="open the sample project (made on first use)")
    p.add_argument("--read-only", action="store_true", help="open without taking the project's lock")

    p = commands.add_parser("new", help="make a project from a story or a screenplay (Fountain, Final Draft)")
    p.add_argument(
        "story_file", help="a UTF-8 text file holding the story, or a .fountain or .fdx screenplay"
    )
    p.add_argument("project", help="the folder to make (must not exist, or be empty)")
    p.add_argument("--scenes", type=positive_int, help="how many scenes the film should have")
    p.add_argument(
        "--style",
        help="a style: anime, illustration, origami, oil painting, realism, cyberpunk, "
        "ink wash, or your own words",
    )
    p.add_argument("--title", help="the film's title (default: from the story)")
    p.add_argument(
        "--merge-scenes",
        action="store_true",
        help="a screenplay with more scene headings than --scenes (or the limit): join neighbouring scenes",
    )

    p = commands.add_parser("run", help="run the production on a project")
    p.add_argument("project")
    p.add_argument("--until", choices=PHASE_CHOICES, help="stop after this phase, to edit before going on")
    p.add_argument("--from-scene", type=positive_int, metavar="K", help="re-run keyframes from scene K")
    p.add_argument("--llm-url", help="an OpenAI-compatible endpoint for this run")
    p.add_argument("--llm-model", help="the model to ask at that endpoint")
    _image_arguments(p)
    _compute_arguments(p)
    p.add_argument("--phase", choices=PHASE_CHOICES, help="re-run this one phase, even if it is done")
    p.add_argument(
        "--next", action="store_true", help="run only the next phase not done yet, then stop to edit"
    )
    p.add_argument("--scene", type=positive_int, metavar="K", help="redraw scene K's keyframe only")
    p.add_argument("--crew", choices=("small", "large"), help="the crew preset: how long each phase may talk")
    p.add_argument(
        "--mode",
        choices=("short", "long"),
        help="short (about 10 scenes) or long (about 30), when the project asked for no scene count",
    )
    p.add_argument(
        "--overwrite-edits", action="store_true", help="let the crew replace what you edited by hand"
    )
    p.add_argument("--quiet", action="store_true", help="do not print the conversation")

    p = commands.add_parser("show", help="print a project's decisions, characters and scenes")
    p.add_argument("project")
    p.add_argument("--json", action="store_true", help="print project.json's content")
    p.add_argument(
        "--transcript",
        nargs="?",
        const="all",
        metavar="ROLE",
        help="print the crew's conversation instead (all of it, or one role's: ceo, director, monitor, ...)",
    )

    p = commands.add_parser("edit", help="change a project by hand; what you change is kept from the crew")
    p.add_argument("project")
    p.add_argument("--scene", type=positive_int, metavar="K", help="the scene to change (1-based)")
    from dreamfactory_studio.core.scene_fields import SCENE_TEXT_FIELDS

    for name in SCENE_TEXT_FIELDS:
        p.add_argument(f"--{name}", help=f"the scene's {name}")
    p.add_argument(
        "--setting", metavar="HEADING", help="where and when, as a scene heading: 'EXT. ALLEY - NIGHT'"
    )
    p.add_argument(
        "--dialogue",
        metavar="TEXT",
        help="the scene's dialogue, a 'Name (V.O.): (how) words' a line ('-': stdin)",
    )
    p.add_argument("--duration", type=float, metavar="SECONDS", help="the scene's length")
    p.add_argument(
        "--clip-end",
        choices=("free", "next", "own", "export"),
        help="where the scene's clip ends (export: as the export says)",
    )
    p.add_argument("--characters", metavar="NAMES", help="the characters present, comma-separated")
    p.add_argument("--style", help="the film's style")
    p.add_argument("--palette", help="the style's palette")
    p.add_argument("--lighting", help="the style's lighting")
    p.add_argument("--character", metavar="NAME", help="the character to change (made if missing)")
    p.add_argument("--description", help="the character's look")
    p.add_argument("--rename", metavar="NEW_NAME", help="a new name for the character")
    p.add_argument("--outline", help="the story outline")
    p.add_argument("--direction", nargs=2, metavar=("PHASE", "TEXT"), help="your word to a phase's crew")
    p.add_argument(
        "--base-description", metavar="TEXT", help="your Base Description (empty: the monitor's again)"
    )

    p.add_argument(
        "--layout",
        metavar="NAME=L,T,R,B;...",
        help="with --scene: where each character stands, as fractions of the frame (empty: the crew's again)",
    )

    p = commands.add_parser(
        "cast", help="list the characters, or draw, import or pin a character's sheet and set their LoRA"
    )
    p.add_argument("project")
    p.add_argument("--character", metavar="NAME", help="the character (all of them are listed without it)")
    action = p.add_mutually_exclusive_group()
    action.add_argument(
        "--draw", action="store_true", help="draw the sheet again with the crew and the painter"
    )
    add_operation_options(p, "cast", action)

    p = commands.add_parser(
        "models",
        help="the models the studio can fetch, what this machine runs, and get, use or remove one; or list a "
        "models folder (ComfyUI, A1111, ...)",
    )
    p.add_argument(
        "action", nargs="?", metavar="get|use|remove|FOLDER", help="what to do; a folder lists what it holds"
    )
    p.add_argument("recipe", nargs="?", metavar="ID", help="the recipe to get, use or remove")
    p.add_argument("--use", action="store_true", help="with get: point the settings at it once fetched")
    p.add_argument(
        "--dry-run", action="store_true", help="with get: say what would be fetched, fetch nothing"
    )
    p.add_argument("--to", metavar="FOLDER", help="with get: fetch into this folder instead of the Hub cache")
    p.add_argument(
        "--accept-licence", action="store_true", help="with get: accept a gated or non-commercial licence"
    )
    p.add_argument(
        "--force", action="store_true", help="with get: fetch a GPU model on a machine without one"
    )

    p = commands.add_parser("pin", help="pin a keyframe or the Base Frame; pinned frames are never redrawn")
    p.add_argument("project")
    p.add_argument("--scene", type=positive_int, metavar="K", help="the scene whose keyframe to pin")
    p.add_argument("--take", metavar="TAKE_ID", help="pin this take (default: the selected one)")
    p.add_argument("--base-frame", action="store_true", help="pin it as the Base Frame instead")
    p.add_argument(
        "--end-frame",
        action="store_true",
        help="pin a take (or --image) as the frame the scene's clip ends on",
    )
    p.add_argument(
        "--draw", action="store_true", help="with --end-frame: the painter draws the end of the camera move"
    )
    _image_arguments(p)
    p.add_argument(
        "--image", metavar="FILE", help="import an image file (as a take of the scene, or the Base Frame)"
    )
    p.add_argument("--unpin", action="store_true", help="unpin instead")

    p = commands.add_parser("scene", help="insert, duplicate, move or delete scenes")
    p.add_argument("project")
    add_operation_options(p, "scene", p.add_mutually_exclusive_group(required=True))

    p = commands.add_parser("take", help="list, choose, delete or import the takes of a scene")
    p.add_argument("project")
    p.add_argument("--scene", type=positive_int, metavar="K", required=True, help="the scene (1-based)")
    action = p.add_mutually_exclusive_group()
    add_operation_options(p, "take", action)
    action.add_argument(
        "--redraw",
        metavar="LEFT,TOP,RIGHT,BOTTOM",
        help="draw this region of a take again in place, the rest kept (fractions of the frame, like --layout)",
    )
    p.add_argument(
        "--take", metavar="TAKE_ID", help="with --redraw: the take to redraw (default: the keyframe)"
    )
    p.add_argument("--character", metavar="NAME", help="with --redraw: whose sheet holds the region")
    p.add_argument(
        "--prompt", metavar="TEXT", help="with --redraw: what should change (default: the take's prompt)"
    )
    _image_arguments(p)

    p = commands.add_parser(
        "describe", help="ask the monitor for a new Base Description and show how it differs"
    )
    p.add_argument("project")
    p.add_argument("--apply", action="store_true", help="replace the Base Description with the new one")

    p = commands.add_parser("settings", help="show or change the settings; test the LLM connection")
    p.add_argument(
        "--set", action="append", default=[], metavar="SECTION.KEY=VALUE", help="e.g. llm.model=llama3.1"
    )
    p.add_argument("--preset", help="an LLM preset such as ollama or openai (a wrong name lists them)")
    p.add_argument("--check-llm", action="store_true", help="ask the LLM server for a one-token answer")
    p.add_argument(
        "--check-image", action="store_true", help="ask the image server (ComfyUI) what it is and what it has"
    )
    p.add_argument("--store-key", action="store_true", help="read an API key from stdin into the OS keyring")
    p.add_argument(
        "--store-hf-token",
        action="store_true",
        help="read a Hugging Face token from stdin into the OS keyring (for gated models)",
    )

    p = commands.add_parser(
        "export", help="export a project as a video, subtitles, storyboard, an edit for an editor and more"
    )
    p.add_argument("project")
    p.add_argument(
        "output", metavar="OUT.mp4", nargs="?", help="the film (leave out to write only the others)"
    )
    p.add_argument(
        "--timeline",
        metavar="FILE",
        help="also write the edit: .otio, .xml (Final Cut 7: Premiere, Resolve), .fcpxml (Final Cut Pro), .edl",
    )
    _export_arguments(p)

    p = commands.add_parser(
        "import-edit", help="take back an edit (.otio, .xml...) an editor changed: order, trims, cut scenes"
    )
    p.add_argument("project")
    p.add_argument("edit_file", metavar="FILE")
    p.add_argument("--dry-run", action="store_true", help="say what would change and change nothing")

    p = commands.add_parser("restore", help="put scenes an edit cut back into the film")
    p.add_argument("project")
    p.add_argument("--scene", metavar="TITLE_OR_ID", help="one cut scene (default: all of them)")

    p = commands.add_parser("render", help="new, run and export in one go: a story file in, a film out")
    p.add_argument("story_file")
    p.add_argument("output", metavar="OUT.mp4")
    p.add_argument(
        "--project", metavar="DIR", help="where the project goes (default: OUT.dreamfactory beside the film)"
    )
    p.add_argument("--scenes", type=positive_int, help="how many scenes the film should have")
    p.add_argument("--style", help="the film's style, as for `new`")
    p.add_argument("--llm-url", help="an OpenAI-compatible endpoint for this run")
    p.add_argument("--llm-model", help="the model to ask at that endpoint")
    p.add_argument("--quiet", action="store_true", help="print only the result")
    _export_arguments(p)

    p = commands.add_parser(
        "evaluate",
        help="score a project (or a folder of outputs) with the paper's metrics; saved in the project",
    )
    p.add_argument("project", metavar="PROJECT", help="a project, or a folder of images and videos")
    p.add_argument("--json", action="store_true", help="print the scores as JSON")
    p.add_argument(
        "--report", metavar="REPORT.html", help="write an HTML report with the keyframes and plots"
    )
    p.add_argument("--reference", metavar="DIR", help="real images and videos, for FID, FVD and KVD")

    p = commands.add_parser(
        "compare", help="draw stories script-only and with the Keyframe Iteration, and score both (Table 3)"
    )
    p.add_argument("stories", nargs="+", metavar="STORY")
    p.add_argument("--out", required=True, metavar="DIR", help="where the projects and the tables go")
    p.add_argument("--scenes", type=positive_int, help="how many scenes each film should have")
    p.add_argument("--reference", metavar="DIR", help="real images and videos, for FID, FVD and KVD")
    p.add_argument("--llm-url", help="an OpenAI-compatible endpoint for this run")
    p.add_argument("--llm-model", help="the model to ask at that endpoint")
    p.add_argument(
        "--image-model", metavar="DIR", help="a diffusers model to draw with (default: the settings')"
    )

    p = commands.add_parser("recover", help="restore a damaged project from its last good autosave")
    p.add_argument("project")
    p.add_argument(
        "--force", action="store_true", help="go back to the autosave even when project.json is readable"
    )

    p = commands.add_parser(
        "gpu-stack",
        help="show, install or remove the GPU stack (torch, diffusers) the packaged app leaves out",
    )
    p.add_argument("action", nargs="?", choices=("status", "install", "remove"), default="status")
    p.add_argument(
        "--torch", metavar="SPEC", help="the torch requirement, e.g. torch==2.5.1 (default: the studio's)"
    )
    p.add_argument(
        "--torch-index",
        metavar="URL",
        help="where to find that torch build, e.g. https://download.pytorch.org/whl/cu124",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    args = build_parser().parse_args(argv)
    from dreamfactory_studio.cli.commands import dispatch

    return dispatch(args)


__all__ = ["main", "build_parser"]


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

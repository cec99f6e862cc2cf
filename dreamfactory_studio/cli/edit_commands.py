"""The commands that change a project by hand: edit, cast, pin, scene and take. What they change is the
user's."""

from __future__ import annotations

import argparse
import asyncio
import sys

from dreamfactory_studio.core.errors import BadInput
from dreamfactory_studio.workspace import Workspace


def _do(workspace: Workspace, op_id: str, **values):
    """What operation ``op_id`` (``core.operations``) returned, done on the workspace's project."""
    from dreamfactory_studio.cli.operation_options import run_operation

    return run_operation(workspace, op_id, **values)[0]


def cmd_edit(args: argparse.Namespace) -> int:
    from dreamfactory_studio.core import edits
    from dreamfactory_studio.core.scene_fields import SCENE_TEXT_FIELDS

    with Workspace.open(args.project) as workspace:
        project = workspace.project
        done: list[str] = []
        scene_values = {name: getattr(args, name) for name in SCENE_TEXT_FIELDS} | {
            "setting": args.setting,
            "dialogue": sys.stdin.read() if args.dialogue == "-" else args.dialogue,
            "duration": args.duration,
            "characters": [n.strip() for n in args.characters.split(",") if n.strip()]
            if args.characters
            else None,
        }
        scene_values = {name: value for name, value in scene_values.items() if value is not None}
        if scene_values or args.layout is not None or args.clip_end:
            if not args.scene:
                raise BadInput("say which scene to change with --scene K.")
            changed = _do(workspace, "edit_scene", scene=args.scene, values=scene_values)
            done += [f"scene {args.scene} {name}" for name in changed]
            if args.layout is not None:
                scene = edits.find_scene(project, args.scene)
                edits.set_layout(project, scene, edits.parse_layout(project, scene, args.layout))
                done.append(f"scene {args.scene} layout")
            if args.clip_end:
                _do(
                    workspace,
                    "set_clip_end",
                    scene=args.scene,
                    end="" if args.clip_end == "export" else args.clip_end,
                )
                done.append(f"scene {args.scene} clip end")
        style = {name: getattr(args, name) for name in ("style", "palette", "lighting")}
        if any(v is not None for v in style.values()):
            changed = _do(workspace, "edit_style", values=style)
            done += [f"style {name}" for name in changed]
        if args.character:
            look = {"description": args.description, "rename": args.rename}
            _do(workspace, "edit_character", name=args.character, values=look)
            done.append(f"character {args.rename or args.character}")
        elif args.description is not None or args.rename is not None:
            raise BadInput("say which character to change with --character NAME.")
        if args.outline is not None:
            _do(workspace, "edit_outline", outline=args.outline)
            done.append("outline")
        if args.direction:
            phase, text = args.direction
            _do(workspace, "set_direction", phase=phase, text=text)
            done.append(f"direction for {phase}")
        if args.base_description is not None:
            _do(workspace, "edit_base_description", text=args.base_description)
            done.append("Base Description")
        if not done:
            raise BadInput("nothing to change; see `dreamfactory-studio edit --help` for what can be edited.")
        workspace.save()
    print("changed: " + "; ".join(done))
    return 0


def cmd_cast(args: argparse.Namespace) -> int:
    from dreamfactory_studio.cli.operation_options import chosen_operation, do_chosen
    from dreamfactory_studio.core import edits

    changes = args.draw or chosen_operation(args, "cast") is not None
    with Workspace.open(args.project, read_only=not changes) as workspace:
        project = workspace.project
        if not changes:
            for character in (
                project.characters if not args.character else [edits.character_named(project, args.character)]
            ):
                print(cast_line(project, character))
            if not project.characters:
                print(
                    "no characters yet; the story phase finds them, or add one with `edit --character NAME`"
                )
            return 0
        if not args.character:
            raise BadInput("say which character with --character NAME.")
        if args.draw:
            from dreamfactory_studio.cli.printer import ConversationPrinter

            character = edits.character_named(project, args.character)
            [image] = asyncio.run(
                workspace.draw_sheets([character.name], emit=ConversationPrinter(sys.stdout))
            )
            said = f"drew {character.name}'s sheet again: {image}"
        else:
            said = do_chosen(args, "cast", workspace)
    print(said)
    return 0


def cast_line(project, character) -> str:
    """A character as the ``cast`` command lists them: sheet, LoRA, look."""
    sheet = character.sheet
    held = (
        f"sheet {sheet.image} ({sheet.source}{', pinned' if sheet.pinned_by_user else ''})"
        if sheet
        else "no sheet"
    )
    lora = f"; LoRA {character.lora.file} x{character.lora.weight:g}" if character.lora else ""
    trigger = f" '{character.lora.trigger}'" if character.lora and character.lora.trigger else ""
    scenes = [str(n) for n, s in enumerate(project.scenes, 1) if character.id in s.characters]
    return (
        f"{character.name}: {character.description or '(no description)'}\n"
        f"    {held}; {len(character.takes)} sheet take(s){lora}{trigger}; in scenes {', '.join(scenes) or 'none'}"
    )


def cmd_pin(args: argparse.Namespace) -> int:
    if args.draw and not args.end_frame:
        raise BadInput("--draw goes with --end-frame.")
    if args.draw and not (args.take or args.image or args.unpin):
        return _draw_end_frame(args)
    if args.base_frame and args.end_frame:
        raise BadInput("give one of --base-frame and --end-frame.")
    with Workspace.open(args.project) as workspace:
        if args.end_frame:
            said = _pin_end_frame(args, workspace)
        elif args.base_frame:
            if args.unpin:
                said = _done(workspace, "unpin_base_frame")
            elif args.image:
                said = _done(workspace, "import_base_frame", file=args.image)
            else:
                if not args.scene:
                    raise BadInput(
                        "say which scene's take to pin as the Base Frame with --scene K, or give --image."
                    )
                said = _done(workspace, "pin_base_frame", scene=args.scene, take_id=args.take)
        else:
            if not args.scene:
                raise BadInput("say which scene to pin with --scene K (or --base-frame).")
            if args.unpin:
                said = _done(workspace, "unpin_scene", scene=args.scene)
            else:
                take_id = (
                    _do(workspace, "import_take", scene=args.scene, file=args.image).id
                    if args.image
                    else args.take
                )
                said = _done(workspace, "pin_scene", scene=args.scene, take_id=take_id)
        workspace.save()
    print(said)
    return 0


def _done(workspace: Workspace, op_id: str, **values) -> str:
    """Operation ``op_id`` done on the workspace's project, and the line that says so."""
    from dreamfactory_studio.cli.operation_options import run_operation

    return run_operation(workspace, op_id, **values)[1]


def _draw_end_frame(args: argparse.Namespace) -> int:
    import asyncio

    from dreamfactory_studio.cli.options import settings_for
    from dreamfactory_studio.cli.printer import ConversationPrinter
    from dreamfactory_studio.core import edits

    if not args.scene:
        raise BadInput("say which scene's end frame to draw with --scene K.")
    with Workspace.open(args.project, settings=settings_for(args)) as workspace:
        scene = edits.find_scene(workspace.project, args.scene)
        take = asyncio.run(workspace.draw_end_frame(scene, emit=ConversationPrinter(sys.stdout)))
    print(f"drew take {take.id} as scene {args.scene}'s end frame; its clip ends on it")
    return 0


def _pin_end_frame(args: argparse.Namespace, workspace: Workspace) -> str:
    if not args.scene:
        raise BadInput("say which scene's clip the end frame is for with --scene K.")
    if args.unpin:
        return _done(workspace, "unpin_end_frame", scene=args.scene)
    if args.draw:
        raise BadInput("--draw draws the end frame by itself; give it without --take, --image or --unpin.")
    if args.image:
        take_id = _do(workspace, "import_take", scene=args.scene, file=args.image, select=False).id
    elif args.take:
        take_id = args.take
    else:
        raise BadInput("say which take the clip ends on with --take ID, or give --image FILE.")
    return _done(workspace, "pin_end_frame", scene=args.scene, take_id=take_id)


def cmd_scene(args: argparse.Namespace) -> int:
    from dreamfactory_studio.cli.operation_options import do_chosen

    if args.to and not args.move:
        raise BadInput("--to goes with --move.")
    with Workspace.open(args.project) as workspace:
        said = do_chosen(args, "scene", workspace)
    print(f"{said}; the project has {len(workspace.project.scenes)} scenes")
    return 0


def cmd_take(args: argparse.Namespace) -> int:
    from dreamfactory_studio.cli.operation_options import chosen_operation, do_chosen
    from dreamfactory_studio.core import edits

    if args.redraw is None and (args.take or args.character or args.prompt):
        raise BadInput("--take, --character and --prompt go with --redraw.")
    if args.redraw is not None:
        return _redraw(args)
    changes = chosen_operation(args, "take") is not None
    with Workspace.open(args.project, read_only=not changes) as workspace:
        if changes:
            said = do_chosen(args, "take", workspace)
        else:
            _list_takes(workspace.project, edits.find_scene(workspace.project, args.scene), args.scene)
            return 0
    print(said)
    return 0


def _list_takes(project, scene, number: int) -> None:
    names = {c.id: c.name for c in project.characters}
    for take in scene.takes:
        mark = "*" if take.id == scene.selected_take else " "
        score = f"{take.score:.2f}" if take.score is not None else "  - "
        print(f"{mark} {take.id}  seed {take.seed:<10} score {score}  {take.backend}  {take.image}")
        if take.identity:
            likeness = ", ".join(f"{names.get(i, i)} {v:.2f}" for i, v in take.identity.items())
            print(f"      likeness to the sheets: {likeness}")
        if take.recipe:
            print(f"      {take.recipe.summary(names)}")
    if not scene.takes:
        print(f"scene {number} has no takes yet")


def _redraw(args: argparse.Namespace) -> int:
    import asyncio

    from dreamfactory_studio.cli.options import settings_for
    from dreamfactory_studio.cli.printer import ConversationPrinter
    from dreamfactory_studio.core import edits

    box = edits.parse_box(args.redraw, "region")
    with Workspace.open(args.project, settings=settings_for(args)) as workspace:
        scene = edits.find_scene(workspace.project, args.scene)
        take = asyncio.run(
            workspace.redraw_region(
                scene,
                box,
                take_id=args.take,
                character=args.character,
                prompt=args.prompt or "",
                emit=ConversationPrinter(sys.stdout),
            )
        )
    print(f"redrew a region of scene {args.scene}'s take {take.recipe.region.source} as take {take.id}")
    return 0

"""The commands that change a project by hand: edit, cast, pin, scene and take. What they change is the
user's."""

from __future__ import annotations

import argparse
import asyncio
import sys

from dreamfactory_studio.core.errors import BadInput
from dreamfactory_studio.workspace import Workspace


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
            "notes": args.notes,
            "setting": args.setting,
            "dialogue": sys.stdin.read() if args.dialogue == "-" else args.dialogue,
            "duration": args.duration,
            "characters": [n.strip() for n in args.characters.split(",") if n.strip()]
            if args.characters
            else None,
        }
        if any(v is not None for v in scene_values.values()) or args.layout is not None or args.clip_end:
            if not args.scene:
                raise BadInput("say which scene to change with --scene K.")
            scene = edits.find_scene(project, args.scene)
            changed = edits.edit_scene(project, scene, **scene_values)
            done += [f"scene {args.scene} {name}" for name in changed]
            if args.layout is not None:
                edits.set_layout(project, scene, edits.parse_layout(project, scene, args.layout))
                done.append(f"scene {args.scene} layout")
            if args.clip_end:
                edits.set_clip_end(scene, "" if args.clip_end == "export" else args.clip_end)
                done.append(f"scene {args.scene} clip end")
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


def cmd_cast(args: argparse.Namespace) -> int:
    from dreamfactory_studio.core import edits
    from dreamfactory_studio.production.imports import import_sheet, sheet_from_take

    changes = any(
        (args.draw, args.import_file, args.from_scene, args.pin, args.unpin, args.lora, args.no_lora)
    )
    with Workspace.open(args.project, read_only=not changes) as workspace:
        folder, project = workspace.folder, workspace.project
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
        character = edits.character_named(project, args.character)
        if args.draw:
            from dreamfactory_studio.cli.printer import ConversationPrinter

            [image] = asyncio.run(
                workspace.draw_sheets([character.name], emit=ConversationPrinter(sys.stdout))
            )
            said = f"drew {character.name}'s sheet again: {image}"
        elif args.import_file:
            import_sheet(folder, project, character, args.import_file)
            said = f"pinned {args.import_file} as {character.name}'s sheet"
        elif args.from_scene:
            box = edits.parse_box(args.box) if args.box else None
            scene = edits.find_scene(project, args.from_scene)
            sheet_from_take(folder, project, character, scene, args.take, box)
            said = f"pinned a crop of scene {args.from_scene}'s keyframe as {character.name}'s sheet"
        elif args.pin:
            edits.pin_sheet(project, character, args.pin)
            said = f"pinned take {args.pin} as {character.name}'s sheet"
        elif args.unpin:
            edits.unpin_sheet(project, character)
            said = f"unpinned {character.name}'s sheet; the next full keyframe run draws it again"
        elif args.lora:
            edits.set_lora(project, character, args.lora, args.trigger, args.weight)
            said = f"{character.name} has the LoRA {args.lora} at {args.weight:g}"
        else:
            edits.set_lora(project, character, None)
            said = f"{character.name} has no LoRA now"
        workspace.save()
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
    from dreamfactory_studio.core import edits
    from dreamfactory_studio.production.imports import import_base_frame, import_take

    if args.draw and not args.end_frame:
        raise BadInput("--draw goes with --end-frame.")
    if args.draw and not (args.take or args.image or args.unpin):
        return _draw_end_frame(args)
    with Workspace.open(args.project) as workspace:
        folder, project = workspace.folder, workspace.project
        if args.base_frame and args.end_frame:
            raise BadInput("give one of --base-frame and --end-frame.")
        if args.end_frame:
            said = _pin_end_frame(args, folder, project)
        elif args.base_frame:
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


def _pin_end_frame(args: argparse.Namespace, folder, project) -> str:
    from dreamfactory_studio.core import edits
    from dreamfactory_studio.production.imports import import_take

    if not args.scene:
        raise BadInput("say which scene's clip the end frame is for with --scene K.")
    scene = edits.find_scene(project, args.scene)
    if args.unpin:
        edits.pin_end_frame(scene, None)
        return f"scene {args.scene}'s clip ends as the export says again"
    if args.draw:
        raise BadInput("--draw draws the end frame by itself; give it without --take, --image or --unpin.")
    if args.image:
        take_id = import_take(folder, project, scene, args.image, select=False).id
    elif args.take:
        take_id = args.take
    else:
        raise BadInput("say which take the clip ends on with --take ID, or give --image FILE.")
    edits.pin_end_frame(scene, take_id)
    return f"scene {args.scene}'s clip ends on take {take_id}"


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

    if args.redraw is None and (args.take or args.character or args.prompt):
        raise BadInput("--take, --character and --prompt go with --redraw.")
    if args.redraw is not None:
        return _redraw(args)
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
                names = {c.id: c.name for c in project.characters}
                if take.identity:
                    likeness = ", ".join(f"{names.get(i, i)} {v:.2f}" for i, v in take.identity.items())
                    print(f"      likeness to the sheets: {likeness}")
                if take.recipe:
                    print(f"      {take.recipe.summary(names)}")
            if not scene.takes:
                print(f"scene {args.scene} has no takes yet")
            return 0
        workspace.save()
    print(said)
    return 0


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

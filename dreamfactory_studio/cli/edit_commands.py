"""The commands that change a project by hand: edit, pin, scene and take. What they change is the user's."""

from __future__ import annotations

import argparse

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

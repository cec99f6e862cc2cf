"""Every edit a person makes, declared once: its id, the undo step's words, the edit that does it, its typed
arguments, when the window offers it and the CLI option that asks for it. The CLI's parser, the window's action
table and :meth:`ProjectSession.do` all read :data:`OPERATIONS`; ``workspace.operations.bind`` turns the
arguments a front end gives (scene ids, or the CLI's numbers; character ids or names) into the edit's call.

A module with no imports of the model, so that the CLI's parser reads it at once. An edit is named as
``"module:function"`` under the package (as the backend registry names its factories) and imported by the
workspace, which may reach ``production``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

KINDS = frozenset(
    "scene scene_number scene_numbers position character take text file box number flag phase choice value values".split()
)
"""What a parameter is, and so how a front end's value becomes the edit's argument:

- ``scene``: a scene's id (or the CLI's number) given, the :class:`Scene` passed;
- ``scene_number`` / ``scene_numbers``: a scene's id (or number) given, its 1-based number passed (edits that work
  on positions);
- ``position``: a place among the scenes, 1-based, passed as it is;
- ``character``: a character's id (or the CLI's name) given, the :class:`Character` passed;
- ``take``, ``text``, ``file``, ``phase``, ``choice``: a string; ``number``: a float; ``flag``: a bool; ``box``: ``L,T,R,B`` read
  as a :class:`Box` (fractions of the frame);
- ``value``: what a front end made (an editor's order), passed as it is; ``values``: the named fields to set,
  passed as keywords.
"""


@dataclass(frozen=True)
class Param:
    """One argument of an operation. ``name`` is the edit's own parameter; ``option`` the CLI option that gives
    it (the command's shared ``--scene`` / ``--character`` when it is the operation's subject)."""

    name: str
    kind: str
    help: str = ""
    option: str = ""
    metavar: str = ""
    choices: tuple[str, ...] = ()
    required: bool = True

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown parameter kind {self.kind!r}")


@dataclass(frozen=True)
class Operation:
    """One user operation. ``label`` is the undo step, formatted with each parameter's words (a scene's number,
    a character's name, "2 scenes", the fields set); ``when`` names the window's enabling rule
    (:data:`~dreamfactory_studio.app.state.RULES`); ``refused`` titles the window's dialog when the edit is
    refused; ``cli`` is ``"COMMAND --option"``: the option that chooses it, whose value is the parameter
    of the same option; ``done`` is the CLI's line once it is saved."""

    id: str
    label: str
    edit: str
    params: tuple[Param, ...] = ()
    fixed: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    when: str = "editable"
    refused: str = ""
    cli: str = ""
    help: str = ""
    """The CLI option's help when the option carries no value of its own (a flag)."""
    done: str = ""

    @property
    def command(self) -> str:
        return self.cli.split()[0] if self.cli else ""

    @property
    def option(self) -> str:
        return self.cli.split()[1] if self.cli else ""


def _fixed(**values) -> MappingProxyType:
    return MappingProxyType(values)


SCENE = Param("scene", "scene", "the scene", option="--scene", metavar="K")
CHARACTER = Param("character", "character", "the character", option="--character", metavar="NAME")
TAKE_OPTION = Param("take_id", "take", "the take (default: the keyframe)", option="--take", required=False)

OPERATIONS: dict[str, Operation] = {
    op.id: op
    for op in (
        # -- scenes --------------------------------------------------------------------------------------------
        Operation(
            "edit_scene",
            "Edit {values} of scene {scene}",
            "core.edits:edit_scene",
            (SCENE, Param("values", "values")),
            refused="Cannot change the scene",
        ),
        Operation(
            "insert_scene",
            "Insert scene {number}",
            "core.edits:insert_scene",
            (Param("number", "position", "put a blank scene at position K", option="--insert", metavar="K"),),
            refused="Cannot insert a scene",
            cli="scene --insert",
            done="inserted a blank scene at {number}; write it with `edit --scene {number}`",
        ),
        Operation(
            "duplicate_scene",
            "Duplicate scene {number}",
            "core.edits:duplicate_scene",
            (
                Param(
                    "number",
                    "scene_number",
                    "copy scene K to just after it",
                    option="--duplicate",
                    metavar="K",
                ),
            ),
            when="on_selection",
            refused="Cannot duplicate the scene",
            cli="scene --duplicate",
            done="copied scene {number} to just after it",
        ),
        Operation(
            "delete_scenes",
            "Delete {numbers}",
            "core.edits:delete_scenes",
            (
                Param(
                    "numbers",
                    "scene_numbers",
                    "delete scenes K ... (images are kept)",
                    option="--delete",
                    metavar="K",
                ),
            ),
            when="on_selection",
            refused="Cannot delete",
            cli="scene --delete",
            done="deleted {numbers}; their images stay in the project's assets",
        ),
        Operation(
            "move_scenes",
            "Move {numbers} to {to}",
            "core.edits:move_scenes",
            (
                Param("numbers", "scene_numbers", "move scenes K ...", option="--move", metavar="K"),
                Param("to", "position", "with --move: the position they move to", option="--to", metavar="J"),
            ),
            when="on_selection",
            refused="Cannot move",
            cli="scene --move",
            done="moved {numbers} to position {to}",
        ),
        Operation(
            "restore_scenes",
            "Restore cut scenes",
            "core.edits:restore_scenes",
            (Param("scene_ids", "value", required=False),),
            when="has_cut",
            refused="Cannot restore",
        ),
        Operation(
            "conform",
            "Take the edit from {source}",
            "core.edits:conform_to_edit",
            (
                Param("order", "value"),
                Param("durations", "value"),
                Param("source", "text"),
            ),
            refused="Cannot take the edit",
        ),
        Operation(
            "set_clip_end",
            "Set where scene {scene}'s clip ends",
            "core.edits:set_clip_end",
            (SCENE, Param("end", "choice", choices=("", "free", "next", "own"))),
            when="on_scene",
            refused="Cannot change the clip's end",
        ),
        # -- takes and frames ----------------------------------------------------------------------------------
        Operation(
            "select_take",
            "Choose a take for scene {scene}",
            "core.edits:select_take",
            (
                SCENE,
                Param(
                    "take_id",
                    "take",
                    "make this take the scene's keyframe",
                    option="--select",
                    metavar="TAKE_ID",
                ),
            ),
            when="on_scene",
            refused="Cannot choose the take",
            cli="take --select",
            done="scene {scene}'s keyframe is now take {take_id}",
        ),
        Operation(
            "delete_take",
            "Delete a take of scene {scene}",
            "core.edits:delete_take",
            (SCENE, Param("take_id", "take", "delete this take", option="--delete", metavar="TAKE_ID")),
            when="on_scene",
            refused="Cannot delete the take",
            cli="take --delete",
            done="deleted take {take_id} of scene {scene}",
        ),
        Operation(
            "import_take",
            "Import an image into scene {scene}",
            "production.imports:import_take",
            (
                SCENE,
                Param("file", "file", "add an image file as a take", option="--import", metavar="FILE"),
                Param("select", "flag", required=False),
            ),
            when="on_scene",
            refused="Cannot import the image",
            cli="take --import",
            done="added {file} as take {result.id} of scene {scene}",
        ),
        Operation(
            "pin_scene",
            "Pin the keyframe of scene {scene}",
            "core.edits:pin_scene",
            (SCENE, TAKE_OPTION),
            when="on_scene",
            refused="Cannot pin",
            done="pinned scene {scene}'s keyframe",
        ),
        Operation(
            "unpin_scene",
            "Unpin the keyframe of scene {scene}",
            "core.edits:pin_scene",
            (SCENE,),
            fixed=_fixed(pinned=False),
            when="on_scene",
            refused="Cannot unpin",
            done="unpinned scene {scene}'s keyframe",
        ),
        Operation(
            "pin_end_frame",
            "Pin the end frame of scene {scene}",
            "core.edits:pin_end_frame",
            (SCENE, Param("take_id", "take", "the take the clip ends on", option="--take")),
            when="on_scene",
            refused="Cannot pin the end frame",
            done="scene {scene}'s clip ends on take {take_id}",
        ),
        Operation(
            "unpin_end_frame",
            "Unpin the end frame of scene {scene}",
            "core.edits:pin_end_frame",
            (SCENE,),
            fixed=_fixed(take_id=None),
            when="on_scene",
            refused="Cannot unpin the end frame",
            done="scene {scene}'s clip ends as the export says again",
        ),
        # -- the Base Frame and the decisions ------------------------------------------------------------------
        Operation(
            "pin_base_frame",
            "Pin the Base Frame from scene {scene}",
            "core.edits:pin_base_frame",
            (SCENE, TAKE_OPTION),
            when="on_scene",
            refused="Cannot pin the Base Frame",
            done="pinned scene {scene}'s keyframe as the Base Frame",
        ),
        Operation(
            "import_base_frame",
            "Import the Base Frame",
            "production.imports:import_base_frame",
            (Param("file", "file", option="--image", metavar="FILE"),),
            refused="Cannot import the image",
            done="pinned {file} as the Base Frame",
        ),
        Operation(
            "unpin_base_frame",
            "Unpin the Base Frame",
            "core.edits:unpin_base_frame",
            when="has_base_frame",
            refused="Cannot unpin",
            done="unpinned the Base Frame",
        ),
        Operation(
            "edit_base_description",
            "Edit the Base Description",
            "core.edits:edit_base_description",
            (Param("text", "text"),),
            refused="Cannot change the Base Description",
        ),
        Operation(
            "replace_base_description",
            "Take the monitor's Base Description",
            "core.edits:replace_base_description",
            (Param("text", "text"),),
            refused="Cannot replace the Base Description",
        ),
        Operation(
            "edit_style",
            "Edit the style",
            "core.edits:edit_style",
            (Param("values", "values"),),
            refused="Cannot change the style",
        ),
        Operation(
            "edit_outline",
            "Edit the outline",
            "core.edits:edit_outline",
            (Param("outline", "text"),),
            refused="Cannot change the outline",
        ),
        Operation(
            "set_direction",
            "Direct the {phase} phase",
            "core.edits:set_direction",
            (Param("phase", "phase"), Param("text", "text")),
            refused="Cannot give the direction",
        ),
        # -- the cast ------------------------------------------------------------------------------------------
        Operation(
            "edit_character",
            "Edit the character {name}",
            "core.edits:edit_character",
            (Param("name", "text"), Param("values", "values")),
            refused="Cannot change the character",
        ),
        Operation(
            "import_sheet",
            "Import {character}'s sheet",
            "production.imports:import_sheet",
            (
                CHARACTER,
                Param("file", "file", "pin an image file as the sheet", option="--import", metavar="FILE"),
            ),
            refused="Cannot import the sheet",
            cli="cast --import",
            done="pinned {file} as {character}'s sheet",
        ),
        Operation(
            "sheet_from_take",
            "Pin {character}'s sheet from scene {scene}",
            "production.imports:sheet_from_take",
            (
                CHARACTER,
                Param(
                    "scene",
                    "scene",
                    "pin a crop of scene K's keyframe (or --take) as the sheet",
                    option="--from-scene",
                    metavar="K",
                ),
                Param(
                    "take_id",
                    "take",
                    "with --from-scene: the take to crop (default: the keyframe)",
                    option="--take",
                    required=False,
                ),
                Param(
                    "box",
                    "box",
                    "with --from-scene: the crop (default: their layout box)",
                    option="--box",
                    metavar="L,T,R,B",
                    required=False,
                ),
            ),
            when="on_scene",
            refused="Cannot pin the sheet",
            cli="cast --from-scene",
            done="pinned a crop of scene {scene}'s keyframe as {character}'s sheet",
        ),
        Operation(
            "pin_sheet",
            "Pin {character}'s sheet",
            "core.edits:pin_sheet",
            (
                CHARACTER,
                Param(
                    "take_id",
                    "take",
                    "pin one of the character's sheet takes",
                    option="--pin",
                    metavar="TAKE_ID",
                ),
            ),
            refused="Cannot pin the sheet",
            cli="cast --pin",
            done="pinned take {take_id} as {character}'s sheet",
        ),
        Operation(
            "unpin_sheet",
            "Unpin {character}'s sheet",
            "core.edits:unpin_sheet",
            (CHARACTER,),
            refused="Cannot unpin",
            cli="cast --unpin",
            help="let the next full run draw the sheet again",
            done="unpinned {character}'s sheet; the next full keyframe run draws it again",
        ),
        Operation(
            "set_lora",
            "Set {character}'s LoRA",
            "core.edits:set_lora",
            (
                CHARACTER,
                Param(
                    "file", "file", "a LoRA .safetensors for the character", option="--lora", metavar="FILE"
                ),
                Param(
                    "trigger",
                    "text",
                    "with --lora: the word that calls the LoRA up",
                    option="--trigger",
                    required=False,
                ),
                Param(
                    "weight",
                    "number",
                    "with --lora: its weight (default 0.8)",
                    option="--weight",
                    required=False,
                ),
            ),
            refused="Cannot set the LoRA",
            cli="cast --lora",
            done="{character} has the LoRA {file}",
        ),
        Operation(
            "remove_lora",
            "Remove {character}'s LoRA",
            "core.edits:set_lora",
            (CHARACTER,),
            fixed=_fixed(file=None),
            refused="Cannot remove the LoRA",
            cli="cast --no-lora",
            help="take the character's LoRA away",
            done="{character} has no LoRA now",
        ),
    )
}


def operations_of(command: str) -> list[Operation]:
    """The operations a CLI command chooses between by an option, in declaration order."""
    return [op for op in OPERATIONS.values() if op.command == command]

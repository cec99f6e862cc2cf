"""A scene's dialogue as text a person edits, a line a speech: ``Marlowe (V.O.): (whispering) You followed me.``"""

from __future__ import annotations

import re
from collections.abc import Callable

from dreamfactory_studio.core.errors import BadInput
from dreamfactory_studio.core.model import DialogueLine

LINE = re.compile(
    r"^\s*(?P<name>[^:()]+?)\s*(?:\((?P<ext>[^)]*)\))?\s*:\s*(?:\((?P<paren>[^)]*)\)\s*)?(?P<text>.*)$"
)


def format_dialogue(lines: list[DialogueLine], names: dict[str, str]) -> str:
    """The lines as text, one speech a line (``names``: character id -> name)."""
    out = []
    for line in lines:
        who = names.get(line.character, line.character)
        extension = f" ({line.extension})" if line.extension else ""
        how = f"({line.parenthetical}) " if line.parenthetical else ""
        out.append(f"{who}{extension}: {how}{line.text}")
    return "\n".join(out)


def parse_dialogue(text: str, speaker: Callable[[str], str]) -> list[DialogueLine]:
    """Dialogue text back as lines; ``speaker`` turns a name into a character id. A line with no
    ``Name:`` goes on the speech before it; :class:`BadInput` names the first line that has no speaker."""
    lines: list[DialogueLine] = []
    for number, row in enumerate(text.split("\n"), 1):
        if not row.strip():
            continue
        match = LINE.match(row)
        if match is None or not match.group("text").strip():
            if lines and ":" not in row:
                lines[-1] = lines[-1].model_copy(update={"text": f"{lines[-1].text} {row.strip()}"})
                continue
            raise BadInput(
                f"dialogue line {number} ({row.strip()[:40]!r}) has no speaker; write it as 'Name: what they say'."
            )
        lines.append(
            DialogueLine(
                character=speaker(match.group("name").strip()),
                text=" ".join(match.group("text").split()),
                extension=(match.group("ext") or "").strip().upper(),
                parenthetical=(match.group("paren") or "").strip(),
            )
        )
    return lines


def subtitle_lines(lines: list[DialogueLine], names: dict[str, str]) -> list[str]:
    """The dialogue as subtitles carry it: ``MARLOWE: You followed me.``"""
    return [f"{names.get(line.character, line.character).upper()}: {line.text}" for line in lines]


def spoken_subtitles(narration: str, lines: list[DialogueLine], names: dict[str, str]) -> list[str]:
    """What a scene's subtitles carry: its dialogue, unless the narration reads that dialogue aloud itself (a
    story's quoted speech, told by the narrator), when they carry the narration; empty: the narration's."""
    flat = " ".join(narration.split())
    if any(" ".join(line.text.split()) in flat for line in lines):
        return []
    return subtitle_lines(lines, names)

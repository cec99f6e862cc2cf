"""A scene's dialogue as text a person edits, a line a speech: ``Marlowe (V.O.): (whispering) You followed me.``

Dual dialogue (two speeches said at once) is written as Fountain writes it, with a caret after the second
speaker: ``June ^: Not without the cat.`` pairs that line with the one before it."""

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
    for index, line in enumerate(lines):
        who = names.get(line.character, line.character)
        if index in _second_of_pairs(lines):
            who += " ^"
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
        name = match.group("name").strip()
        dual = name.endswith("^")
        if dual and lines:
            lines[-1] = lines[-1].model_copy(update={"dual": True})
        lines.append(
            DialogueLine(
                character=speaker(name.rstrip("^ ") or name),
                dual=dual and len(lines) > 0,
                text=" ".join(match.group("text").split()),
                extension=(match.group("ext") or "").strip().upper(),
                parenthetical=(match.group("paren") or "").strip(),
            )
        )
    return lines


def _second_of_pairs(lines: list[DialogueLine]) -> set[int]:
    """The indexes of the second speech of each dual pair (dual lines pair up in order)."""
    second, open_pair = set(), False
    for index, line in enumerate(lines):
        if line.dual and open_pair:
            second.add(index)
            open_pair = False
        else:
            open_pair = line.dual
    return second


def dialogue_rows(lines: list[DialogueLine], names: dict[str, str]) -> list[tuple[str, ...]]:
    """The dialogue as rows of ``MARLOWE: You followed me.``: one speech a row, a dual pair side by side."""
    rows: list[tuple[str, ...]] = []
    second = _second_of_pairs(lines)
    for index, line in enumerate(lines):
        said = f"{names.get(line.character, line.character).upper()}: {line.text}"
        rows[-1:] = [(*rows[-1], said)] if index in second else [*rows[-1:], (said,)]
    return rows


def subtitle_lines(lines: list[DialogueLine], names: dict[str, str]) -> list[str]:
    """The dialogue as subtitles carry it: ``MARLOWE: You followed me.``; a dual pair in one cue, the two
    speeches joined by " / "."""
    return [" / ".join(row) for row in dialogue_rows(lines, names)]


def spoken_subtitles(narration: str, lines: list[DialogueLine], names: dict[str, str]) -> list[str]:
    """What a scene's subtitles carry: its dialogue, unless the narration reads that dialogue aloud itself (a
    story's quoted speech, told by the narrator), when they carry the narration; empty: the narration's."""
    flat = " ".join(narration.split())
    if any(" ".join(line.text.split()) in flat for line in lines):
        return []
    return subtitle_lines(lines, names)

"""Reading a screenplay, Fountain or Final Draft, into scenes with their settings and dialogue, and a cast.

The parsing is screenplay-tools' (``screenplay_tools``): one model of a script for both formats, pure Python,
MIT, no dependencies; screenplain reads only Fountain (and pulls in reportlab) and fountain-tools is the same
author's Fountain-only predecessor. What it leaves to us: its Fountain parser takes ``FADE IN:`` for a scene
heading, and its FDX parser keeps only the first styled run of a paragraph, skips dual dialogue and takes any
XML root; :func:`_fdx_script` checks and flattens the document before handing it over.

Scene headings make the scenes (with their INT/EXT, place and time of day); action is the script; cues and
capitalised introductions make the cast, with extensions, dual-dialogue carets and case merged and a cue that
is part of an introduced name taken as that person. Transitions, notes, boneyard, sections and synopses never
become scenes or characters; notes, sections, synopses and centred text become the scene's notes.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from dreamfactory_studio.core.errors import BadInput
from dreamfactory_studio.core.model import Setting
from dreamfactory_studio.core.reading import check_xml_nesting, read_regular_file
from dreamfactory_studio.core.story import MAX_STORY_BYTES, decode_story

SCREENPLAY_SUFFIXES = (".fountain", ".spmd", ".fdx")
HEADING = re.compile(r"^(INT\.?/EXT|I/E|INT|EXT|EST)[.\s]", re.I)
TRANSITION = re.compile(
    r"^(FADE (IN|OUT)|FADE TO BLACK|CUT TO|SMASH CUT|DISSOLVE TO|MATCH CUT)\b.*:?\.?$", re.I
)
TIMES_OF_DAY = (
    "DAY NIGHT MORNING AFTERNOON EVENING DAWN DUSK SUNRISE SUNSET NOON MIDNIGHT LATER CONTINUOUS SAME "
    "MOMENTS LATER SAME TIME MAGIC HOUR TWILIGHT"
).split()
NOT_NAMES = set(
    "INT EXT EST DAY NIGHT CONTINUOUS LATER CUT FADE THE END CONT'D CONT V.O O.S O.C POV BACK TO "
    "INSERT SUPER TITLE CARD MONTAGE FLASHBACK INTERCUT OK TV".split()
)
LEADING = {"THE", "A", "AN", "AKA", "AND", "OF"}
"""Words an introduction's capitals may start with that are not part of the name (THE BOY BAND, AKA DAN)."""
CAPS_RUN = re.compile(r"(?<![\w'])([A-Z][A-Z'\-]+(?: [A-Z][A-Z'\-]+)*)(?![\w'])")


@dataclass
class Speech:
    cue: str
    """The speaker's cue, upper case, without extension: ``MARLOWE``."""
    text: str
    extension: str = ""
    parenthetical: str = ""
    dual: bool = False
    """Said at the same time as the speech beside it: a screenplay's dual dialogue."""


@dataclass
class ScreenplayScene:
    heading: str
    setting: Setting
    action: list[str] = field(default_factory=list)
    speeches: list[Speech] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def script(self) -> str:
        return "\n\n".join(self.action)


@dataclass
class CastMember:
    name: str
    description: str = ""
    keys: set[str] = field(default_factory=set)
    """The upper-case names the screenplay calls them by: their cues and their full name."""


@dataclass
class Screenplay:
    title: str
    author: str
    format: str
    scenes: list[ScreenplayScene]
    cast: list[CastMember]
    preamble: list[str] = field(default_factory=list)
    """Action before the first scene heading (a screenplay with no headings has nothing else)."""

    def member(self, cue: str) -> CastMember | None:
        """The cast member a cue (or a name in the action, any case) stands for."""
        key = cue.upper()
        return next((m for m in self.cast if key in m.keys), None)

    @property
    def voice_over(self) -> bool:
        return any(s.extension in ("V.O.", "VO", "V/O") for scene in self.scenes for s in scene.speeches)


def is_screenplay(path: Path, text: str | None = None) -> bool:
    """Whether a file is a screenplay: by its extension, or a ``.txt`` that :func:`looks_like_fountain`."""
    suffix = path.suffix.lower()
    if suffix in SCREENPLAY_SUFFIXES:
        return True
    return text is not None and suffix in (".txt", "") and looks_like_fountain(text)


def looks_like_fountain(text: str) -> bool:
    """Whether text is Fountain: a title page key first, or a scene heading in capitals on a line of its own."""
    lines = text.split("\n")
    if re.match(r"^Title\s*:", lines[0] if lines else ""):
        return True
    headings = [
        line
        for before, line in zip([""] + lines, lines, strict=False)
        if not before.strip() and HEADING.match(line) and line.strip() == line.strip().upper()
    ]
    return len(headings) >= 1


def read_screenplay(path: Path | str) -> Screenplay:
    """A Fountain or Final Draft file as a :class:`Screenplay`; :class:`BadInput` with a clear message."""
    path = Path(path).expanduser()
    data = read_regular_file(path, MAX_STORY_BYTES * 4, "a .fountain or .fdx screenplay file")
    if path.suffix.lower() == ".fdx":
        return screenplay_from_fdx(data, path.name)
    return screenplay_from_fountain(decode_story(data, f"screenplay file {path}"), path.stem)


def screenplay_from_fountain(text: str, fallback_title: str = "Untitled") -> Screenplay:
    from screenplay_tools.fountain.parser import Parser

    parser = Parser()
    parser.add_text(text)
    return _read(parser.script, "fountain", fallback_title)


def screenplay_from_fdx(data: bytes, source: str = "the file") -> Screenplay:
    from screenplay_tools.fdx.parser import Parser

    xml, title_page = _fdx_script(data, source)
    script = Parser().parse(xml)
    title, author = _fdx_title(title_page)
    return _read(script, "fdx", Path(source).stem, title=title, author=author)


def _fdx_script(data: bytes, source: str) -> tuple[str, list[str]]:
    """The FDX document with one text run per paragraph and dual dialogue flattened (its second speaker marked
    with a caret, as Fountain marks it), and its title page's
    paragraphs; :class:`BadInput` when it is not XML or not a Final Draft document."""
    check_xml_nesting(data, source)
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise BadInput(
            f"{source} is not a Final Draft file: it is not well-formed XML ({exc}). Save it again from "
            "Final Draft, or export the screenplay as Fountain."
        ) from None
    if root.tag != "FinalDraft":
        raise BadInput(
            f"{source} is XML but not a Final Draft document (its root is <{root.tag}>, not <FinalDraft>)."
        )
    content = root.find("Content")
    if content is None:
        raise BadInput(f"{source} is a Final Draft document with no <Content>: it holds no screenplay.")
    flat = ET.Element("Content")
    second = set()  # the second speaker of each dual-dialogue block, marked with Fountain's caret
    for block in content.iter("DualDialogue"):
        speakers = [p for p in block.iter("Paragraph") if p.get("Type") == "Character"]
        second.update(id(p) for p in speakers[1:2])
    for paragraph in content.iter("Paragraph"):
        if paragraph.find("DualDialogue") is not None:
            continue  # its own paragraphs follow in the iteration
        text = "".join("".join(run.itertext()) for run in paragraph.findall("Text"))
        if id(paragraph) in second:
            text = f"{text.strip()} ^"
        copy = ET.SubElement(flat, "Paragraph", {"Type": paragraph.get("Type", "Action")})
        ET.SubElement(copy, "Text").text = text
    document = ET.Element("FinalDraft")
    document.append(flat)
    title_page = [
        "".join("".join(run.itertext()) for run in p.findall("Text")).strip()
        for p in root.findall("./TitlePage/Content/Paragraph")
    ]
    return ET.tostring(document, encoding="unicode"), [line for line in title_page if line]


def _fdx_title(lines: list[str]) -> tuple[str, str]:
    title = lines[0] if lines else ""
    author = ""
    for index, line in enumerate(lines[1:], 1):
        if re.fullmatch(r"(written )?by", line.strip(), re.I) and index + 1 < len(lines):
            author = lines[index + 1]
            break
        if re.match(r"(written )?by\s+\S", line, re.I):
            author = re.sub(r"^(written )?by\s+", "", line, flags=re.I)
            break
    return title, author


def _plain(text: str) -> str:
    """Fountain text without note and boneyard markers or emphasis marks."""
    text = re.sub(r"\[\[\d+\]\]|/\*\d+\*/", "", text)
    while True:  # emphasis nests: _**BRICK & STEEL**_
        plain = re.sub(r"(\*{1,3}|_)(\S(?:.*?\S)?)\1", r"\2", text)
        if plain == text:
            break
        text = plain
    text = text.replace("\\*", "*").replace("\\_", "_")
    return "\n".join(line.strip() for line in text.strip().split("\n")).strip()


def parse_heading(text: str) -> Setting:
    """A scene heading's setting: ``EXT. ALLEY BEHIND THE DINER - NIGHT`` is EXT, the alley, NIGHT."""
    text = re.sub(r"\s*#[^#]*#\s*$", "", text.strip()).strip()  # a scene number
    interior = ""
    match = HEADING.match(text + " ")
    if match:
        word = match.group(1).upper().replace(".", "")
        interior = {"INT/EXT": "INT/EXT", "I/E": "INT/EXT", "INT": "INT", "EXT": "EXT", "EST": "EXT"}[word]
        text = text[match.end() :].strip(" .")
    place, time = text, ""
    parts = re.split(r"\s+[-–—]+\s+", text)
    if len(parts) > 1 and parts[-1].upper().split() and parts[-1].upper().split()[0] in TIMES_OF_DAY:
        place, time = " - ".join(parts[:-1]), parts[-1].upper()
    return Setting(interior=interior, place=place.strip(), time=time)


def _read(script, format: str, fallback_title: str, *, title: str = "", author: str = "") -> Screenplay:
    from screenplay_tools.screenplay import ElementType as T

    entries = {e.key.strip().casefold(): _plain(e.text) for e in getattr(script, "titleEntries", [])}
    title = title or ": ".join(line.strip() for line in entries.get("title", "").split("\n") if line.strip())
    title = title or fallback_title
    author = author or " ".join(entries.get("author", entries.get("authors", "")).split())
    notes = [_plain(n.text) for n in script.notes]
    scenes: list[ScreenplayScene] = []
    preamble: list[str] = []
    pending: list[str] = []  # sections and synopses before a heading: the next scene's notes
    cue: Speech | None = None
    for element in script.elements:
        kind = element.type
        if kind is not T.DIALOGUE and kind is not T.PARENTHETICAL and kind is not T.LYRIC:
            cue = None if kind is not T.CHARACTER else cue
        if kind is T.HEADING:
            heading = _plain(element.text_raw)
            if not element.forced and (TRANSITION.match(heading) or not heading):
                continue
            scenes.append(ScreenplayScene(heading, parse_heading(heading), notes=pending))
            pending = []
        elif kind is T.CHARACTER:
            extension = (element.extension or "").strip("() ").upper()
            name = _plain(element.name).upper().lstrip("@").strip()
            dual = bool(getattr(element, "is_dual_dialogue", False)) or name.endswith("^")
            previous, cue = (
                cue,
                Speech(name.rstrip("^ "), "", "" if "CONT" in extension else extension, dual=dual),
            )
            if dual and previous is not None and scenes:
                # The caret marks the second speaker of a pair; the speech just before it is said with it.
                for speech in reversed(scenes[-1].speeches):
                    if speech.cue != previous.cue:
                        break
                    speech.dual = True
        elif kind is T.PARENTHETICAL and cue is not None:
            cue.parenthetical = _plain(element.text_raw).strip("() ")
        elif kind in (T.DIALOGUE, T.LYRIC) and cue is not None and scenes:
            text = " ".join(_plain(element.text_raw).split())
            if text:
                scenes[-1].speeches.append(Speech(cue.cue, text, cue.extension, cue.parenthetical, cue.dual))
                cue.parenthetical = ""
        elif kind is T.ACTION:
            # Fountain's "@" forces a character cue; one left in action ("@McCLANE crouches") is not words.
            text = re.sub(r"(?<![\w@])@(?=[A-Z])", "", _plain(element.text_raw))
            target = scenes[-1] if scenes else None
            if text and getattr(element, "centered", False):
                (target.notes if target else pending).append(text)
            elif text:
                (target.action if target else preamble).append(text)
        elif kind in (T.SECTION, T.SYNOPSIS):
            text = _plain(element.text_raw)
            if text:
                (
                    scenes[-1].notes if kind is T.SYNOPSIS and scenes and not scenes[-1].action else pending
                ).append(text)
        if scenes:
            scenes[-1].notes += [notes[int(i)] for i in re.findall(r"\[\[(\d+)\]\]", element.text_raw)]
    if pending and scenes:
        scenes[-1].notes += pending
    cast = _cast(scenes)
    _name_in_action(scenes, cast)
    return Screenplay(title, author, format, scenes, cast, preamble)


def display_name(caps: str) -> str:
    """``DETECTIVE JUNE PARK`` as ``Detective June Park``; ``O'BRIEN`` as ``O'Brien``."""
    return re.sub(
        r"[A-Za-z]+", lambda m: m.group().capitalize() if len(m.group()) > 1 else m.group().lower(), caps
    )


def _words(name: str) -> list[str]:
    return name.upper().split()


def _within(cue: str, name: str) -> bool:
    """Whether the cue's words come in order inside the name's (JUNE in DETECTIVE JUNE PARK)."""
    small, big = _words(cue), _words(name)
    return any(big[i : i + len(small)] == small for i in range(len(big) - len(small) + 1))


def _introductions(scenes: list[ScreenplayScene]) -> list[tuple[str, str]]:
    """Capitalised names in the action, in order, with the description that follows each (parenthesised, or
    after a comma in lower case) or ``""``, and whether it was parenthesised (a person, though they never
    speak)."""
    found = []
    for scene in scenes:
        for text in scene.action:
            for match in CAPS_RUN.finditer(text):
                words = match.group(1).strip("-'").split()
                while words and words[0] in LEADING:
                    words.pop(0)
                name = " ".join(words)
                if not name or all(w.strip(".") in NOT_NAMES for w in name.split()):
                    continue
                rest = text[match.end() :]
                described = re.match(r"\s*\(([^)]{2,160})\)", rest)
                apposed = re.match(r",\s*([a-z][^,.;:]{2,160})[,.;]", rest)
                words = described or apposed
                found.append((name, words.group(1).strip() if words else "", described is not None))
    return found


def _cast(scenes: list[ScreenplayScene]) -> list[CastMember]:
    cues = list(dict.fromkeys(s.cue for scene in scenes for s in scene.speeches if s.cue))
    intros = _introductions(scenes)
    cast: list[CastMember] = []

    def member_for(name: str) -> CastMember | None:
        return next((m for m in cast if name in m.keys), None)

    # Described introductions are people (a cue within one is that person); a bare capitalised word is one
    # only when someone speaks under it.
    for name, description, parenthesised in intros:
        member = member_for(name) or next((m for m in cast if any(_within(name, k) for k in m.keys)), None)
        if member:
            member.keys.add(name)
            member.description = member.description or description
        elif parenthesised or any(_within(cue, name) for cue in cues):
            cast.append(CastMember(display_name(name), description, {name}))
    for cue in cues:
        holder = member_for(cue) or next((m for m in cast if any(_within(cue, k) for k in m.keys)), None)
        if holder is None:
            holder = CastMember(display_name(cue), "", set())
            cast.append(holder)
        holder.keys.add(cue)
    order = {
        m.name: min((i for i, (n, *_rest) in enumerate(intros) if n in m.keys), default=len(intros))
        for m in cast
    }
    speaking = {m.name: min((i for i, c in enumerate(cues) if c in m.keys), default=len(cues)) for m in cast}
    return sorted(cast, key=lambda m: (min(order[m.name], speaking[m.name]), m.name))


def _name_in_action(scenes: list[ScreenplayScene], cast: list[CastMember]) -> None:
    """Capitalised introductions in the action written as the names they stand for (``JUNE`` as June)."""
    keys = {key: display_name(key) for member in cast for key in member.keys}
    for scene in scenes:
        scene.action = [
            CAPS_RUN.sub(lambda m: keys.get(m.group(1), m.group(1)), text) for text in scene.action
        ]


def mentioned(text: str, member: CastMember) -> bool:
    """Whether the action names the member (any of their names, written with a capital)."""
    for key in member.keys:
        pattern = r"(?<![\w'])" + r"\s+".join(re.escape(w) for w in display_name(key).split()) + r"(?![\w'])"
        if re.search(pattern, text):
            return True
    return False

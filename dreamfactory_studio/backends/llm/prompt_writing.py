"""The offline art director's prompts, written to the painter's budget: the parts of a prompt in order of
importance, what the Base Description fixes as a painter reads it, and where several characters stand."""

from __future__ import annotations

import re


def prompt_budget(facts) -> int | None:
    """The painter's prompt budget in CLIP tokens, as the production gives it; None: no limit."""
    return facts.get("budget_tokens")


def look_words(facts) -> str:
    return ", ".join(
        p.strip()
        for p in (
            f"{facts.get('style', '')} storyboard keyframe",
            facts.get("palette", ""),
            facts.get("lighting", ""),
        )
        if p.strip() and p.strip() != "storyboard keyframe"
    )


def fixed_facts(base_description: str) -> str:
    """What the Base Description fixes, as a painter reads it: the measured colours and light of the monitor's
    description (the style, the cast and the first scene's place are said elsewhere in the prompt), or the
    whole of one the user wrote; shares in percent left out, as a painter would draw the numbers."""
    text = re.sub(r"\s*\(\d+%\)", "", base_description)
    fields = dict(
        re.findall(r"^(Measured palette|Lighting|Style|Characters[^:]*|Place):\s*(.*)$", text, re.M)
    )
    if not fields:
        return " ".join(text.split())
    kept = [f"colours {fields['Measured palette']}" if fields.get("Measured palette") else ""]
    kept.append(fields.get("Lighting", ""))
    return ", ".join(part.strip().rstrip(".") for part in kept if part.strip())


def layout_line(characters: str) -> str:
    """Where two or three characters stand, in the order the scene names them: left, (centre,) right. More
    are left to the studio's columns."""
    names = [part.split("(")[0].strip().split()[0] for part in _top_level(characters) if part.strip()]
    if not 2 <= len(names) <= 3:
        return ""
    spots = ["left", "right"] if len(names) == 2 else ["left", "centre", "right"]
    return "LAYOUT: " + "; ".join(f"{name} {spot}" for name, spot in zip(names, spots, strict=True))


def _top_level(text: str) -> list[str]:
    """``text`` split at the semicolons outside parentheses (a look may hold semicolons of its own)."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == ";" and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    return [*parts, text[start:]]


def fit_prompt(parts: list[tuple[str, bool]], budget: int | None) -> str:
    """Join the parts in order of importance. An ``essential`` part (the action, the looks, what the Base
    Description fixes) is always kept whole, even past the budget: the diffusers painter encodes a longer prompt
    in windows, and nothing of it may be dropped silently; another part is left out when it would not fit
    ``budget`` CLIP tokens. No budget: everything."""
    from dreamfactory_studio.backends.image.clip_tokens import count_tokens

    kept: list[str] = []
    for text, essential in parts:
        text = text.strip().rstrip(".")
        if not text:
            continue
        if essential or budget is None or count_tokens(". ".join([*kept, text]) + ".") <= budget:
            kept.append(text)
    return ". ".join(kept) + "." if kept else ""

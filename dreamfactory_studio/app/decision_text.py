"""A crew's decision as people read it: the JSON after ``<INFO>`` turned into lines (the style with its palette,
the outline and the cast, each scene with its title, shot and characters). The Crew pane shows this; its Raw
switch shows the words as the model wrote them."""

from __future__ import annotations

import json

from dreamfactory_studio.production.conclusions import INFO


def readable(text: str, phase: str = "") -> str:
    """``text`` with a JSON decision after its last ``<INFO>`` written out in words; a decision in plain words
    (a keyframe's prompt, a critique's verdict) under "Prompt:" or "Decision:"; other text as it is."""
    at = text.rfind(INFO)
    if at < 0:
        return text
    before, after = text[:at].rstrip(), text[at + len(INFO) :].strip()
    try:
        decision = json.loads(after)
    except (ValueError, TypeError):
        label = "Prompt" if phase == "keyframes" and after.lower() != "approved" else "Decision"
        return (before + "\n" if before else "") + f"{label}: {after}"
    if not isinstance(decision, dict):
        return text
    lines = _lines(decision)
    if not lines:
        return text
    return (before + "\n\n" if before else "") + "Decision:\n" + "\n".join(lines)


def _lines(d: dict) -> list[str]:
    if "scenes" in d and isinstance(d["scenes"], list):
        out = [f"{len(d['scenes'])} scenes:"]
        for number, scene in enumerate(d["scenes"], 1):
            if not isinstance(scene, dict):
                continue
            who = ", ".join(map(str, scene.get("characters") or [])) or "no one"
            shot = ", ".join(str(p) for p in (scene.get("shot"), scene.get("camera")) if p)
            seconds = f", {scene['duration']:g} s" if isinstance(scene.get("duration"), (int, float)) else ""
            out.append(
                f"  {number}. {scene.get('title') or '(untitled)'}: {shot or 'any shot'}; {who}{seconds}"
            )
        return out
    if "style" in d:
        out = [f"  Style: {d['style']}"]
        out += [f"  {key.title()}: {d[key]}" for key in ("palette", "lighting", "notes") if d.get(key)]
        return out
    if "outline" in d or "characters" in d:
        out = [f"  Outline: {d['outline']}"] if d.get("outline") else []
        for character in d.get("characters") or []:
            if isinstance(character, dict):
                look = f": {character['description']}" if character.get("description") else ""
                out.append(f"  - {character.get('name', '?')}{look}")
        return out
    if "scenes" in d and isinstance(d["scenes"], int):
        parts = [f"{d['scenes']} scenes", f"a {d.get('mode', 'short')} film"]
        parts += [f"for {d['audience']}" for _ in [0] if d.get("audience")]
        parts += [d["aspect"]] if d.get("aspect") else []
        if isinstance(d.get("duration_target"), (int, float)):
            parts.append(f"about {d['duration_target']:.0f} s")
        out = [f"  {', '.join(parts)}"]
        return out + ([f"  Notes: {d['notes']}"] if d.get("notes") else [])
    return []

"""How well the offline crew reads stories it was not written for: the hold-out stories of
``tests/fixtures/holdouts`` (a title line, chapters, dialogue, first person, present tense, non-human leads, a
crowd) through ``new`` and ``run --until script``, scored against what a person read in them (``truth.json``).

    .venv/bin/python benchmarks/bench_story_reading.py [--json]

Per story: the title kept out of the text, the cast found (with the right kind), false characters, people only
mentioned but cast, the lead in the scenes that hold them, the scenes' characters, places and times of day, and
whether the card, ``show``, the PDF and the film give each scene one length.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from dreamfactory_studio.backends.backend_set import Backends  # noqa: E402
from dreamfactory_studio.backends.llm.offline_writer import OfflineWriter  # noqa: E402
from dreamfactory_studio.core.model import Project  # noqa: E402
from dreamfactory_studio.core.new_project import new_project  # noqa: E402
from dreamfactory_studio.production.frame_facts import scene_setting  # noqa: E402
from dreamfactory_studio.production.run import Production  # noqa: E402

HOLDOUTS = REPO / "tests" / "fixtures" / "holdouts"
TIMES = {"dawn": "dawn", "dusk": "dusk", "evening": "dusk", "night": "night"}


def figure_kind(name: str, description: str) -> str:
    try:
        from dreamfactory_studio.core.story_reading.kinds import figure_of
    except ImportError:  # before issue 33: no kinds, everyone a person
        return "person"
    return figure_of(name, description).kind


def written(path: Path, scenes: int) -> Project:
    with tempfile.TemporaryDirectory() as tmp:
        folder = new_project(path, Path(tmp) / "p", scenes=scenes)
        with folder:
            asyncio.run(Production(folder, folder.load(), Backends(llm=OfflineWriter())).run(until="script"))
            return folder.load()


def _keys(entry: dict) -> set[str]:
    return {entry["name"].lower(), *(a.lower() for a in entry["aliases"])}


def matches(truth_entry: dict, name: str) -> bool:
    name = name.lower()
    keys = _keys(truth_entry)
    return name in keys or set(truth_entry["name"].lower().split()) <= set(name.split()) <= set(
        " ".join(keys).split()
    )


def score(file: str, truth: dict, project: Project) -> dict:
    text = (HOLDOUTS / file).read_text()
    # The story's own paragraphs: no title, heading or break (a person's reading, not the reader's).
    paragraphs = [
        p.strip()
        for p in text.split("\n\n")
        if p.strip() and p.strip()[-1] in '.!?"”' and "\n" not in p.strip()
    ]
    cast = {c.id: c for c in project.characters}
    found = [t for t in truth["cast"] if any(matches(t, c.name) for c in project.characters)]
    kinds = [
        t
        for t in found
        for c in project.characters
        if matches(t, c.name) and figure_kind(c.name, c.description) == t["kind"]
    ]
    false = [c.name for c in project.characters if not any(matches(t, c.name) for t in truth["cast"])]
    mentioned = [
        c.name for c in project.characters if c.name.lower().removeprefix("the ") in truth["mentioned"]
    ]
    title = truth["title"]
    # Glued: the title runs into the text ("The Glass Orchard Ana Petrov had...") or into a name.
    opening = " ".join(paragraphs[0].split()[:3])
    truth_names = [t["name"] for t in truth["cast"]]
    glued = [
        s.title
        for s in project.scenes
        if f"{title} {opening}" in " ".join(f"{s.script} {s.narration}".split())
    ]
    glued += [
        c.name
        for c in project.characters
        if set(title.split()) & set(c.name.split()) and c.name not in truth_names
    ]
    lead = next(t for t in truth["cast"] if t["name"] == truth["lead"])
    with_lead = followed = wanted_total = wanted_hit = listed_total = places = times = 0
    for scene in project.scenes:
        first = [i for i, p in enumerate(paragraphs) if p.split(". ")[0][:60] in scene.script]
        if not first:
            continue
        want = {n for i in first for n in truth["paragraphs"][i]["chars"]}
        names = [cast[i].name for i in scene.characters if i in cast]
        hit = {t["name"] for t in truth["cast"] if t["name"] in want and any(matches(t, n) for n in names)}
        wanted_total += len(want)
        wanted_hit += len(hit)
        listed_total += sum(
            1 for n in names if not any(matches(t, n) for t in truth["cast"] if t["name"] in want)
        )
        if lead["name"] in want:
            with_lead += 1
            followed += lead["name"] in hit
        place, time = scene_setting(project, scene)
        places += any(
            place == p or place in p.split() for i in first for p in truth["paragraphs"][i]["place"]
        )
        times += TIMES.get(time, "day") == truth["paragraphs"][first[0]]["time"]
    count = len(project.scenes)
    return {
        "story": file,
        "title": project.title,
        "title_right": project.title == title,
        "glued": glued,
        "cast": f"{len(found)}/{len(truth['cast'])}",
        "kinds": f"{len(kinds)}/{len(truth['cast'])}",
        "false": false,
        "mentioned": mentioned,
        "lead": f"{followed}/{with_lead}",
        "recall": f"{wanted_hit}/{wanted_total}",
        "listed": listed_total,
        "places": f"{places}/{count}",
        "times": f"{times}/{count}",
        "counts": (len(found), len(kinds), len(truth["cast"]), followed, with_lead, places, times, count),
    }


def main() -> None:
    truth = {
        k: v for k, v in json.loads((HOLDOUTS / "truth.json").read_text()).items() if not k.startswith("_")
    }
    rows = [score(f, t, written(HOLDOUTS / f, len(t["paragraphs"]))) for f, t in truth.items()]
    if "--json" in sys.argv:
        print(json.dumps(rows, indent=1))
        return
    print(
        "| story | title | cast found | kind right | false characters | lead followed | characters "
        "| listed wrongly | places | times |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        title = (
            "right" if r["title_right"] and not r["glued"] else f"{r['title']!r}; glued: {len(r['glued'])}"
        )
        false = ", ".join(r["false"] + [f"{m} (only mentioned)" for m in r["mentioned"]]) or "-"
        print(
            f"| {r['story']} | {title} | {r['cast']} | {r['kinds']} | {false} | {r['lead']} | {r['recall']} "
            f"| {r['listed']} | {r['places']} | {r['times']} |"
        )
    sums = [sum(r["counts"][i] for r in rows) for i in range(8)]
    glued = sum(1 for r in rows if r["glued"])
    print(
        f"| **all {len(rows)}** | {sum(r['title_right'] for r in rows)} titles right, {glued} glued | "
        f"{sums[0]}/{sums[2]} | {sums[1]}/{sums[2]} | {sum(len(r['false']) + len(r['mentioned']) for r in rows)} "
        f"| {sums[3]}/{sums[4]} ({100 * sums[3] / max(1, sums[4]):.0f} %) | "
        f"{sum(int(r['recall'].split('/')[0]) for r in rows)}/{sum(int(r['recall'].split('/')[1]) for r in rows)} "
        f"| {sum(r['listed'] for r in rows)} | {sums[5]}/{sums[7]} | {sums[6]}/{sums[7]} |"
    )


if __name__ == "__main__":
    main()

"""The offline crew's storyboards measured against what a person read in each fixture story
(tests/fixtures/stories/cast.json): scripts that start lowercase or end with a comma, the share of scenes that
refer to a character (by name, pronoun or epithet) and list them, and the styles chosen.
Run:  .venv/bin/python scripts/measure_storyboards.py
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
STORIES = REPO / "tests" / "fixtures" / "stories"


def main() -> None:
    from dreamfactory_studio.backends.backend_set import Backends
    from dreamfactory_studio.backends.llm.offline_writer import OfflineWriter
    from dreamfactory_studio.core.model import Project
    from dreamfactory_studio.core.project_folder import ProjectFolder
    from dreamfactory_studio.core.story_reading.analysis import sentences
    from dreamfactory_studio.production.run import Production

    truth = {
        k: v for k, v in json.loads((STORIES / "cast.json").read_text()).items() if not k.startswith("_")
    }
    styles, total, covered, broken = [], 0, 0, 0
    print("| story | style | scenes | scenes referring to someone | listed | missed |")
    print("|---|---|---|---|---|---|")
    for name, refs in truth.items():
        folder = ProjectFolder.create(
            Path(tempfile.mkdtemp()) / "p", Project(title="t", story=(STORIES / name).read_text())
        )
        with folder:
            asyncio.run(Production(folder, folder.load(), Backends(llm=OfflineWriter())).run(until="script"))
            project = folder.load()
        styles.append(project.style.style)
        whole = [s.text for s in sentences((STORIES / name).read_text())]
        cast = {c.id: c.name.lower() for c in project.characters}
        referring = listed = 0
        missed = []
        for scene in project.scenes:
            want = {w for i, t in enumerate(whole) if t in scene.script for w in refs.get(str(i), [])}
            names = [cast[i] for i in scene.characters]
            broken += scene.script[0].islower() or scene.script.rstrip().endswith(",")
            if want:
                referring += 1
                ok = all(any(w.lower() in n for n in names) for w in want)
                listed += ok
                if not ok:
                    missed.append(scene.title)
        total, covered = total + referring, covered + listed
        print(
            f"| {name} | {project.style.style} | {len(project.scenes)} | {referring} | {listed} | {', '.join(missed) or '-'} |"
        )
    print(f"\nscripts starting lowercase or ending with a comma: {broken}")
    print(f"scenes that refer to a character and list them: {covered} of {total} ({covered / total:.0%})")
    print(
        f"styles: {len(set(styles))} different across {len(styles)} stories ({', '.join(sorted(set(styles)))})"
    )


if __name__ == "__main__":
    main()

"""Contact sheets of the offline crew's storyboards: every fixture story (or the ones named) through the whole
offline production (writer, sketch renderer, monitor), its keyframes in a grid with their titles and cast, written
to docs/boards/STORY.png (``--holdouts``: the hold-out stories of issue 33, to docs/boards/holdouts/; ``--out
FOLDER``: elsewhere). Run:  .venv/bin/python scripts/contact_sheets.py [--holdouts] [--out FOLDER] [STORY ...]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def sheet(project, folder, columns: int = 4, width: int = 480):
    from PIL import Image, ImageDraw

    from dreamfactory_studio.backends.lettering import font

    height = width * 9 // 16
    label = 44
    rows = -(-len(project.scenes) // columns)
    page = Image.new("RGB", (columns * width, 60 + rows * (height + label)), (250, 249, 245))
    draw = ImageDraw.Draw(page)
    style = project.style
    draw.text(
        (12, 10),
        f"{project.title} · {style.style}: {style.palette}; {style.lighting}",
        fill=(30, 30, 36),
        font=font(18, bold=True),
    )
    names = {c.id: c.name for c in project.characters}
    for index, scene in enumerate(project.scenes):
        x, y = (index % columns) * width, 60 + (index // columns) * (height + label)
        frame = (
            Image.open(folder.asset_path(scene.keyframe.image)).convert("RGB").resize((width - 8, height - 8))
        )
        page.paste(frame, (x + 4, y + 4))
        cast = ", ".join(names[i] for i in scene.characters) or "no one"
        draw.text(
            (x + 6, y + height), f"{index + 1}. {scene.title}", fill=(30, 30, 36), font=font(14, bold=True)
        )
        draw.text((x + 6, y + height + 20), cast, fill=(90, 90, 96), font=font(12))
    return page


def main() -> None:
    from dreamfactory_studio.backends.backend_set import Backends
    from dreamfactory_studio.core.new_project import new_project
    from dreamfactory_studio.core.settings import KeyframeSettings, Settings
    from dreamfactory_studio.production.run import Production

    args = sys.argv[1:]
    out = REPO / "docs" / "boards"
    if "--out" in args:
        at = args.index("--out")
        out = Path(args[at + 1])
        del args[at : at + 2]
    fixtures = REPO / "tests" / "fixtures" / "stories"
    if "--holdouts" in args:
        args.remove("--holdouts")
        fixtures = REPO / "tests" / "fixtures" / "holdouts"
        out = out / "holdouts" if "--out" not in sys.argv else out
    stories = [Path(a) for a in args] or sorted(p for p in fixtures.iterdir() if p.suffix in (".txt", ".md"))
    out.mkdir(parents=True, exist_ok=True)
    for story in stories:
        root = Path(tempfile.mkdtemp()) / story.stem
        with new_project(story, root) as folder:
            made = Production(
                folder, folder.load(), Backends(Settings(keyframes=KeyframeSettings(width=640, height=360)))
            )
            asyncio.run(made.run())
            made.backends.close()
            page = sheet(folder.load(), folder)
        page.save(out / f"{story.stem}.png", optimize=True)
        print(out / f"{story.stem}.png")


if __name__ == "__main__":
    main()

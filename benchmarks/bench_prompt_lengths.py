"""How long the offline crew's keyframe prompts are in CLIP tokens, and what reaches the text encoder.

Makes a project from a story (default: the three-character fixture), runs the offline crew with the sketch
painter, then has the art director write every scene's prompt again for a painter whose encoder reads one CLIP
window (75 tokens, as the diffusers painter declares), and counts each with CLIP's own tokenizer.

Run:  .venv/bin/python benchmarks/bench_prompt_lengths.py [STORY]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main() -> None:
    from dreamfactory_studio.backends.backend_set import Backends
    from dreamfactory_studio.backends.image.clip_tokens import WINDOW, count_tokens
    from dreamfactory_studio.backends.llm import TurnInfo
    from dreamfactory_studio.backends.llm.offline_writer import OfflineWriter
    from dreamfactory_studio.core.new_project import new_project
    from dreamfactory_studio.core.settings import KeyframeSettings, Settings
    from dreamfactory_studio.production.frame_facts import budget_words, prompt_facts
    from dreamfactory_studio.production.run import Production

    story = (
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else REPO / "tests" / "fixtures" / "stories" / "three-friends.txt"
    )
    root = Path(tempfile.mkdtemp()) / "p"
    with new_project(story, root) as folder:
        made = Production(
            folder, folder.load(), Backends(Settings(keyframes=KeyframeSettings(width=320, height=180)))
        )
        asyncio.run(made.run())
        made.backends.close()
        project = folder.load()
    unbudgeted = [count_tokens(s.keyframe.prompt) for s in project.scenes[1:]]
    budgeted = []
    for scene in project.scenes[1:]:
        facts = prompt_facts(project, scene, budget=budget_words(WINDOW))
        answer = OfflineWriter().write(
            TurnInfo("keyframes", "prompt", "art_director", "reply", 1, project, 1, extra=facts)
        )
        budgeted.append(count_tokens(answer.split("<INFO>", 1)[1].split("\nLAYOUT:")[0]))
    print(f"{story.name}, {len(project.characters)} characters, scenes 2 to {len(project.scenes)}")
    print("| painter | prompt tokens (min to max) | over one window | windows encoded | truncated |")
    print("|---|---|---|---|---|")
    for name, lengths in (
        ("no budget (sketch)", unbudgeted),
        (f"{WINDOW}-token budget (diffusers)", budgeted),
    ):
        windows = max(-(-n // WINDOW) for n in lengths)
        print(
            f"| {name} | {min(lengths)} to {max(lengths)} | {sum(n > WINDOW for n in lengths)} of {len(lengths)} "
            f"| up to {windows} | none |"
        )


if __name__ == "__main__":
    main()

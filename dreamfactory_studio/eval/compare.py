"""``compare``: the ablation of the paper's Table 3. Each story is made into one script, then drawn twice with the
same painter and seeds: script-only (each scene's script straight to the painter) and with the full Keyframe
Iteration Design; both are evaluated and set side by side.

Per story, ``OUT/STORY/keyframe-iteration`` and ``OUT/STORY/script-only`` are ordinary projects (open them in the
studio to look at the frames); running ``compare`` again continues them and scores them afresh.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dreamfactory_studio.core.atomic import atomic_write_text
from dreamfactory_studio.core.errors import BadInput
from dreamfactory_studio.core.events import Emit, ignore
from dreamfactory_studio.core.model import BaseDescription, Evaluation, PhaseState
from dreamfactory_studio.core.new_project import new_project
from dreamfactory_studio.core.project_folder import ProjectFolder, is_project
from dreamfactory_studio.core.project_lock import LOCK_NAME
from dreamfactory_studio.core.settings import Settings
from dreamfactory_studio.eval.evaluate import METRICS, Evaluator, format_score

VARIANTS = {"script-only": "Script", "keyframe-iteration": "DreamFactory"}
COLUMNS = ("csfd", "cssc", "clip_score", "base_similarity", "fid", "is", "fvd", "kvd")
HEADERS = {
    "csfd": "CSFD",
    "cssc": "CSSC",
    "clip_score": "av-CLIP",
    "base_similarity": "Base Frame sim.",
    "fid": "FID",
    "is": "IS",
    "fvd": "FVD",
    "kvd": "KVD",
}


@dataclass
class Comparison:
    """Scores by story and variant; ``columns`` are the metrics at least one run could compute."""

    painter: str
    rows: list[tuple[str, str, Evaluation]] = field(default_factory=list)

    @property
    def columns(self) -> list[str]:
        return [c for c in COLUMNS if any(c in e.overall for _, _, e in self.rows)]

    def averages(self) -> dict[str, dict[str, float]]:
        """The mean of each metric per variant over the stories that have it."""
        means: dict[str, dict[str, float]] = {}
        for variant in VARIANTS:
            for column in self.columns:
                values = [e.overall[column] for _, v, e in self.rows if v == variant and column in e.overall]
                if values:
                    means.setdefault(variant, {})[column] = sum(values) / len(values)
        return means

    def label(self, variant: str) -> str:
        return f"{VARIANTS[variant]} + {self.painter}"

    def markdown(self) -> str:
        columns = self.columns
        lines = [
            "| story | models | " + " | ".join(HEADERS[c] for c in columns) + " |",
            "|---|---|" + "---|" * len(columns),
        ]
        for story, variant, evaluation in self.rows:
            cells = [format_score(evaluation.overall.get(c)) for c in columns]
            lines.append(f"| {story} | {self.label(variant)} | " + " | ".join(cells) + " |")
        if len({story for story, _, _ in self.rows}) > 1:
            for variant, means in self.averages().items():
                cells = [format_score(means.get(c)) for c in columns]
                lines.append(f"| **mean** | {self.label(variant)} | " + " | ".join(cells) + " |")
        return "\n".join(lines) + "\n"

    def csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["story", "variant", "models", *self.columns])
        for story, variant, evaluation in self.rows:
            writer.writerow(
                [story, variant, self.label(variant), *(evaluation.overall.get(c, "") for c in self.columns)]
            )
        return buffer.getvalue()

    def missing(self) -> dict[str, str]:
        """Metrics no run computed, with the first reason given."""
        reasons: dict[str, str] = {}
        for _, _, evaluation in self.rows:
            for key, reason in evaluation.unavailable.items():
                if key in COLUMNS and key not in self.columns:
                    reasons.setdefault(key, reason)
        return reasons


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "story"


def painter_name(settings: Settings) -> str:
    image = settings.image
    return "sketch renderer" if image.backend == "sketch" else Path(image.model).name or image.backend


def _copy_script(full: Path, baseline: Path) -> None:
    """The same project (its ids, so its seeds, and its script) without keyframes, for the baseline to draw."""
    shutil.copytree(full, baseline, ignore=shutil.ignore_patterns(LOCK_NAME, "memory", "exports"))
    with ProjectFolder.open(baseline) as folder:
        project = folder.load()
        for scene in project.scenes:
            scene.takes, scene.selected_take, scene.keyframe_description = [], None, ""
            scene.pinned, scene.clip = False, None
        project.base_frame, project.base_description = None, BaseDescription()
        project.phases["keyframes"] = PhaseState()
        project.evaluation = None
        folder.save(project)


async def compare(
    stories: list[Path],
    out: Path,
    settings: Settings,
    *,
    reference: Path | None = None,
    scenes: int | None = None,
    say: Callable[[str], None] = lambda message: None,
    emit: Emit = ignore,
) -> Comparison:
    """Make, draw and score each story both ways; write ``comparison.csv`` and ``comparison.md`` into ``out``."""
    from dreamfactory_studio.backends.backend_set import Backends
    from dreamfactory_studio.production.run import Production

    slugs = [_slug(Path(story).stem) for story in stories]
    if len(set(slugs)) < len(slugs):
        raise BadInput("two of the stories have the same name; give each story file its own name.")
    out.mkdir(parents=True, exist_ok=True)
    with Backends(settings) as backends:
        evaluator = Evaluator(settings, say, monitor=backends.monitor)
        result = Comparison(painter_name(settings))
        for story, slug in zip(stories, slugs, strict=True):
            full, baseline = out / slug / "keyframe-iteration", out / slug / "script-only"
            say(f"{slug}: the script (one for both variants)")
            folder = ProjectFolder.open(full) if is_project(full) else new_project(story, full, scenes=scenes)
            with folder:
                project = folder.load()
                await Production(folder, project, backends, emit=emit).run(until="script")
            if not is_project(baseline):
                _copy_script(full, baseline)
            for variant, root in (("script-only", baseline), ("keyframe-iteration", full)):
                with ProjectFolder.open(root) as folder:
                    project = folder.load()
                    if project.phases["keyframes"].status != "done":
                        say(f"{slug}: keyframes, {variant}")
                        production = Production(folder, project, backends, emit=emit)
                        await production.run_keyframes(script_only=variant == "script-only")
                    say(f"{slug}: scoring {variant}")
                    project.evaluation = await evaluator.project(folder, project, reference)
                    folder.save(project)
                    result.rows.append((slug, variant, project.evaluation))
    atomic_write_text(out / "comparison.csv", result.csv())
    notes = "".join(f"- {METRICS[k]}: not computed, {why}\n" for k, why in result.missing().items())
    atomic_write_text(out / "comparison.md", result.markdown() + (f"\n{notes}" if notes else ""))
    return result

"""The evaluation as one self-contained HTML file: scores, the keyframe strip, a table per scene and plots.

Thumbnails and plots (matplotlib, SVG) are embedded, so the file can be mailed or archived on its own.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

from dreamfactory_studio.core.atomic import atomic_write_text
from dreamfactory_studio.core.model import Evaluation
from dreamfactory_studio.eval.evaluate import METRICS, Frame, format_score

SCENE_COLUMNS = (
    ("clip_score", "CLIP score"),
    ("base_similarity", "similarity to Base Frame"),
    ("face", "face"),
    ("csfd", "CSFD (mean with later frames)"),
    ("style", "style"),
)

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.6em; margin-bottom: .2em; } .muted { color: #666; }
table { border-collapse: collapse; margin: 1em 0; } td, th { padding: .3em .8em; border-bottom: 1px solid #ddd;
text-align: left; } th { background: #f4f4f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.strip { display: flex; gap: 8px; overflow-x: auto; padding: .5em 0; } .strip figure { margin: 0; flex: none; }
.strip img { height: 110px; border-radius: 4px; display: block; } .strip figcaption { font-size: 12px; }
.drift { color: #b3261e; font-weight: 600; } .plots img { max-width: 100%; }
"""


def _thumbnail(path: Path, height: int = 220) -> str:
    from dreamfactory_studio.backends.image.files import open_image

    image = open_image(path)
    image.thumbnail((height * 4, height))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=82)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()


def _plots(evaluation: Evaluation, frames: list[Frame]) -> str:
    """Per-scene scores as lines and the style classes as bars, as an inline SVG (empty with no data)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    series = {
        label: [evaluation.scenes.get(f.key, {}).get(key) for f in frames]
        for key, label in SCENE_COLUMNS
        if key in ("clip_score", "base_similarity", "csfd")
    }
    series = {label: values for label, values in series.items() if any(isinstance(v, float) for v in values)}
    styles: dict[str, int] = {}
    for frame in frames:
        style = evaluation.scenes.get(frame.key, {}).get("style")
        if isinstance(style, str):
            styles[style] = styles.get(style, 0) + 1
    if not series and not styles:
        return ""
    figure = Figure(figsize=(11, 3.6), layout="constrained")
    if series and styles:
        left, right = figure.subplots(1, 2, width_ratios=(3, 1))
    else:
        left = right = figure.subplots()
    if series:
        positions = list(range(1, len(frames) + 1))
        for label, values in series.items():
            left.plot(
                positions,
                [v if isinstance(v, float) else float("nan") for v in values],
                marker="o",
                label=label,
            )
        if "similarity to Base Frame" in series:
            left.axhline(evaluation.drift_threshold, color="#b3261e", linestyle=":", label="drift threshold")
        left.set_xticks(positions)
        left.set_xlabel("scene")
        left.set_title("per scene")
        left.legend(fontsize=8)
    if styles:
        right.bar(list(styles), list(styles.values()), color="#5b7bb4")
        right.set_title("style classes")
        right.tick_params(axis="x", labelrotation=30, labelsize=8)
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg")
    return buffer.getvalue()[buffer.getvalue().find("<svg") :]


def write_report(path: Path, title: str, evaluation: Evaluation, frames: list[Frame]) -> Path:
    """Write the report to ``path`` (atomically) and return it."""
    e = html.escape
    overall = "".join(
        f"<tr><td>{e(label)}</td><td class=num>{format_score(evaluation.overall[key])}</td></tr>"
        for key, label in METRICS.items()
        if key in evaluation.overall
    )
    if "cssc_style" in evaluation.overall:
        overall += f"<tr><td>most common style</td><td>{e(str(evaluation.overall['cssc_style']))}</td></tr>"
    missing = "".join(
        f"<li><b>{e(METRICS.get(key, key))}</b>: {e(reason)}</li>"
        for key, reason in evaluation.unavailable.items()
    )
    warnings = "".join(f"<li>{e(w)}</li>" for w in evaluation.warnings)
    models = ", ".join(f"{e(k)}: {e(v)}" for k, v in evaluation.models.items()) or "none"
    strip = "".join(
        f'<figure><img src="{_thumbnail(f.image)}" alt="{e(f.label)}"><figcaption>{e(f.label)}</figcaption></figure>'
        for f in frames
    )
    head = "".join(f"<th>{e(label)}</th>" for _, label in SCENE_COLUMNS)
    rows = []
    for frame in frames:
        scores = evaluation.scenes.get(frame.key, {})
        cells = "".join(
            f"<td class=num>{format_score(scores.get(key))}</td>"
            if key not in ("face", "style")
            else f"<td>{format_score(scores.get(key))}</td>"
            for key, _ in SCENE_COLUMNS
        )
        badge = " <span class=drift>drifts</span>" if evaluation.drifting(frame.key) else ""
        rows.append(f"<tr><td>{e(frame.label)}{badge}</td>{cells}</tr>")
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Evaluation: {e(title)}</title><style>{STYLE}</style></head>
<body>
<h1>Evaluation: {e(title)}</h1>
<p class=muted>{evaluation.created:%Y-%m-%d %H:%M} UTC · measured with {models}</p>
<h2>Scores</h2>
<table><tr><th>metric</th><th>value</th></tr>{overall or "<tr><td colspan=2>none could be computed</td></tr>"}</table>
{f"<h3>Not computed</h3><ul>{missing}</ul>" if missing else ""}
{f"<h3>Notes</h3><ul>{warnings}</ul>" if warnings else ""}
<h2>Keyframes</h2>
<div class=strip>{strip}</div>
<h2>Per scene</h2>
<table><tr><th>scene</th>{head}</tr>{"".join(rows)}</table>
<div class=plots>{_plots(evaluation, frames)}</div>
</body></html>
"""
    atomic_write_text(path, page)
    return path

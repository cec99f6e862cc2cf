"""The metrics' arithmetic: the paper's CSFD and CSSC, and FID, KID and IS, against values known by hand."""

from __future__ import annotations

import numpy as np
import pytest

from dreamfactory_studio.backends.vision.openai_vision import parse_style
from dreamfactory_studio.core.model import STYLES
from dreamfactory_studio.eval import metrics


def test_cross_scene_similarity_is_algorithm_1():
    same = [np.array([1.0, 2.0, 3.0])] * 4
    score, per_frame = metrics.cross_scene_similarity(same)
    assert score == pytest.approx(1.0) and per_frame[-1] is None
    # Frame 1 vs 2 and 3; frame 2 vs 3: averaged per frame, then over frames.
    a, b, c = np.array([1.0, 0.0]), np.array([0.0, 1.0]), np.array([1.0, 1.0])
    score, per_frame = metrics.cross_scene_similarity([a, b, c])
    half = 1 / np.sqrt(2)
    assert per_frame[0] == pytest.approx((0 + half) / 2) and per_frame[1] == pytest.approx(half)
    assert score == pytest.approx(((0 + half) / 2 + half) / 2)
    rng = np.random.default_rng(0)
    unrelated = list(rng.normal(size=(5, 64)))
    assert metrics.cross_scene_similarity(unrelated)[0] < 0.5
    with pytest.raises(ValueError):
        metrics.cross_scene_similarity([a])


def test_style_consistency_is_the_share_of_the_most_common_class():
    # The paper's Figure 6: three realistic scenes and one anime scene score 75%.
    assert metrics.style_consistency(["realism", "realism", "realism", "anime"]) == (0.75, "realism")
    assert metrics.style_consistency(["ink wash"] * 3) == (1.0, "ink wash")


def test_parse_style_reads_the_answers_models_give():
    assert parse_style("Oil-Painting", STYLES) == "oil painting"
    assert parse_style("This looks like ink_wash, maybe anime.", STYLES) == "ink wash"
    assert parse_style("I would say: realism.", STYLES) == "realism"
    assert parse_style("a watercolour", STYLES) is None


def test_frechet_distance_of_a_set_with_itself_is_zero_and_a_shift_adds_its_square():
    rng = np.random.default_rng(1)
    real = rng.normal(size=(4000, 4))
    assert metrics.frechet_distance(real, real) == pytest.approx(0.0, abs=1e-6)
    shifted = real + np.array([2.0, 0.0, 0.0, 0.0])
    assert metrics.frechet_distance(real, shifted) == pytest.approx(4.0, rel=1e-6)
    # Two independent samples of one distribution are close; a wider one is far.
    other = rng.normal(size=(4000, 4))
    assert metrics.frechet_distance(real, other) < 0.05
    assert metrics.frechet_distance(real, 3 * other) > 10


def test_kernel_distance_is_near_zero_for_one_distribution_and_grows_with_a_shift():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(300, 8)), rng.normal(size=(300, 8))
    assert abs(metrics.kernel_distance(a, b)) < 0.05
    assert metrics.kernel_distance(a, b + 1.5) > 1.0


def test_inception_score_counts_confident_distinct_classes():
    assert metrics.inception_score(np.eye(10))[0] == pytest.approx(10.0, rel=1e-6)
    assert metrics.inception_score(np.tile(np.eye(10)[0], (10, 1)))[0] == pytest.approx(1.0)
    assert metrics.inception_score(np.full((6, 10), 0.1))[0] == pytest.approx(1.0)

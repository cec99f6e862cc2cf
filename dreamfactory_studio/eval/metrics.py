"""The arithmetic of the metrics, on feature vectors and labels already computed (numpy only).

CSFD and CSSC follow the DreamFactory paper (section 4.2, Algorithms 1 and 2); FID, KID and IS follow their
usual definitions (Heusel et al. 2017; Bińkowski et al. 2018; Salimans et al. 2016). FVD and KVD are FID and KID
on video features.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

FEW_SAMPLES = 50
"""Under this many samples per set, FID-like numbers are noise; the report says so."""


def unit(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (a zero row stays zero)."""
    vectors = np.atleast_2d(np.asarray(vectors, dtype=np.float64))
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(unit(a)[0] @ unit(b)[0])


def cross_scene_similarity(vectors: Sequence[np.ndarray]) -> tuple[float, list[float | None]]:
    """Algorithm 1 of the paper: each frame's mean cosine similarity with every later frame, then the mean of
    those. Returns the score and each frame's own mean (None for the last, which has no later frame).

    Needs at least two frames."""
    if len(vectors) < 2:
        raise ValueError("cross-scene similarity needs at least two frames")
    matrix = unit(np.stack(vectors))
    similarity = matrix @ matrix.T
    per_frame: list[float | None] = [
        float(similarity[i, i + 1 :].mean()) for i in range(len(vectors) - 1)
    ] + [None]
    return float(np.mean([v for v in per_frame if v is not None])), per_frame


def style_consistency(labels: Sequence[str]) -> tuple[float, str]:
    """Algorithm 2 of the paper: the share of keyframes in the most common style class, and that class."""
    if not labels:
        raise ValueError("style consistency needs at least one classified keyframe")
    style, count = Counter(labels).most_common(1)[0]
    return count / len(labels), style


def frechet_distance(real: np.ndarray, fake: np.ndarray) -> float:
    """||mu_r - mu_f||^2 + Tr(S_r + S_f - 2 (S_r S_f)^1/2) between two feature sets (rows are samples)."""
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    if len(real) < 2 or len(fake) < 2:
        raise ValueError("a Fréchet distance needs at least two samples in each set")
    mu_r, mu_f = real.mean(0), fake.mean(0)
    s_r, s_f = np.cov(real, rowvar=False), np.cov(fake, rowvar=False)
    # The trace of the square root of S_r S_f is the sum of the square roots of its eigenvalues, which are real
    # and non-negative for two covariance matrices; rounding can leave tiny negative or imaginary parts.
    eigenvalues = np.linalg.eigvals(np.atleast_2d(s_r) @ np.atleast_2d(s_f))
    root_trace = np.sqrt(np.clip(eigenvalues.real, 0, None)).sum()
    value = float(((mu_r - mu_f) ** 2).sum() + np.trace(np.atleast_2d(s_r)) + np.trace(np.atleast_2d(s_f)))
    return max(0.0, value - 2 * float(root_trace))


def kernel_distance(real: np.ndarray, fake: np.ndarray) -> float:
    """The unbiased squared MMD with the cubic polynomial kernel (x.y / d + 1)^3: KID, or KVD on video features."""
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    m, n = len(real), len(fake)
    if m < 2 or n < 2:
        raise ValueError("a kernel distance needs at least two samples in each set")
    d = real.shape[1]

    def kernel(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return (a @ b.T / d + 1) ** 3

    k_rr, k_ff, k_rf = kernel(real, real), kernel(fake, fake), kernel(real, fake)
    return float(
        (k_rr.sum() - np.trace(k_rr)) / (m * (m - 1))
        + (k_ff.sum() - np.trace(k_ff)) / (n * (n - 1))
        - 2 * k_rf.mean()
    )


def inception_score(probabilities: np.ndarray, splits: int = 1) -> tuple[float, float]:
    """exp(E[KL(p(y|x) || p(y))]) over ``splits`` parts of the set; the mean and standard deviation."""
    probabilities = np.asarray(probabilities, np.float64)
    if len(probabilities) < 1:
        raise ValueError("an Inception Score needs at least one image")
    scores = []
    for part in np.array_split(probabilities, max(1, min(splits, len(probabilities)))):
        marginal = part.mean(0, keepdims=True)
        kl = (part * (np.log(part + 1e-12) - np.log(marginal + 1e-12))).sum(1)
        scores.append(float(np.exp(kl.mean())))
    return float(np.mean(scores)), float(np.std(scores))

"""BLEU-1..4 as coco-caption computes it ("closest" reference length), engine `pycocoevalcap`.

`bleu_stats` also returns each clip's sufficient statistics (candidate length, closest reference
length, guessed and matched n-grams), from which `bleu_from_stats` rebuilds the corpus score of
any resampled corpus (the bootstrap) with coco-caption's formula and smoothing constants.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

MAX_N = 4
# coco-caption's smoothing: "tiny" keeps zero matches at zero, "small" avoids dividing by zero
_TINY, _SMALL = 1e-15, 1e-9


def smoothing_constants() -> tuple[float, float]:
    """coco-caption's `(tiny, small)`: an n-gram precision is `(matches + tiny) / (guesses +
    small)`, so a candidate without any n-gram of an order gets `tiny / small`, not 0."""
    return _TINY, _SMALL


def bleu_stats(
    candidates: Sequence[str], references: Sequence[Sequence[str]], n: int = MAX_N
) -> tuple[list[float], np.ndarray, np.ndarray]:
    """Corpus BLEU-1..n, per-clip BLEU-1..n (N, n) and statistics (N, 2 + 2n).

    Statistics columns: candidate length, closest reference length, guessed 1..n-grams,
    matched 1..n-grams.
    """
    from pycocoevalcap.bleu.bleu_scorer import BleuScorer

    if len(candidates) != len(references):
        raise ValueError("candidates and references differ in length")
    if not candidates:
        return [float("nan")] * n, np.zeros((0, n)), np.zeros((0, 2 + 2 * n))
    scorer = BleuScorer(n=n)
    for candidate, refs in zip(candidates, references, strict=True):
        scorer += (candidate, list(refs))
    corpus, per_clip = scorer.compute_score(option="closest", verbose=0)
    stats = np.zeros((len(candidates), 2 + 2 * n))
    for i, comps in enumerate(scorer.ctest):
        test_len = comps["testlen"]
        stats[i, 0] = test_len
        stats[i, 1] = min((abs(length - test_len), length) for length in comps["reflen"])[1]
        stats[i, 2 : 2 + n] = comps["guess"]
        stats[i, 2 + n :] = comps["correct"]
    return [float(x) for x in corpus], np.array(per_clip, dtype=float).T, stats


def bleu(
    candidates: Sequence[str], references: Sequence[Sequence[str]], n: int = MAX_N
) -> tuple[list[float], np.ndarray]:
    """Corpus BLEU-1..n and per-clip BLEU-1..n, shape (N, n)."""
    corpus, per_clip, _ = bleu_stats(candidates, references, n)
    return corpus, per_clip


def bleu_from_stats(summed: np.ndarray, n: int = MAX_N) -> np.ndarray:
    """Corpus BLEU-1..n from summed statistics rows (..., 2 + 2n) -> (..., n)."""
    summed = np.asarray(summed, dtype=float)
    test_len, ref_len = summed[..., 0], summed[..., 1]
    guess, correct = summed[..., 2 : 2 + n], summed[..., 2 + n :]
    precisions = (correct + _TINY) / (guess + _SMALL)
    cumulative = np.cumprod(precisions, axis=-1)
    scores = cumulative ** (1.0 / np.arange(1, n + 1))
    ratio = (test_len + _TINY) / (ref_len + _SMALL)
    with np.errstate(divide="ignore"):
        brevity = np.where(ratio < 1, np.exp(1 - 1 / ratio), 1.0)
    return scores * brevity[..., None]

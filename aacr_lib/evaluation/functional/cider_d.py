"""CIDEr-D as coco-caption's `Cider` computes it (its "CIDEr" is CIDEr-D), engine `pycocoevalcap`.

n-grams 1..4, tf-idf with the document frequencies of the references being scored, clipping of
the candidate's weights by the reference's, a Gaussian length penalty (sigma 6), mean over
references, times 10. The idf depends on the whole reference set, so a corpus's per-clip scores
change when clips are added or removed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

SIGMA = 6.0


def cider_d(
    candidates: Sequence[str],
    references: Sequence[Sequence[str]],
    n: int = 4,
    sigma: float = SIGMA,
) -> tuple[float, np.ndarray]:
    """Corpus CIDEr-D (the mean of the clips') and per-clip CIDEr-D."""
    from pycocoevalcap.cider.cider_scorer import CiderScorer

    if len(candidates) != len(references):
        raise ValueError("candidates and references differ in length")
    if not candidates:
        return float("nan"), np.zeros(0)
    scorer = CiderScorer(n=n, sigma=sigma)
    for candidate, refs in zip(candidates, references, strict=True):
        scorer += (candidate, list(refs))
    corpus, per_clip = scorer.compute_score()
    return float(corpus), np.asarray(per_clip, dtype=float)

"""ROUGE-L (longest common subsequence, beta = 1.2, best reference), engine `pycocoevalcap`."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def rouge_l_beta() -> float:
    """The beta of the F-measure, read from coco-caption's `Rouge` (recall weighs beta² times
    as much as precision)."""
    from pycocoevalcap.rouge.rouge import Rouge

    return float(Rouge().beta)


def rouge_l(
    candidates: Sequence[str], references: Sequence[Sequence[str]]
) -> tuple[float, np.ndarray]:
    """Corpus ROUGE-L (the mean of the clips') and per-clip ROUGE-L."""
    from pycocoevalcap.rouge.rouge import Rouge

    if len(candidates) != len(references):
        raise ValueError("candidates and references differ in length")
    if not candidates:
        return float("nan"), np.zeros(0)
    scorer = Rouge()
    per_clip = np.array(
        [
            scorer.calc_score([c], list(refs))
            for c, refs in zip(candidates, references, strict=True)
        ],
        dtype=float,
    )
    return float(np.mean(per_clip)), per_clip

"""The Python METEOR formula (used by the bootstrap) reproduces the METEOR 1.5 jar.

The statistics lines and scores below were printed by meteor-1.5.jar (pycocoevalcap 1.2, Java
17) for seven hand-written clips; they exercise the exact, synonym and paraphrase modules and a
perfect match.
"""

from __future__ import annotations

import numpy as np
import pytest

from aacr_lib.evaluation.functional.meteor import aggregable_stats, meteor_from_stats, parse_stats

STATS = [
    "3.0 5.0 1.0 2.0 1.0 1.0 1.0 1.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 1.0 2.0 2.0",
    "5.0 6.0 2.0 2.0 3.0 3.0 2.0 2.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 2.0 5.0 5.0",
    "3.0 3.0 1.0 1.0 2.0 2.0 1.0 1.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 1.0 3.0 3.0",
    "2.0 3.0 0.0 0.0 2.0 2.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 1.0 2.0 2.0",
    "6.0 3.0 2.0 1.0 1.0 1.0 1.0 1.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 2.0 2.0 2.0",
    "5.0 6.0 2.0 3.0 1.0 1.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 1.0 1.0 0.0 0.0 2.0 2.0 2.0",
    "6.0 9.0 3.0 4.0 0.0 0.0 2.0 2.0 0.0 0.0 0.0 0.0 1.0 1.0 0.0 0.0 2.0 3.0 1.0 2.0 3.0 6.0 8.0",
]
JAR_PER_CLIP = [
    0.1837191007778175,
    0.4062840465791614,
    1.0,
    0.33520678036654417,
    0.19875776397515527,
    0.1620253164556962,
    0.29420693717340923,
]
JAR_CORPUS = 0.29597932556693524


def test_per_clip_scores_match_the_jar():
    assert meteor_from_stats(parse_stats(STATS)) == pytest.approx(JAR_PER_CLIP, abs=1e-12)


def test_corpus_aggregate_matches_the_jar():
    summed = aggregable_stats(parse_stats(STATS)).sum(axis=0)
    assert float(meteor_from_stats(summed)) == pytest.approx(JAR_CORPUS, abs=1e-12)


def test_perfect_match_contributes_no_chunk():
    stats = aggregable_stats(parse_stats(STATS))
    assert stats[2, 20] == 0.0  # clip 3 equals its reference
    assert np.all(stats[[0, 1, 3, 4, 5, 6], 20] > 0)

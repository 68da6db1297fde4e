"""Confidence intervals over clips or queries: bootstrap (captioning) and jackknife (retrieval).

A corpus metric is written as `reduce(summed per-clip statistics)`: the mean of per-clip scores
(ROUGE-L, CIDEr-D, SPICE, SPIDEr), BLEU from summed n-gram counts and lengths, METEOR from summed
Meteor statistics. A bootstrap resample is a vector of counts (how often each clip is drawn), so
the statistics of every resample are one matrix product: `counts @ per_clip_statistics`.

CIDEr-D keeps the idf of the full reference set in every resample (recomputing it per resample
would cost one full CIDEr-D evaluation each).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import erfinv

DEFAULT_RESAMPLES = 1000
DEFAULT_CONFIDENCE = 0.95
DEFAULT_SEED = 0


@dataclass(frozen=True)
class CorpusStatistic:
    """Per-clip statistics (N, d) and the function from their (weighted) sums to the metric."""

    per_clip: np.ndarray
    reduce: Callable[[np.ndarray, int], np.ndarray]  # (B, d) sums, N -> (B,) metric values

    def value(self) -> float:
        n = len(self.per_clip)
        return float(self.reduce(self.per_clip.sum(axis=0, keepdims=True), n)[0])

    def resampled(self, counts: np.ndarray) -> np.ndarray:
        return self.reduce(counts @ self.per_clip, len(self.per_clip))


def mean_statistic(per_clip_scores: np.ndarray) -> CorpusStatistic:
    scores = np.asarray(per_clip_scores, dtype=float).reshape(-1, 1)
    return CorpusStatistic(scores, lambda sums, n: sums[:, 0] / n)


def resample_counts(n: int, n_resamples: int, seed: int = DEFAULT_SEED) -> np.ndarray:
    """(B, n) counts of each clip in B bootstrap resamples of size n."""
    rng = np.random.default_rng(seed)
    return rng.multinomial(n, np.full(n, 1.0 / n), size=n_resamples).astype(float)


def percentile_interval(values: np.ndarray, confidence: float) -> tuple[float, float]:
    tail = (1.0 - confidence) / 2.0 * 100.0
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return float("nan"), float("nan")
    low, high = np.percentile(finite, [tail, 100.0 - tail])
    return float(low), float(high)


def bootstrap_intervals(
    statistics: dict[str, CorpusStatistic],
    n_resamples: int = DEFAULT_RESAMPLES,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int = DEFAULT_SEED,
) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap interval of each metric; the same resamples serve every metric."""
    if not statistics:
        return {}
    n = len(next(iter(statistics.values())).per_clip)
    counts = resample_counts(n, n_resamples, seed)
    return {
        name: percentile_interval(stat.resampled(counts), confidence)
        for name, stat in statistics.items()
    }


@dataclass(frozen=True)
class PairedDifference:
    """System A minus system B on one metric, with a bootstrap interval and a p-value."""

    a: float
    b: float
    difference: float
    interval: tuple[float, float]
    p_value: float
    seeds: int = 1  # training seeds per system behind it (`paired_bootstrap_seeds`)

    def to_json(self) -> dict[str, float | int | list[float]]:
        return {
            "a": self.a,
            "b": self.b,
            "difference": self.difference,
            "ci": list(self.interval),
            "p_value": self.p_value,
            "seeds": self.seeds,
        }


def paired_bootstrap(
    statistics_a: dict[str, CorpusStatistic],
    statistics_b: dict[str, CorpusStatistic],
    n_resamples: int = DEFAULT_RESAMPLES,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int = DEFAULT_SEED,
) -> dict[str, PairedDifference]:
    """Paired bootstrap test: both systems are scored on the same resampled clips.

    The p-value (two-sided) is that of the null hypothesis "no difference", from the bootstrap
    distribution of the difference shifted to zero: (1 + #{|d* - d| >= |d|}) / (1 + B).
    """
    return paired_bootstrap_seeds([statistics_a], [statistics_b], n_resamples, confidence, seed)


def _seed_mean(statistics: Sequence[CorpusStatistic], counts: np.ndarray) -> np.ndarray:
    return np.mean([stat.resampled(counts) for stat in statistics], axis=0)


def paired_bootstrap_seeds(
    seeds_a: Sequence[dict[str, CorpusStatistic]],
    seeds_b: Sequence[dict[str, CorpusStatistic]],
    n_resamples: int = DEFAULT_RESAMPLES,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int = DEFAULT_SEED,
) -> dict[str, PairedDifference]:
    """`paired_bootstrap` of two systems trained with several seeds each (one statistics dict
    per seed, all on the same clips): the difference of their means over seeds, each resample
    drawing the same clips for every seed of both systems, so the interval holds both the clip
    sampling and the seeds' spread. With one seed each it is `paired_bootstrap`."""
    if not seeds_a or not seeds_b:
        raise ValueError("each system needs the statistics of at least one seed")
    names = [name for name in seeds_a[0] if all(name in s for s in (*seeds_a, *seeds_b))]
    if not names:
        return {}
    n = len(seeds_a[0][names[0]].per_clip)
    if any(len(s[name].per_clip) != n for s in (*seeds_a, *seeds_b) for name in names):
        raise ValueError("every seed of both systems must be scored on the same clips")
    counts = resample_counts(n, n_resamples, seed)
    results = {}
    for name in names:
        a = float(np.mean([s[name].value() for s in seeds_a]))
        b = float(np.mean([s[name].value() for s in seeds_b]))
        observed = a - b
        resampled = _seed_mean([s[name] for s in seeds_a], counts) - _seed_mean(
            [s[name] for s in seeds_b], counts
        )
        resampled = resampled[np.isfinite(resampled)]
        extreme = np.count_nonzero(np.abs(resampled - observed) >= abs(observed) - 1e-15)
        p_value = (1.0 + extreme) / (1.0 + resampled.size)
        results[name] = PairedDifference(
            a,
            b,
            observed,
            percentile_interval(resampled, confidence),
            float(min(1.0, p_value)),
            seeds=min(len(seeds_a), len(seeds_b)),
        )
    return results


def bootstrap_intervals_seeds(
    seeds: Sequence[dict[str, CorpusStatistic]],
    n_resamples: int = DEFAULT_RESAMPLES,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int = DEFAULT_SEED,
) -> dict[str, tuple[float, float]]:
    """`bootstrap_intervals` of a system's mean over seeds (the same clips drawn for every
    seed); with one seed it is `bootstrap_intervals`."""
    if not seeds:
        return {}
    names = [name for name in seeds[0] if all(name in s for s in seeds)]
    if not names:
        return {}
    counts = resample_counts(len(seeds[0][names[0]].per_clip), n_resamples, seed)
    return {
        name: percentile_interval(_seed_mean([s[name] for s in seeds], counts), confidence)
        for name in names
    }


@dataclass(frozen=True)
class JackknifeEstimate:
    """`astropy.stats.jackknife_stats(values, np.mean, confidence)`, in closed form."""

    mean: float
    estimate: float
    bias: float
    std_err: float
    interval: tuple[float, float]


def jackknife_mean(values: np.ndarray, confidence: float = DEFAULT_CONFIDENCE) -> JackknifeEstimate:
    """Jackknife bias, standard error and normal interval of a mean, as the DCASE 2022 script.

    The leave-one-out means are (sum - x_i) / (n - 1); the interval is
    estimate +- sqrt(2) erfinv(confidence) * std_err, as astropy computes it.
    """
    values = np.asarray(values, dtype=float)
    n = values.size
    if n < 2:
        raise ValueError("the jackknife needs at least two values")
    mean = float(values.mean())
    leave_one_out = (values.sum() - values) / (n - 1)
    mean_loo = leave_one_out.mean()
    bias = (n - 1) * (mean_loo - mean)
    std_err = float(np.sqrt((n - 1) * np.mean((leave_one_out - mean_loo) ** 2)))
    estimate = mean - bias
    z = float(np.sqrt(2.0) * erfinv(confidence))
    return JackknifeEstimate(
        mean,
        float(estimate),
        float(bias),
        std_err,
        (estimate - z * std_err, estimate + z * std_err),
    )

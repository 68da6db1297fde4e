"""Bootstrap and jackknife intervals."""

from __future__ import annotations

import numpy as np
import pytest

from aacr_lib.evaluation.bootstrap import (
    CorpusStatistic,
    bootstrap_intervals,
    jackknife_mean,
    mean_statistic,
    paired_bootstrap,
    resample_counts,
)
from aacr_lib.evaluation.functional.bleu import bleu_from_stats, bleu_stats


def test_resample_counts_sum_to_n_and_are_seeded():
    counts = resample_counts(50, 200, seed=3)
    assert counts.shape == (200, 50) and np.all(counts.sum(axis=1) == 50)
    assert np.array_equal(counts, resample_counts(50, 200, seed=3))


def test_mean_interval_brackets_the_mean():
    values = np.random.default_rng(0).random(500)
    low, high = bootstrap_intervals({"x": mean_statistic(values)})["x"]
    assert low < values.mean() < high
    # close to the normal approximation
    half = 1.96 * values.std() / np.sqrt(values.size)
    assert high - low == pytest.approx(2 * half, rel=0.2)


def test_bleu_statistic_reproduces_corpus_bleu():
    candidates = ["a dog barks", "rain falls on a roof", "a man speaks loudly"]
    references = [["a dog is barking", "dogs bark"], ["rain on a roof"], ["a man talks", "speech"]]
    corpus, _, stats = bleu_stats(candidates, references)
    assert bleu_from_stats(stats.sum(axis=0)) == pytest.approx(corpus, abs=1e-12)
    stat = CorpusStatistic(stats, lambda sums, n: bleu_from_stats(sums)[:, 3])
    assert stat.value() == pytest.approx(corpus[3], abs=1e-12)


def test_paired_bootstrap_identical_systems():
    values = np.random.default_rng(1).random(100)
    result = paired_bootstrap({"m": mean_statistic(values)}, {"m": mean_statistic(values)})["m"]
    assert result.difference == 0.0 and result.p_value == 1.0
    assert result.interval == (0.0, 0.0)


def test_paired_bootstrap_clear_difference():
    rng = np.random.default_rng(2)
    a = rng.random(300)
    b = a - 0.2 + 0.01 * rng.standard_normal(300)
    result = paired_bootstrap({"m": mean_statistic(a)}, {"m": mean_statistic(b)})["m"]
    assert result.difference == pytest.approx(0.2, abs=0.01)
    assert result.p_value < 0.01 and result.interval[0] > 0.15


def test_jackknife_of_a_mean_matches_the_definition():
    values = np.random.default_rng(4).random(30)
    n = values.size
    loo = np.array([np.delete(values, i).mean() for i in range(n)])
    bias = (n - 1) * (loo.mean() - values.mean())
    std_err = np.sqrt((n - 1) * np.mean((loo - loo.mean()) ** 2))
    estimate = jackknife_mean(values)
    assert estimate.bias == pytest.approx(bias, abs=1e-15)
    assert estimate.std_err == pytest.approx(std_err, rel=1e-12)
    low, high = estimate.interval
    assert (low + high) / 2 == pytest.approx(values.mean() - bias)
    assert high - low == pytest.approx(2 * 1.959963984540054 * std_err, rel=1e-12)

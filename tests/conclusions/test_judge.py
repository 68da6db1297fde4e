"""The verdict from a paired difference, on hand-made differences."""

from __future__ import annotations

import math

import pytest

from aacr_lib.conclusions.judge import CONTRADICTED, INCONCLUSIVE, NA, SUPPORTED, judge
from aacr_lib.evaluation.bootstrap import PairedDifference


def difference(low: float, high: float) -> PairedDifference:
    return PairedDifference(0.5, 0.4, (low + high) / 2, (low, high), 0.01)


ABOVE, BELOW, ACROSS = difference(0.02, 0.08), difference(-0.08, -0.02), difference(-0.03, 0.05)


@pytest.mark.parametrize(
    "direction, given, expected",
    [
        ("higher", ABOVE, SUPPORTED),
        ("higher", BELOW, CONTRADICTED),
        ("higher", ACROSS, INCONCLUSIVE),
        ("lower", BELOW, SUPPORTED),
        ("lower", ABOVE, CONTRADICTED),
        ("lower", ACROSS, INCONCLUSIVE),
        # "no gain" (not better): only a gain beyond doubt contradicts it
        ("no gain", ACROSS, SUPPORTED),
        ("no gain", BELOW, SUPPORTED),
        ("no gain", ABOVE, CONTRADICTED),
    ],
)
def test_each_direction_reads_the_interval(direction, given, expected):
    assert judge(given, direction) == expected


def test_an_interval_touching_zero_is_inconclusive():
    assert judge(difference(0.0, 0.1), "higher") == INCONCLUSIVE
    assert judge(difference(-0.1, 0.0), "lower") == INCONCLUSIVE
    assert judge(difference(0.0, 0.0), "higher") == INCONCLUSIVE  # identical systems


@pytest.mark.parametrize("direction", ["higher", "lower", "no gain"])
def test_no_difference_or_no_interval_is_na(direction):
    assert judge(None, direction) == NA
    assert judge(difference(math.nan, math.nan), direction) == NA


def test_an_unknown_direction_is_refused():
    with pytest.raises(ValueError, match="unknown direction"):
        judge(ABOVE, "better")

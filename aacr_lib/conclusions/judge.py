"""The verdict on one claim from one paired difference: a pure function of the interval.

A claim expects its system to score "higher" or "lower" than its reference, or "no gain" (not
better). The paired difference (system minus reference, `evaluation.bootstrap.PairedDifference`)
decides by its 95 % interval: it supports a "higher" claim when the whole interval is above
zero, contradicts it when the whole interval is below, and is inconclusive when the interval
contains zero ("lower" the other way round). A "no gain" claim is supported unless the whole
interval is above zero. No difference (a run is missing) is "n/a"; the ledger gives the reason.
"""

from __future__ import annotations

import math

from aacr_lib.evaluation.bootstrap import PairedDifference

SUPPORTED = "supported"
CONTRADICTED = "contradicted"
INCONCLUSIVE = "inconclusive"
NA = "n/a"
VERDICTS = (SUPPORTED, CONTRADICTED, INCONCLUSIVE, NA)


def judge(difference: PairedDifference | None, direction: str) -> str:
    """The verdict on a claim expecting `direction` ("higher", "lower", "no gain") given the
    paired difference of its system minus its reference, or None when there is none."""
    if direction not in ("higher", "lower", "no gain"):
        raise ValueError(f"unknown direction {direction!r}: higher, lower or no gain")
    if difference is None:
        return NA
    low, high = difference.interval
    if math.isnan(low) or math.isnan(high):
        return NA
    above, below = low > 0, high < 0
    if direction == "no gain":
        return CONTRADICTED if above else SUPPORTED
    if direction == "lower":
        above, below = below, above
    if above:
        return SUPPORTED
    if below:
        return CONTRADICTED
    return INCONCLUSIVE

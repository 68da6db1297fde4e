"""The shared display helpers: one plot style for every chapter, bars and histograms, and the
cells of the tasks' results tables."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from aacr_lib import display  # noqa: E402
from aacr_lib.evaluation.bootstrap import PairedDifference  # noqa: E402


def test_importing_the_display_sets_the_book_style():
    plt.rcdefaults()
    assert not plt.rcParams["axes.grid"]
    display.use_book_style()
    assert plt.rcParams["axes.grid"] and plt.rcParams["axes.facecolor"] == "white"
    assert display.BOOK_STYLE["palette"] == "colorblind"


def test_bars_keep_the_frame_order_top_to_bottom():
    frame = pd.DataFrame({"word": ["dog", "rain", "car"], "count": [9, 5, 2]})
    fig = display.plot_bar(frame, "word", "count", title="words")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["dog", "rain", "car"]
    assert [round(bar.get_width()) for bar in ax.patches] == [9, 5, 2]
    plt.close(fig)


def test_one_histogram_panel_per_column_and_a_colour_per_group():
    frame = pd.DataFrame(
        {"split": ["a", "a", "b", "b"], "seconds": [1.0, 2.0, 3.0, 4.0], "words": [3, 4, 5, 6]}
    )
    fig = display.plot_histograms(frame, ["seconds", "words"], bins=3)
    assert len(fig.axes) == 2
    legend = fig.axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["a", "b"]
    plt.close(fig)


def test_a_difference_is_marked_only_when_its_interval_excludes_zero():
    above = PairedDifference(0.5, 0.3, 0.2, (0.05, 0.19), 0.01)
    straddles = PairedDifference(0.5, 0.5, 0.0, (-0.1, 0.1), 1.0)
    below = PairedDifference(0.3, 0.5, -0.2, (-0.3, -0.001), 0.01)
    assert [display.excludes_zero(d) for d in (above, straddles, below)] == [True, False, True]
    assert display.difference_text(above) == "+0.200 [+0.050, +0.190] *"
    assert display.difference_text(straddles) == "+0.000 [-0.100, +0.100]"
    assert display.difference_text(below) == "-0.200 [-0.300, -0.001] *"


def test_a_score_shows_its_spread_over_seeds_only_with_several_seeds():
    one = display.SystemScores({"r10": 0.4561}, {"r10": (0.401, 0.512)}, {"r10": math.nan}, 1)
    two = display.SystemScores({"r10": 0.4561}, {"r10": (0.401, 0.512)}, {"r10": 0.0123}, 2)
    assert display.score_text(one, "r10") == "0.456 [0.401, 0.512]"
    assert display.score_text(two, "r10") == "0.456 ± 0.012 [0.401, 0.512]"
    assert display.score_text(one, "r1") == display.score_text(None, "r10") == display.NA

"""The shared display helpers: one plot style for every chapter, bars and histograms."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from aacr_lib import display  # noqa: E402


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

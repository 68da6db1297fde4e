"""The forest plot of the ledger: one row per claim, its paired difference and 95 % interval."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import seaborn as sns

from aacr_lib.conclusions.claims import METRIC_TITLES, TASKS
from aacr_lib.conclusions.judge import CONTRADICTED, INCONCLUSIVE, NA, SUPPORTED
from aacr_lib.conclusions.ledger import JudgedClaim

_PALETTE = sns.color_palette("colorblind")
VERDICT_COLOURS = {
    SUPPORTED: _PALETTE[2],
    CONTRADICTED: _PALETTE[3],
    INCONCLUSIVE: _PALETTE[7],
    NA: (0.75, 0.75, 0.75),
}
ROW_HEIGHT = 0.32  # inches per claim


def plot_forest(judged: Sequence[JudgedClaim], title: str = ""):
    """One panel per task with claims (captioning's CIDEr-D and retrieval's recalls are on
    different scales): a row per claim, its difference (system minus reference) as a point with
    its 95 % interval, coloured by verdict, and the zero line; an n/a row says so at zero.
    Returns the figure."""
    tasks = [task for task in TASKS if any(j.claim.task == task for j in judged)]
    rows = [sum(j.claim.task == task for j in judged) for task in tasks]
    fig, axes = plt.subplots(
        len(tasks) or 1,
        1,
        figsize=(8.5, 1.2 + ROW_HEIGHT * max(1, sum(rows)) + 0.6 * len(tasks)),
        gridspec_kw={"height_ratios": rows or [1]},
        squeeze=False,
    )
    for ax, task in zip(axes[:, 0], tasks, strict=False):
        items = [j for j in judged if j.claim.task == task]
        for y, item in enumerate(reversed(items)):
            colour = VERDICT_COLOURS[item.verdict]
            if item.difference is None:
                ax.text(0, y, NA, ha="center", va="center", fontsize=8, color="0.4")
                continue
            low, high = item.difference.interval
            ax.hlines(y, low, high, color=colour, linewidth=2)
            ax.plot(item.difference.difference, y, "o", color=colour, markersize=5)
        ax.axvline(0, color="0.3", linewidth=0.8, linestyle="--")
        ax.set_yticks(range(len(items)), [item.label for item in reversed(items)], fontsize=8)
        ax.set_ylim(-0.7, len(items) - 0.3)
        metrics = dict.fromkeys(  # in the metrics' own order (R@1, R@5, R@10, mAP@10)
            title
            for key, title in METRIC_TITLES[task].items()
            if any(i.claim.metric == key for i in items)
        )
        ax.set_xlabel(f"{task}: Δ {' / '.join(metrics)} (system − reference)", fontsize=9)
        sns.despine(ax=ax, left=True)
    if not tasks:
        axes[0, 0].text(0.5, 0.5, "no claims", ha="center", va="center")
        axes[0, 0].set_axis_off()
    handles = [
        plt.Line2D([], [], marker="o", linestyle="-", color=colour, label=verdict)
        for verdict, colour in VERDICT_COLOURS.items()
    ]
    fig.legend(handles=handles, loc="upper center", ncol=len(handles), fontsize=8, frameon=False)
    if title:
        fig.suptitle(title, fontsize=10, y=1.02)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    return fig

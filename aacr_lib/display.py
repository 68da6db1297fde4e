"""Display helpers for the notebooks: plots, audio players beside captions, tables.

Notebooks call these instead of carrying plotting code, so every chapter looks the same and the
code is tested once. Importing this module sets the book's one plot style (`BOOK_STYLE`, a
seaborn theme) for every figure of the chapter, whichever module draws it.
"""

from __future__ import annotations

import html
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from IPython.display import HTML, Audio, display
from scipy.signal import spectrogram

from aacr_lib.audio import load_audio
from aacr_lib.evaluation.bootstrap import PairedDifference

SPECTROGRAM_SR = 16000
NA = "n/a"  # a value that does not exist; its reason is given beside the table
NO_DIFFERENCE = "—"  # a reference row has no difference to itself
# The book's plot style: seaborn's white grid, a palette readers with colour-vision deficiency
# can tell apart, the notebook's text sizes.
BOOK_STYLE = {"style": "whitegrid", "palette": "colorblind", "context": "notebook"}


def use_book_style() -> None:
    """Apply `BOOK_STYLE` to every figure drawn from now on (done when this module loads)."""
    sns.set_theme(**BOOK_STYLE)


use_book_style()


def spectrogram_db(
    waveform: np.ndarray, sample_rate: int, n_fft: int = 1024, hop: int = 256
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A power spectrogram in dB (`freqs`, `times`, `[freqs, frames]`), for pictures only."""
    freqs, times, power = spectrogram(
        waveform, fs=sample_rate, nperseg=n_fft, noverlap=n_fft - hop, window="hann"
    )
    power_db = 10 * np.log10(np.maximum(power, 1e-12))
    return freqs, times, np.maximum(power_db, power_db.max() - 80.0)


def plot_spectrogram(waveform: np.ndarray, sample_rate: int, title: str = "", ax=None):
    """Draw a log-mel spectrogram on `ax` (a new figure when None); returns the axis."""
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 2.4))
    freqs, times, image = spectrogram_db(waveform, sample_rate)
    ax.pcolormesh(times, freqs / 1000, image, shading="auto", cmap="magma")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("frequency (kHz)")
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def audio_player(waveform: np.ndarray, sample_rate: int):
    """An embedded audio player (IPython), which the HTML book keeps."""
    return Audio(waveform, rate=sample_rate, normalize=True)


def captions_html(captions: Sequence[str], heading: str = "") -> str:
    items = "".join(f"<li>{html.escape(caption)}</li>" for caption in captions)
    head = f"<b>{html.escape(heading)}</b>" if heading else ""
    return f"{head}<ol>{items}</ol>"


def show_clip(
    audio_path: str | os.PathLike,
    captions: Sequence[str],
    title: str = "",
    generated: Sequence[str] | None = None,
) -> None:
    """Spectrogram, audio player and captions (references, optionally generated ones) of a clip."""
    waveform, sample_rate = load_audio(audio_path, SPECTROGRAM_SR)
    plot_spectrogram(waveform, sample_rate, title or os.path.basename(audio_path))
    plt.show()
    display(audio_player(waveform, sample_rate))
    parts = []
    if generated:
        parts.append(captions_html(generated, "generated"))
    parts.append(captions_html(captions, "reference captions"))
    display(HTML("".join(parts)))


def plot_histograms(frame: pd.DataFrame, columns: Sequence[str], by: str = "split", bins: int = 20):
    """One histogram panel per column, one colour per `by` group; returns the figure."""
    fig, axes = plt.subplots(1, len(columns), figsize=(5 * len(columns), 3.2))
    axes = np.atleast_1d(axes)
    for ax, column in zip(axes, columns, strict=True):
        sns.histplot(frame, x=column, hue=by, bins=bins, alpha=0.55, ax=ax, element="step")
        ax.set_xlabel(column)
        ax.set_ylabel("count")
    fig.tight_layout()
    return fig


def plot_bar(frame: pd.DataFrame, label: str, value: str, title: str = "", horizontal: bool = True):
    """A bar chart of `value` by `label`, in the frame's order (top to bottom when
    horizontal); returns the figure."""
    fig, ax = plt.subplots(figsize=(7, max(2.5, 0.22 * len(frame))))
    order = [str(name) for name in frame[label]]
    shown = frame.assign(**{label: order})
    if horizontal:
        sns.barplot(shown, y=label, x=value, order=order, ax=ax, color=sns.color_palette()[0])
    else:
        sns.barplot(shown, x=label, y=value, order=order, ax=ax, color=sns.color_palette()[0])
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def format_table(frame: pd.DataFrame, digits: int = 3):
    """A styled table with fixed decimals; missing values shown as 'n/a'."""
    return frame.style.format(precision=digits, na_rep=NA)


# ----------------------------------------------------------------------------- results tables
# The cells both tasks' results tables share: a system's score with its interval, and a paired
# difference marked when its interval excludes 0.


@dataclass(frozen=True)
class SystemScores:
    """A system's scores on the evaluation split: per metric the mean over its seeds, the 95 %
    interval over the test items of that mean (captioning: bootstrap over clips; retrieval:
    jackknife over queries), and the standard deviation over seeds (NaN with one seed)."""

    metrics: dict[str, float]
    ci: dict[str, tuple[float, float]]
    std: dict[str, float]
    seeds: int


def score_text(scores: SystemScores | None, metric: str) -> str:
    """ "0.456 ± 0.012 [0.401, 0.512]": the mean over seeds, "± std over seeds" when there are
    several, and the 95 % interval; n/a when `scores` is None or lacks `metric`."""
    if scores is None or metric not in scores.metrics:
        return NA
    low, high = scores.ci.get(metric, (math.nan, math.nan))
    spread = "" if scores.seeds < 2 else f" ± {scores.std[metric]:.3f}"
    return f"{scores.metrics[metric]:.3f}{spread} [{low:.3f}, {high:.3f}]"


def excludes_zero(difference: PairedDifference) -> bool:
    """Whether the 95 % interval of a paired difference lies wholly above or below 0."""
    low, high = difference.interval
    return low > 0 or high < 0


def difference_text(difference: PairedDifference) -> str:
    """ "+0.123 [+0.050, +0.190] *": the difference, its 95 % interval, * when it excludes 0."""
    low, high = difference.interval
    mark = " *" if excludes_zero(difference) else ""
    return f"{difference.difference:+.3f} [{low:+.3f}, {high:+.3f}]{mark}"

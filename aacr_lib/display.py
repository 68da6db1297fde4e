"""Display helpers for the notebooks: plots, audio players beside captions, tables.

Notebooks call these instead of carrying plotting code, so every chapter looks the same and the
code is tested once. Importing this module sets the book's one plot style (`BOOK_STYLE`, a
seaborn theme) for every figure of the chapter, whichever module draws it.
"""

from __future__ import annotations

import html
import os
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from IPython.display import HTML, Audio, display
from scipy.signal import spectrogram

from aacr_lib.audio import load_audio

SPECTROGRAM_SR = 16000
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
    return frame.style.format(precision=digits, na_rep="n/a")

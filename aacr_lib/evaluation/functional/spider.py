"""SPIDEr = (CIDEr-D + SPICE) / 2, for the corpus and for each clip (as the DCASE tools)."""

from __future__ import annotations

import numpy as np


def spider(
    cider_d: tuple[float, np.ndarray], spice: tuple[float, np.ndarray]
) -> tuple[float, np.ndarray]:
    cider_corpus, cider_clips = cider_d
    spice_corpus, spice_clips = spice
    return (cider_corpus + spice_corpus) / 2.0, (np.asarray(cider_clips) + spice_clips) / 2.0

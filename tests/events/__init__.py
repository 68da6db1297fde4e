"""Tests of `aacr_lib.events`; `make_clothomix` builds the small ClothoMix they share."""

from __future__ import annotations

from pathlib import Path

# Small and quick (a fraction of a second): three 3-second clips for development, two for
# validation; enough for several sounds per clip and for a cache to resume part-way.
CLIPS = {"development": 3, "validation": 2}
DURATION = 3.0


def make_clothomix(folder: Path, seed: int = 1) -> Path:
    from aacr_lib.data.clothomix import generate_clothomix

    generate_clothomix(folder, seed=seed, clips=CLIPS, duration=DURATION, progress=False)
    return folder

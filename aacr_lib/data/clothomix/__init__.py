"""ClothoMix: an offline, learnable demo dataset in the Clotho v2.1 layout.

Clips mix real recordings from the embedded sound bank (seven Debian game-data packages,
CC BY-SA 3.0 as a whole): one background and one to three events in sequence, each split from
its own source recordings. Their captions come from a grammar that
says what is really in the mix, and `clothomix_events_{split}.csv` holds the ground truth.

    from aacr_lib.data.clothomix import generate_clothomix
    generate_clothomix("data/clothomix", seed=0)                  # 400/100/100 clips of 10 s
    generate_clothomix("data/clothomix-clotho", scale="clotho")   # Clotho v2.1's sizes
    generate_clotho_layout_fixture(tmp / "clotho")                # 6/3/3 clips, Clotho's files only
"""

from __future__ import annotations

from aacr_lib.data.clothomix.bank import (
    MIN_RECORDINGS,
    BankSound,
    SoundBank,
    assign_splits,
    load_bank,
    load_sound,
)
from aacr_lib.data.clothomix.generate import (
    CLOTHO_CLIPS,
    CLOTHO_DURATION,
    CLOTHOMIX_VERSION,
    DEFAULT_CLIPS,
    EVENTS_HEADER,
    FIXTURE_CLIPS,
    SCALES,
    Scale,
    clip_duration,
    clip_name,
    clothomix_version,
    generate_clotho_layout_fixture,
    generate_clothomix,
    make_clip,
)
from aacr_lib.data.clothomix.grammar import EventMention, make_captions, mentions
from aacr_lib.data.clothomix.names import clotho_style_name, unique_name

__all__ = [
    "CLOTHOMIX_VERSION",
    "CLOTHO_CLIPS",
    "CLOTHO_DURATION",
    "DEFAULT_CLIPS",
    "EVENTS_HEADER",
    "FIXTURE_CLIPS",
    "MIN_RECORDINGS",
    "SCALES",
    "BankSound",
    "EventMention",
    "Scale",
    "SoundBank",
    "assign_splits",
    "clip_duration",
    "clip_name",
    "clothomix_version",
    "clotho_style_name",
    "generate_clotho_layout_fixture",
    "generate_clothomix",
    "load_bank",
    "load_sound",
    "make_captions",
    "make_clip",
    "mentions",
    "unique_name",
]

"""ClothoMix: an offline, learnable demo dataset in the Clotho v2.1 layout.

Clips mix real recordings from the embedded sound bank (0 A.D. and MegaGlest, CC BY-SA 3.0):
one background and one to three events in sequence. Their captions come from a grammar that
says what is really in the mix, and `clothomix_events_{split}.csv` holds the ground truth.

    from aacr_lib.data.clothomix import generate_clothomix
    generate_clothomix("data/clothomix", seed=0)                  # 400/100/100 clips of 10 s
    generate_clothomix("data/clothomix-clotho", scale="clotho")   # Clotho v2.1's sizes
    generate_clotho_layout_fixture(tmp / "clotho")                # 6/3/3 clips, Clotho's files only
"""

from __future__ import annotations

from aacr_lib.data.clothomix.bank import BankSound, SoundBank, load_bank, load_sound
from aacr_lib.data.clothomix.generate import (
    CLOTHO_CLIPS,
    CLOTHO_DURATION,
    DEFAULT_CLIPS,
    EVENTS_HEADER,
    FIXTURE_CLIPS,
    SCALES,
    Scale,
    clip_duration,
    clip_name,
    generate_clotho_layout_fixture,
    generate_clothomix,
    make_clip,
)
from aacr_lib.data.clothomix.grammar import EventMention, make_captions, mentions
from aacr_lib.data.clothomix.names import clotho_style_name, unique_name

__all__ = [
    "CLOTHO_CLIPS",
    "CLOTHO_DURATION",
    "DEFAULT_CLIPS",
    "EVENTS_HEADER",
    "FIXTURE_CLIPS",
    "SCALES",
    "BankSound",
    "EventMention",
    "Scale",
    "SoundBank",
    "clip_duration",
    "clip_name",
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

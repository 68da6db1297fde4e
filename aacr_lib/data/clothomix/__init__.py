"""ClothoMix: an offline, learnable demo dataset in the Clotho v2.1 layout.

Clips mix real recordings from the embedded sound bank (0 A.D. and MegaGlest, CC BY-SA 3.0):
one background and one to three events in sequence. Their captions come from a grammar that
says what is really in the mix, and `clothomix_events_{split}.csv` holds the ground truth.

    from aacr_lib.data.clothomix import generate_clothomix
    generate_clothomix("data/clothomix", seed=0)   # 400/100/100 clips of 10 s
"""

from aacr_lib.data.clothomix.bank import BankSound, SoundBank, load_bank, load_sound
from aacr_lib.data.clothomix.generate import (
    DEFAULT_CLIPS,
    EVENTS_HEADER,
    clip_name,
    generate_clothomix,
    make_clip,
)
from aacr_lib.data.clothomix.grammar import EventMention, make_captions, mentions

__all__ = [
    "DEFAULT_CLIPS",
    "EVENTS_HEADER",
    "BankSound",
    "EventMention",
    "SoundBank",
    "clip_name",
    "generate_clothomix",
    "load_bank",
    "load_sound",
    "make_captions",
    "make_clip",
    "mentions",
]

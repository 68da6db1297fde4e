"""Caption text normalisation: the one definition used everywhere in the project.

The DCASE 2022 Task 6A baseline (felixgontier/dcase-2022-baseline, `clotho_preprocessing.py` and
`data_loader.py`; identical in felixgontier/dcase-2022-preprocessing) prepares every caption with

    caption.translate(str.maketrans("", "", string.punctuation)).lower()

that is: delete each of the 32 ASCII punctuation characters of Python's `string.punctuation`

    ! " # $ % & ' ( ) * + , - . / : ; < = > ? @ [ \\ ] ^ _ ` { | } ~

(deleted, not replaced by a space: "it's" -> "its", "high-pitched" -> "highpitched"), then
lower-case. `normalize_caption` does exactly that and then also collapses runs of whitespace to
one space and strips both ends. The baseline does not collapse whitespace, so a caption such as
"a car - then a bus" became "a car  then a bus" there; the word sequence is the same, and one
canonical spacing keeps references, tokenizers and vocabularies consistent. Non-ASCII
punctuation (curly quotes, dashes) is left alone, as in the baseline.
"""

from __future__ import annotations

import string

# Deletion table for str.translate, built once: every ASCII punctuation character -> None.
_PUNCTUATION_TABLE = str.maketrans("", "", string.punctuation)

PUNCTUATION = string.punctuation


def normalize_caption(text: str) -> str:
    """DCASE caption normalisation: delete ASCII punctuation, lower-case, collapse whitespace.

    >>> normalize_caption("A dog barks, then  a car's horn honks!")
    'a dog barks then a cars horn honks'
    """
    if not isinstance(text, str):
        raise TypeError(f"normalize_caption expects a str, got {type(text).__name__}")
    # Same order as the baseline: translate, then lower.
    text = text.translate(_PUNCTUATION_TABLE).lower()
    # str.split() without arguments splits on any Unicode whitespace and drops empty pieces.
    return " ".join(text.split())


def tokenize_words(text: str) -> list[str]:
    """Words of the normalised caption (`normalize_caption(text).split(" ")`, empty -> [])."""
    normalized = normalize_caption(text)
    return normalized.split(" ") if normalized else []

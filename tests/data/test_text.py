import string

import pytest

from aacr_lib.data.text import normalize_caption, tokenize_words


def baseline_preprocess(caption: str) -> str:
    """What felixgontier/dcase-2022-baseline does to a caption (clotho_preprocessing.py)."""
    return caption.translate(str.maketrans("", "", string.punctuation)).lower()


SAMPLES = [
    "A dog barks, then a car's horn honks!",
    "High-pitched whistle; (loud) & clear: 100% sure?",
    "Rain falls on a roof - clip 3",
    "  Leading and trailing\tspaces\n",
    'He said "stop" / she said [go] {now} <here> @home #1 ~ ^ _ ` | \\ = +',
    "Someone's café door creaks…",
    "",
]


@pytest.mark.parametrize("caption", SAMPLES)
def test_matches_baseline_up_to_whitespace(caption):
    assert normalize_caption(caption) == " ".join(baseline_preprocess(caption).split())


def test_every_ascii_punctuation_character_is_deleted_not_spaced():
    for char in string.punctuation:
        assert normalize_caption(f"a{char}b") == "ab", char
    assert len(string.punctuation) == 32


def test_examples():
    assert normalize_caption("A dog barks, then  a car's horn honks!") == (
        "a dog barks then a cars horn honks"
    )
    assert normalize_caption("High-pitched") == "highpitched"
    assert normalize_caption("a car - then a bus") == "a car then a bus"
    assert normalize_caption("  MIXED Case\tand\nnewlines ") == "mixed case and newlines"


def test_non_ascii_kept_like_the_baseline():
    # Curly quotes and the ellipsis are not in string.punctuation: the baseline keeps them.
    assert normalize_caption("Café’s “door”…") == "café’s “door”…"


def test_idempotent():
    for caption in SAMPLES:
        once = normalize_caption(caption)
        assert normalize_caption(once) == once


def test_tokenize_words():
    assert tokenize_words("A dog barks, then a car's horn honks!") == [
        "a",
        "dog",
        "barks",
        "then",
        "a",
        "cars",
        "horn",
        "honks",
    ]
    assert tokenize_words("") == []
    assert tokenize_words(" ... !!! ") == []


def test_rejects_non_strings():
    with pytest.raises(TypeError):
        normalize_caption(None)  # type: ignore[arg-type]

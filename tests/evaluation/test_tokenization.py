"""The PTB tokenizer wrapper: one JVM, line alignment, the official punctuation filter."""

from __future__ import annotations

import pytest

from aacr_lib.evaluation.functional.tokenization import ptb_tokenize, strip_punctuation

pytestmark = pytest.mark.java


def test_tokenizer_as_the_official_tools():
    sentences = [
        "A man's dog barks, loudly!",
        'Café (au lait) -- "quoted" text...',
        "two\nlines\r\nand more",
        "Colour of the sea.",
    ]
    assert ptb_tokenize(sentences) == [
        "a man 's dog barks loudly",
        # -lowerCase makes -LRB- "-lrb-", which the official filter does not drop
        "café -lrb- au lait -rrb- quoted text",
        "two lines and more",
        "colour of the sea",
    ]


def test_strip_punctuation():
    assert strip_punctuation("a , b . c -- d ... ``e''\n") == "a b c d ``e''"

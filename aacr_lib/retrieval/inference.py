"""A finished retrieval run, loaded and applied: embed audio and text, rank, score.

`load_trained(run_dir)` rebuilds the model (best weights) and the frozen text encoder saved with
the run; `evaluate_trained` ranks every clip of a split for each of its captions, writes the
official submission CSV and scores it (what `aacr evaluate retrieval` computes from it). The
search index (`index.py`) and the book use the same loader.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from aacr_lib.data.clotho import ClothoItem
from aacr_lib.errors import ConfigError, DataError
from aacr_lib.features.splits import feature_config, feature_dim
from aacr_lib.retrieval import ranking
from aacr_lib.retrieval.config import RetrievalConfig
from aacr_lib.retrieval.task import TASK, build_retrieval_model
from aacr_lib.retrieval.text_encoders import load_text_encoder
from aacr_lib.runs import RunDir
from aacr_lib.training.checkpoint import best_weights, load_weights

TEXT_ENCODER_DIR = "text_encoder"


@dataclass
class TrainedRetrieval:
    """A trained run, ready to embed audio and text."""

    run: RunDir
    config: RetrievalConfig
    model: Any  # AudioTextModel, on `device`, in eval mode
    text_encoder: Any
    device: str

    @property
    def feature_kind(self) -> str:
        return self.config.data.features

    @property
    def feature_config(self) -> Any:
        """The run's feature settings (kind and options), to compute features of new audio."""
        if self.config.data.events.enabled:
            raise ConfigError(
                f"run {self.run.name} reads sound-event vectors ({self.config.data.events.source})"
                " beside the audio features; indexing audio outside its dataset would need them "
                "computed per file, which is not built yet: index with a run without events"
            )
        return feature_config(self.config.data)

    def embed_text(self, captions: Sequence[str]) -> np.ndarray:
        vectors = torch.as_tensor(self.text_encoder.encode(list(captions))).to(self.device)
        with torch.no_grad():
            return self.model.encode_text(vectors).float().cpu().numpy()

    def embed_features(
        self, inputs: Sequence[np.ndarray], batch_size: int = 32, progress: bool = False
    ) -> np.ndarray:
        return ranking.embed_clips(
            self.model.encode_audio, inputs, batch_size, self.device, progress=progress
        )


def torch_device(device: str) -> str:
    """`auto` → `cuda` when there is a GPU, else `cpu`; other names unchanged."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def read_config(run: RunDir) -> RetrievalConfig:
    """The resolved config of a retrieval run; another task's run is named as such."""
    return run.task_config(TASK, RetrievalConfig)


def load_trained(run_dir: str | os.PathLike | RunDir, device: str = "cpu") -> TrainedRetrieval:
    """The model (best weights) and text encoder of a trained embedding run."""
    run = run_dir if isinstance(run_dir, RunDir) else RunDir(Path(run_dir))
    config = read_config(run)
    if config.method != "embedding":
        raise DataError(
            f"{run.path} is a {config.method} run; search needs an embedding model "
            "(e.g. `aacr train retrieval --experiment baseline`)"
        )
    weights = best_weights(run.checkpoints)
    if weights is None:
        raise DataError(
            f"{run.path}: no trained weights in {run.checkpoints}; finish training with "
            f"`aacr train retrieval --experiment {run.info().get('experiment', 'baseline')}`"
        )
    device = torch_device(device)
    text_encoder = load_text_encoder(run.path / TEXT_ENCODER_DIR, device=device)
    model = build_retrieval_model(config, feature_dim(config.data), text_encoder.dim)
    load_weights(model, weights, device)
    model.to(torch.device(device)).eval()
    return TrainedRetrieval(run, config, model, text_encoder, device)


def evaluate_trained(
    trained: TrainedRetrieval,
    items: Sequence[ClothoItem],
    features: Any,
    run: RunDir,
    progress: bool = True,
) -> dict[str, Any]:
    """Rank every clip for every distinct caption of `items` (`features[file_name]` gives a
    clip's features); write the submission and references into `run` and return the metrics
    scored from that file."""
    queries = ranking.Queries.from_items(items)
    clip_vectors = trained.embed_features(
        [features[name] for name in queries.clip_names], progress=progress
    )
    query_vectors = trained.embed_text(queries.captions)
    rows = ranking.scores(query_vectors, clip_vectors, trained.config.model.score)
    return ranking.write_and_score(run.path, items, queries, rows)

"""One retrieval experiment from config to run directory: train, evaluate, write the results.

`train_retrieval("baseline", "demo")` resolves the config, creates (or reopens) its run
directory, builds the feature caches and the frozen text encoder, trains through the shared
loop (resuming from the last epoch checkpoint), and evaluates the best weights on the
evaluation split: every caption ranks every clip. The run directory then holds

    config.yaml, run.json        the resolved config and provenance (aacr_lib.runs)
    text_encoder/                the frozen text encoder (a trained Word2Vec is saved here)
    checkpoints/                 epoch checkpoints and best/ (safetensors)
    history.json                 per-epoch losses, learning rate and validation R@k / mAP@10
    submission.csv               the official `caption,file_name_1..file_name_10` ranking
    references.csv               the evaluated clips' captions (to rescore the submission)
    metrics.json                 r1, r5, r10, map10 with jackknife confidence intervals (`ci`)

A complete run is not recomputed: rerunning the same config returns its directory at once.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from aacr_lib.config import from_dict
from aacr_lib.data.clotho import ClothoItem, read_split
from aacr_lib.errors import DataError, PretrainedUnavailable
from aacr_lib.paths import dataset_dir
from aacr_lib.paths import runs_root as resolve_runs_root
from aacr_lib.retrieval.config import RetrievalConfig
from aacr_lib.retrieval.experiments import resolve_config
from aacr_lib.runs import RunDir, check_same_data, create_run, data_fingerprint, run_name

TASK = "retrieval"
HISTORY_FILE = "history.json"
SUBMISSION_FILE = "submission.csv"
REFERENCES_FILE = "references.csv"
TEXT_ENCODER_DIR = "text_encoder"


# ----------------------------------------------------------------------------- requirements
def missing_requirements(config: RetrievalConfig) -> list[PretrainedUnavailable]:
    """Pretrained assets a config needs that are not on this machine (empty: it can run).

    GoogleNews vectors count as missing only when downloads are off; with
    `model.text.allow_download` the download is tried when training starts.
    """
    from aacr_lib import assets

    missing: list[PretrainedUnavailable] = []
    if config.method == "embedding" and config.model.audio.features == "vggish":
        try:
            from aacr_lib.features.vggish import weights_path

            weights_path()
        except PretrainedUnavailable as exc:
            missing.append(exc)
    text = config.model.text
    wants_minilm = (config.method == "embedding" and text.encoder == "sentence_transformer") or (
        config.method == "caption_based"
    )
    if wants_minilm:
        try:
            assets.require("all_minilm_l6_v2")
        except PretrainedUnavailable as exc:
            missing.append(exc)
    uses_google_news = (
        config.method == "embedding"
        and text.encoder == "word2vec"
        and text.word2vec_source == "google_news"
    )
    if uses_google_news and not text.allow_download:
        try:
            assets.require("word2vec_google_news")
        except PretrainedUnavailable as exc:
            missing.append(exc)
    return missing


def check_requirements(config: RetrievalConfig) -> None:
    """Raise the first missing requirement, before any run directory is created; GoogleNews
    vectors are downloaded here when they are missing and downloads are allowed."""
    missing = missing_requirements(config)
    if missing:
        raise missing[0]
    text = config.model.text
    if (
        config.method == "embedding"
        and text.encoder == "word2vec"
        and text.word2vec_source == "google_news"
    ):
        from aacr_lib.retrieval.text_encoders import google_news_path

        google_news_path(allow_download=text.allow_download)


# ----------------------------------------------------------------------------- data
def _split_names(config: RetrievalConfig) -> tuple[str, str, str]:
    data = config.data
    return (data.train_split, data.validation_split, data.evaluation_split)


def load_splits(
    config: RetrievalConfig, data_dir: Path, splits: Sequence[str] | None = None
) -> dict[str, list[ClothoItem]]:
    """The configured splits (train, validation, evaluation), cut to `data.max_clips`."""
    names = splits or _split_names(config)
    result = {}
    for split in names:
        items = read_split(data_dir, split, require_audio=True, metadata=False)
        if config.data.max_clips is not None:
            items = items[: config.data.max_clips]
        if not items:
            raise DataError(f"{data_dir}: the {split} split has no clips")
        result[split] = items
    return result


def feature_caches(
    config: RetrievalConfig, data_dir: Path, splits: Iterable[str], progress: bool = True
) -> dict[str, Any]:
    """Open (building when needed) the feature cache of each split."""
    from aacr_lib.features import FeatureCache, build_feature_cache

    kind = config.model.audio.features
    return {
        split: FeatureCache(build_feature_cache(data_dir, kind, split, progress=progress))
        for split in splits
    }


def feature_dim(config: RetrievalConfig) -> int:
    from aacr_lib.features import make_config

    return int(make_config(config.model.audio.features).dim)


def build_text_encoder(
    config: RetrievalConfig, train_items: Sequence[ClothoItem], device: str = "cpu"
):
    """A new frozen text encoder for a config (training the offline Word2Vec if asked)."""
    from aacr_lib.retrieval.text_encoders import SentenceTransformerEncoder, Word2VecMeanEncoder

    text = config.model.text
    if text.encoder == "sentence_transformer":
        return SentenceTransformerEncoder(text.sentence_model, device=_torch_device(device))
    if text.word2vec_source == "google_news":
        return Word2VecMeanEncoder.google_news(allow_download=text.allow_download)
    captions = [caption for item in train_items for caption in item.captions]
    return Word2VecMeanEncoder.train(captions, epochs=text.word2vec_epochs, seed=config.seed)


def _torch_device(device: str) -> str:
    if device == "auto":
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


# ----------------------------------------------------------------------------- loading runs
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
        return self.config.model.audio.features

    def embed_text(self, captions: Sequence[str]) -> np.ndarray:
        import torch

        vectors = torch.as_tensor(self.text_encoder.encode(list(captions))).to(self.device)
        with torch.no_grad():
            return self.model.encode_text(vectors).float().cpu().numpy()

    def embed_features(
        self, inputs: Sequence[np.ndarray], batch_size: int = 32, progress: bool = False
    ) -> np.ndarray:
        from aacr_lib.retrieval.ranking import embed_clips

        return embed_clips(
            self.model.encode_audio, inputs, batch_size, self.device, progress=progress
        )


def read_config(run: RunDir) -> RetrievalConfig:
    return from_dict(RetrievalConfig, run.config())


def load_trained(run_dir: str | os.PathLike | RunDir, device: str = "cpu") -> TrainedRetrieval:
    """The model (best weights) and text encoder of a trained embedding run."""
    import torch

    from aacr_lib.retrieval.task import build_model
    from aacr_lib.retrieval.text_encoders import load_text_encoder
    from aacr_lib.training.checkpoint import best_weights, load_weights

    run = run_dir if isinstance(run_dir, RunDir) else RunDir(Path(run_dir))
    if not (run.path / "config.yaml").is_file():
        raise DataError(f"{run.path}: not a run directory (no config.yaml)")
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
    device = _torch_device(device)
    text_encoder = load_text_encoder(run.path / TEXT_ENCODER_DIR, device=device)
    model = build_model(config, feature_dim(config), text_encoder.dim)
    load_weights(model, weights, device)
    model.to(torch.device(device)).eval()
    return TrainedRetrieval(run, config, model, text_encoder, device)


# ----------------------------------------------------------------------------- evaluation
def evaluate_trained(
    trained: TrainedRetrieval,
    items: Sequence[ClothoItem],
    cache: Any,
    submission_path: str | os.PathLike,
    progress: bool = True,
) -> dict[str, Any]:
    """Rank every clip for every distinct caption of `items`; write the submission CSV and
    return its metrics, scored from that file by `aacr_lib.evaluation.retrieval` (exactly what
    `aacr evaluate retrieval` computes from it)."""
    from aacr_lib.evaluation.io import read_ranking
    from aacr_lib.evaluation.retrieval import evaluate_ranking, write_submission
    from aacr_lib.retrieval import ranking

    queries = ranking.Queries.from_items(items)
    clip_vectors = trained.embed_features(
        [cache[name] for name in queries.clip_names], progress=progress
    )
    query_vectors = trained.embed_text(queries.captions)
    rows = ranking.scores(query_vectors, clip_vectors, trained.config.model.score)
    write_submission(submission_path, queries.captions, queries.clip_names, rows)
    result = evaluate_ranking(read_ranking(submission_path), ranking.references(items))
    return metrics_document(result, len(queries.clip_names))


def metrics_document(result: Any, n_clips: int) -> dict[str, Any]:
    """`metrics.json` of a run: r1, r5, r10, map10, their `ci`, and what chance would give."""
    from aacr_lib.retrieval import ranking

    document = result.to_json()
    metrics = document.pop("metrics")
    return {
        **metrics,
        **document,
        "n_clips": n_clips,
        "chance_r10": ranking.chance_recall(10, n_clips),
    }


# ----------------------------------------------------------------------------- training
def _write_json(path: Path, payload: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(payload, indent=2, default=float) + "\n")
    os.replace(tmp, path)


def read_history(run: RunDir) -> list[dict[str, Any]]:
    path = run.path / HISTORY_FILE
    return json.loads(path.read_text()) if path.is_file() else []


def train_retrieval(
    experiment: str = "baseline",
    profile: str = "demo",
    overrides: Iterable[str] | Mapping[str, Any] = (),
    data_dir: str | os.PathLike | None = None,
    runs_root: str | os.PathLike | None = None,
    device: str = "cpu",
    progress: bool = True,
) -> RunDir:
    """Train and evaluate one experiment; return its (complete) run directory."""
    config = resolve_config(experiment, profile, overrides)
    return run_config(config, experiment, profile, data_dir, runs_root, device, progress)


def run_config(
    config: RetrievalConfig,
    experiment: str,
    profile: str = "demo",
    data_dir: str | os.PathLike | None = None,
    runs_root: str | os.PathLike | None = None,
    device: str = "cpu",
    progress: bool = True,
) -> RunDir:
    """Like `train_retrieval`, for an already resolved config."""
    check_requirements(config)
    data_path = Path(data_dir) if data_dir is not None else dataset_dir(config.data.dataset)
    extra = {"profile": profile, "data_dir": str(data_path)}
    fingerprint = data_fingerprint(data_path, _split_names(config))
    extra["data_fingerprint"] = fingerprint
    path = resolve_runs_root(runs_root) / run_name(TASK, experiment, config)
    existing = RunDir(path)
    check_same_data(existing, fingerprint)
    if existing.complete and (existing.path / "metrics.json").is_file():
        return existing  # finished before: nothing to do, and its run.json stays as it was

    from aacr_lib.retrieval.task import loop_config
    from aacr_lib.training import make_accelerator

    # Under `accelerate launch` every process runs this function: the main process writes the
    # run directory, builds caches and encoders and evaluates; the others train beside it.
    accelerator = make_accelerator(loop_config(config), device)
    main = accelerator.is_main_process
    if main:
        extra["processes"] = accelerator.num_processes
        create_run(TASK, experiment, config, config.seed, device, runs_root, extra=extra)
    accelerator.wait_for_everyone()
    run = RunDir(path)
    try:
        if config.method == "caption_based":
            if main:  # no training: one process captions and ranks
                from aacr_lib.retrieval.caption_based import run_caption_based

                run_caption_based(run, config, data_path, runs_root, device, progress, profile)
        else:
            _train_and_evaluate(run, config, data_path, device, progress, accelerator)
    except KeyboardInterrupt:
        if main:
            run.finish("interrupted")  # rerunning the same command resumes it
        raise
    except BaseException:
        if main:
            run.finish("failed")
        raise
    if main:
        run.finish()
    accelerator.wait_for_everyone()
    return run


def _train_and_evaluate(
    run: RunDir,
    config: RetrievalConfig,
    data_dir: Path,
    device: str,
    progress: bool,
    accelerator: Any,
) -> None:
    from accelerate.utils import set_seed

    from aacr_lib.retrieval.task import (
        FeatureLoader,
        RetrievalTask,
        TextTable,
        build_model,
        loop_config,
    )
    from aacr_lib.retrieval.text_encoders import load_text_encoder
    from aacr_lib.training import fit

    main = accelerator.is_main_process
    # this process's device: one GPU per process under a data-parallel launch
    local_device = "cpu" if accelerator.device.type == "cpu" else str(accelerator.device)
    splits = load_splits(config, data_dir)
    train_split = config.data.train_split
    validation_split = config.data.validation_split
    # The main process builds what is shared on disk; the others open it afterwards.
    if main:
        caches = feature_caches(config, data_dir, splits, progress)
    accelerator.wait_for_everyone()
    if not main:
        caches = feature_caches(config, data_dir, splits, progress=False)
    encoder_dir = run.path / TEXT_ENCODER_DIR
    text_encoder = None
    if main and not (encoder_dir / "text_encoder.json").is_file():
        text_encoder = build_text_encoder(config, splits[train_split], local_device)
        text_encoder.save(encoder_dir)
    accelerator.wait_for_everyone()
    if text_encoder is None:
        text_encoder = load_text_encoder(encoder_dir, device=local_device)
    captions = list(
        dict.fromkeys(c for items in splits.values() for item in items for c in item.captions)
    )
    table = TextTable(captions, text_encoder.encode(captions, progress=progress and main))

    set_seed(config.seed)
    model = build_model(config, feature_dim(config), table.dim)
    task = RetrievalTask(
        config,
        model,
        table,
        splits[train_split],
        splits[validation_split],
        FeatureLoader(caches[train_split]),
        FeatureLoader(caches[validation_split]),
    )
    result = fit(
        task,
        loop_config(config),
        run.checkpoints,
        accelerator=accelerator,
        progress=progress,
        on_epoch_end=lambda history: _write_json(run.path / HISTORY_FILE, history),
    )
    if not main:
        return  # evaluating the best weights is quick: the main process does it alone
    _write_json(run.path / HISTORY_FILE, result.history)

    trained = load_trained(run, local_device)
    evaluation_split = config.data.evaluation_split
    items = splits[evaluation_split]
    write_references(run, items)
    metrics = evaluate_trained(
        trained, items, caches[evaluation_split], run.path / SUBMISSION_FILE, progress
    )
    metrics.update(
        {
            "split": evaluation_split,
            "best_epoch": result.best_epoch,
            "best_val_loss": result.best_val_loss,
            "epochs_run": len(result.history),
            "stopped_early": result.stopped_early,
            "train_seconds": sum(float(e.get("seconds", 0.0)) for e in result.history),
        }
    )
    run.write_metrics(metrics)


def write_references(run: RunDir, items: Sequence[ClothoItem]) -> Path:
    """The evaluated clips' captions (`file_name,caption_1..5`) beside the submission, so that
    `aacr evaluate retrieval --ranking submission.csv --references references.csv` rescores
    exactly what the run evaluated (also when `data.max_clips` cut the split)."""
    from aacr_lib.data.clotho import write_captions_csv

    return write_captions_csv(items, run.path / REFERENCES_FILE)

"""A retrieval run from config to run directory: train, evaluate, write the results.

`train_retrieval("baseline", "demo")` resolves the config and goes through the shared run
lifecycle (`aacr_lib.runs.execute_run`); the body builds the feature caches and the frozen text
encoder, trains through the shared loop (resuming from the last epoch checkpoint), and evaluates
the best weights on the evaluation split: every caption ranks every clip. The run directory
then holds

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

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from accelerate.utils import set_seed

from aacr_lib import assets
from aacr_lib.data.clotho import ClothoItem
from aacr_lib.errors import AacrError, PretrainedUnavailable
from aacr_lib.events.inputs import load_splits, missing_event_inputs
from aacr_lib.experiments import train_experiment
from aacr_lib.features.splits import feature_dim
from aacr_lib.features.vggish import weights_path as vggish_weights_path
from aacr_lib.retrieval.caption_based import missing_captioner, run_caption_based
from aacr_lib.retrieval.config import RetrievalConfig
from aacr_lib.retrieval.experiments import resolve_config
from aacr_lib.retrieval.inference import (
    TEXT_ENCODER_DIR,
    evaluate_trained,
    load_trained,
    torch_device,
)
from aacr_lib.retrieval.task import TASK, RetrievalTask, TextTable, build_retrieval_model
from aacr_lib.retrieval.text_encoders import (
    SentenceTransformerEncoder,
    Word2VecMeanEncoder,
    load_text_encoder,
)
from aacr_lib.runs import RunDir
from aacr_lib.tagging.run import ensure_tagger
from aacr_lib.training import fit
from aacr_lib.training.loop import unsupported_precision
from aacr_lib.training.summary import training_summary


# ----------------------------------------------------------------------------- requirements
def missing_requirements(config: RetrievalConfig, device: str = "cpu") -> list[AacrError]:
    """What a config needs that this machine lacks, on `device` (empty: it can run): pretrained
    assets (`PretrainedUnavailable`), and a CUDA GPU for fp16 mixed precision (`ConfigError`,
    e.g. `report_baseline` at the clotho profile on a CPU).

    Nothing is downloaded here or in training: GoogleNews vectors come from `aacr setup
    word2vec_google_news` only.
    """
    missing: list[AacrError] = list(missing_event_inputs(config.data))
    precision = unsupported_precision(config.training, device)
    if config.method == "embedding" and precision is not None:
        missing.append(precision)
    if config.method == "embedding" and config.data.features == "vggish":
        try:
            vggish_weights_path()
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
    if _uses_google_news(config):
        try:
            assets.require("word2vec_google_news")
        except PretrainedUnavailable as exc:
            missing.append(exc)
    return missing


def _uses_google_news(config: RetrievalConfig) -> bool:
    text = config.model.text
    return (
        config.method == "embedding"
        and text.encoder == "word2vec"
        and text.word2vec_source == "google_news"
    )


def check_requirements(
    config: RetrievalConfig,
    device: str = "cpu",
    profile: str = "demo",
    runs_root: str | os.PathLike | None = None,
) -> None:
    """Raise the first missing requirement (for caption-based retrieval, every asset its
    captioner lacks, at once), before any run directory is created."""
    missing = missing_requirements(config, device)
    if missing:
        raise missing[0]
    captioner = missing_captioner(config, profile, runs_root)
    if captioner:
        raise PretrainedUnavailable.combine(captioner)


def build_text_encoder(
    config: RetrievalConfig, train_items: Sequence[ClothoItem], device: str = "cpu"
):
    """A new frozen text encoder for a config (training the offline Word2Vec if asked)."""
    text = config.model.text
    if text.encoder == "sentence_transformer":
        return SentenceTransformerEncoder(text.sentence_model, device=torch_device(device))
    if text.word2vec_source == "google_news":
        return Word2VecMeanEncoder.google_news()
    captions = [caption for item in train_items for caption in item.captions]
    return Word2VecMeanEncoder.train(
        captions, epochs=text.word2vec_epochs, seed=config.training.seed
    )


def prepare_shared_inputs(
    config: RetrievalConfig,
    data_dir: str | os.PathLike,
    progress: bool = True,
    profile: str = "demo",
    runs_root: str | os.PathLike | None = None,
) -> None:
    """What several runs read and none should build on its own, made before they start side
    by side: the feature caches of the config's splits (and their sound-event caches, the
    tagger trained first when they come from it) and, for a sentence transformer, the
    vectors of every caption (its on-disk cache, `text_encoders.TextVectorCache`)."""
    ensure_tagger(config.data.events, profile, data_dir, runs_root, progress=progress)
    splits = load_splits(data_dir, config.data, progress=progress)
    if config.model.text.encoder == "sentence_transformer":
        captions = [c for split in splits.values() for item in split.items for c in item.captions]
        encoder = SentenceTransformerEncoder(config.model.text.sentence_model)
        encoder.encode(list(dict.fromkeys(captions)), progress=progress)


# ----------------------------------------------------------------------------- training
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
    return train_config(config, experiment, profile, data_dir, runs_root, device, progress)


def train_config(
    config: RetrievalConfig,
    experiment: str,
    profile: str = "demo",
    data_dir: str | os.PathLike | None = None,
    runs_root: str | os.PathLike | None = None,
    device: str = "cpu",
    progress: bool = True,
) -> RunDir:
    """`train_retrieval` for an already resolved config."""
    ensure_tagger(config.data.events, profile, data_dir, runs_root, device, progress)

    def body(run: RunDir, accelerator: Any, data_path: Path) -> dict[str, Any]:
        if config.method != "caption_based":
            return _train_and_evaluate(run, config, data_path, progress, accelerator)
        if not accelerator.is_main_process:
            return {}  # no training: one process captions and ranks
        return run_caption_based(run, config, data_path, runs_root, device, progress, profile)

    return train_experiment(
        TASK,
        experiment,
        config,
        body,
        profile,
        data_dir,
        runs_root,
        device,
        before_start=lambda: check_requirements(config, device, profile, runs_root),
    )


def _train_and_evaluate(
    run: RunDir,
    config: RetrievalConfig,
    data_dir: Path,
    progress: bool,
    accelerator: Any,
) -> dict[str, Any]:
    main = accelerator.is_main_process
    # this process's device: one GPU per process under a data-parallel launch
    local_device = "cpu" if accelerator.device.type == "cpu" else str(accelerator.device)
    data = config.data
    splits = load_splits(data_dir, data, accelerator=accelerator, progress=progress)
    train = splits[data.train_split]
    text_encoder = _prepare_text_encoder(run, config, train.items, accelerator, local_device)
    captions = list(
        dict.fromkeys(c for split in splits.values() for item in split.items for c in item.captions)
    )
    table = TextTable(captions, text_encoder.encode(captions, progress=progress and main))

    set_seed(config.training.seed)
    model = build_retrieval_model(config, feature_dim(data), table.dim)
    task = RetrievalTask(config, model, table, train, splits[data.validation_split])
    result = fit(
        task,
        config.training,
        run.checkpoints,
        accelerator=accelerator,
        progress=progress,
        on_epoch_end=run.write_history,
    )
    if not main:
        return {}  # evaluating the best weights is quick: the main process does it alone
    run.write_history(result.history)
    evaluation = splits[data.evaluation_split]
    trained = load_trained(run, local_device)
    metrics = evaluate_trained(trained, evaluation.items, evaluation.features, run, progress)
    return {**metrics, "split": data.evaluation_split, **training_summary(result)}


def _prepare_text_encoder(
    run: RunDir,
    config: RetrievalConfig,
    train_items: Sequence[ClothoItem],
    accelerator: Any,
    device: str,
):
    """The run's frozen text encoder: built and saved by the main process on the first start,
    read back from the run directory by every other process and on resume."""
    encoder_dir = run.path / TEXT_ENCODER_DIR
    encoder = None
    if accelerator.is_main_process and not (encoder_dir / "text_encoder.json").is_file():
        encoder = build_text_encoder(config, train_items, device)
        encoder.save(encoder_dir)
    accelerator.wait_for_everyone()
    return encoder if encoder is not None else load_text_encoder(encoder_dir, device=device)

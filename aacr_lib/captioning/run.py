"""A captioning run end to end: config → run directory → trained, decoded, scored.

`train_captioning(experiment, profile, overrides)` resolves the config and goes through the
shared run lifecycle (`aacr_lib.runs.execute_run`: the same command resumes the same run); the
body trains with the shared loop (`aacr_lib.training.fit`), decodes the evaluation split once
per clip with the best checkpoint and scores it. The run directory then holds

    config.yaml, run.json             (aacr_lib.runs)
    tokenizer/                        the caption tokenizer (bart-base or the trained BPE)
    checkpoints/                      epoch checkpoints and best/ (safetensors)
    history.json                      per-epoch train/validation loss and validation metrics
    generated_captions.csv            file_name,caption_predicted (evaluation split)
    clip_statistics.npz               its per-clip statistics (intervals, paired tests)
    metrics.json                      bleu_1..4, meteor, rouge_l, cider_d, spice, spider,
                                      unavailable (why a metric is None), and run facts

The systems that are scored without training (the organisers' checkpoint here, the trivial
system in `trivial.py`) go through the same lifecycle.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from accelerate.utils import set_seed

from aacr_lib.captioning.config import CaptioningConfig
from aacr_lib.captioning.data import CaptionCollate, check_feature_width
from aacr_lib.captioning.decoding import decode_dataset
from aacr_lib.captioning.experiments import resolve_config
from aacr_lib.captioning.inference import caption_files, load_captioner
from aacr_lib.captioning.outputs import (
    CLIP_STATISTICS_FILE,
    OUTPUTS_FILE,
    TASK,
    check_requirements,
    decoding_metrics_file,
    decoding_statistics_file,
    is_redecoded,
    read_captions,
    write_captions,
)
from aacr_lib.captioning.task import CaptioningTask, score_captions
from aacr_lib.captioning.tokenizer import (
    TOKENIZER_DIR,
    build_tokenizer,
    load_bart_base_tokenizer,
    load_tokenizer,
    save_tokenizer,
    special_tokens_of,
)
from aacr_lib.config import to_dict
from aacr_lib.data.clotho import ClothoItem
from aacr_lib.errors import DataError
from aacr_lib.evaluation.captioning import resolve_metrics
from aacr_lib.evaluation.functional.meteor import prepare_paraphrase_index
from aacr_lib.events.inputs import load_split, load_splits
from aacr_lib.experiments import train_experiment
from aacr_lib.features.splits import SplitData
from aacr_lib.models.captioning.model import build_model
from aacr_lib.models.captioning.pretrained import (
    ORGANISERS_ASSET,
    ORGANISERS_URL,
    load_organisers_checkpoint,
)
from aacr_lib.paths import dataset_dir
from aacr_lib.runs import RunDir, execute_run, run_path
from aacr_lib.tagging.run import ensure_tagger
from aacr_lib.training import checkpoint as ckpt
from aacr_lib.training import fit
from aacr_lib.training.summary import training_finished, training_summary


def train_captioning(
    experiment: str = "baseline",
    profile: str = "demo",
    overrides: Iterable[str] | Mapping[str, Any] | None = None,
    data_dir: str | os.PathLike | None = None,
    runs_root: str | os.PathLike | None = None,
    device: str = "cpu",
    progress: bool = True,
    stop_after_epochs: int | None = None,
    profile_overrides: Iterable[str] | Mapping[str, Any] | None = None,
) -> RunDir:
    """Train, decode and score one experiment; return its run directory.

    A finished run is returned as is; an interrupted one resumes from its last checkpoint.
    `overrides` are `KEY=VALUE` strings or a nested dict; `profile_overrides` change the
    profile before the experiment's overlay (`ExperimentSet.resolve`). `data_dir` defaults to
    `{data root}/{config.data.dataset}`. `stop_after_epochs` stops this call after that many
    epochs (the run stays resumable; for tests and demonstrations of resuming).
    """
    config = resolve_config(experiment, profile, overrides, profile_overrides)
    return train_config(
        config, experiment, profile, data_dir, runs_root, device, progress, stop_after_epochs
    )


def train_config(
    config: CaptioningConfig,
    experiment: str,
    profile: str = "demo",
    data_dir: str | os.PathLike | None = None,
    runs_root: str | os.PathLike | None = None,
    device: str = "cpu",
    progress: bool = True,
    stop_after_epochs: int | None = None,
) -> RunDir:
    """`train_captioning` for an already resolved config."""
    ensure_tagger(config.data.events, profile, data_dir, runs_root, device, progress)

    def body(run: RunDir, accelerator: Any, data_path: Path) -> dict[str, Any] | None:
        return _train_decode_score(run, config, data_path, accelerator, progress, stop_after_epochs)

    return train_experiment(
        TASK,
        experiment,
        config,
        body,
        profile,
        data_dir,
        runs_root,
        device,
        before_start=lambda: check_requirements(config),
    )


def prepare_shared_inputs(
    config: CaptioningConfig,
    data_dir: str | os.PathLike,
    progress: bool = True,
    profile: str = "demo",
    runs_root: str | os.PathLike | None = None,
) -> None:
    """What several runs read and none should build on its own, made before they start side
    by side: the feature caches of the config's splits (and their sound-event caches, the
    tagger trained first when they come from it) and, when it is scored with METEOR, the
    paraphrase index (built once per cache root, 10-30 s; then loaded in a second)."""
    ensure_tagger(config.data.events, profile, data_dir, runs_root, progress=progress)
    load_splits(data_dir, config.data, progress=progress)
    if "meteor" in resolve_metrics(config.evaluation.metrics):
        prepare_paraphrase_index()


def _train_decode_score(
    run: RunDir,
    config: CaptioningConfig,
    data_dir: Path,
    accelerator: Any,
    progress: bool,
    stop_after_epochs: int | None,
) -> dict[str, Any] | None:
    """Train (resuming), then decode and score the evaluation split with the best weights."""
    # METEOR's JVM is not started ahead any more: with the paraphrase table cut to the corpus
    # (`evaluation.functional.meteor`) it is ready in about a second when the scoring needs it,
    # and a JVM loading the full table beside a training spent 8-10 s of CPU the training needed.
    main = accelerator.is_main_process
    data = config.data
    splits = load_splits(data_dir, data, accelerator=accelerator, progress=progress)
    train, validation = splits[data.train_split], splits[data.validation_split]
    evaluation = splits[data.evaluation_split]
    check_feature_width(
        train.features, config.model.input_dim + config.model.extra_input_dim, data.features
    )

    tokenizer = _prepare_tokenizer(run, config, train, accelerator)
    set_seed(config.training.seed)
    model = build_model(config.model, len(tokenizer), special_tokens_of(tokenizer))
    task = CaptioningTask(config, model, tokenizer, train, validation)
    result = fit(
        task,
        config.training,
        run.checkpoints,
        accelerator=accelerator,
        progress=progress,
        on_epoch_end=run.write_history,
        stop_after_epochs=stop_after_epochs,
    )
    if not training_finished(result, config.training):
        return None  # stopped on request: resumable

    best = ckpt.best_weights(run.checkpoints)
    if best is not None:
        ckpt.load_weights(model, best, accelerator.device)
    model.to(accelerator.device)
    predictions = decode_dataset(
        model,
        tokenizer,
        evaluation.clips(),
        task.collate_fn,
        config.decoding,
        accelerator=accelerator,
        progress=progress,
    )
    if not main:
        return {}
    write_captions(run, evaluation.items, predictions)
    scores = score_captions(
        predictions,
        evaluation.references(),
        config.evaluation.metrics,
        statistics_path=run.path / CLIP_STATISTICS_FILE,
    )
    return {
        **scores,
        "split": data.evaluation_split,
        "decoding": config.decoding.method,
        **training_summary(result),
        "parameters": model.num_parameters(),
        "vocab_size": len(tokenizer),
    }


def _prepare_tokenizer(run: RunDir, config: CaptioningConfig, train: SplitData, accelerator):
    directory = run.path / TOKENIZER_DIR
    if accelerator.is_main_process and not (directory / "tokenizer.json").is_file():
        captions = [c for item in train.items for c in item.normalized_captions]
        save_tokenizer(build_tokenizer(config.tokenizer, captions), directory)
    accelerator.wait_for_everyone()
    return load_tokenizer(directory)


def caption_clips(run: RunDir, items: Sequence[ClothoItem], device: str = "cpu") -> dict[str, str]:
    """One caption per clip from a finished run: its evaluation outputs where they cover the
    clip, decoded from the audio otherwise (caption-based retrieval's captioner)."""
    outputs = run.path / OUTPUTS_FILE
    generated = read_captions(outputs) if outputs.is_file() else {}
    missing = [item for item in items if item.file_name not in generated]
    if missing:
        results = caption_files([item.audio_path for item in missing], run.path, device=device)
        for item, result in zip(missing, results, strict=True):
            if not result.ok:
                raise DataError(result.error or f"{item.audio_path}: could not be captioned")
            generated[item.file_name] = result.caption or ""
    return {item.file_name: generated[item.file_name] for item in items}


def redecode_run(
    run: RunDir,
    method: str,
    metrics: tuple[str, ...] = ("bleu", "rouge_l", "cider_d"),
    data_dir: str | os.PathLike | None = None,
    device: str = "cpu",
) -> dict[str, Any]:
    """Decode a finished run's evaluation split again with `method` ("beam" or "greedy").

    Writes `generated_captions_{method}.csv`, `metrics_{method}.json` and the per-clip
    statistics (`decoding_statistics_file`) into the run (reused when present) and returns the
    metrics.
    """
    name = decoding_metrics_file(method)
    if is_redecoded(run, method):
        return run.metrics(name)
    captioner = load_captioner(run.path, device)
    config = captioner.config
    data_dir = Path(data_dir or run.info().get("data_dir") or dataset_dir(config.data.dataset))
    evaluation = load_split(data_dir, config.data, config.data.evaluation_split, progress=False)
    if method == config.decoding.method and (run.path / OUTPUTS_FILE).is_file():
        # the run's own decoding: score its captions instead of decoding again
        predictions = read_captions(run.path / OUTPUTS_FILE)
    else:
        collate = CaptionCollate(
            captioner.tokenizer,
            config.data.max_frames,
            config.tokenizer.max_length,
            config.model.extra_input_dim,
        )
        predictions = decode_dataset(
            captioner.model,
            captioner.tokenizer,
            evaluation.clips(),
            collate,
            config.decoding,
            device=captioner.device,
            method=method,
        )
    write_captions(run, evaluation.items, predictions, name=f"generated_captions_{method}.csv")
    scores = score_captions(
        predictions,
        evaluation.references(),
        metrics,
        statistics_path=run.path / decoding_statistics_file(method),
    )
    scores.update({"split": config.data.evaluation_split, "decoding": method})
    run.write_metrics(scores, name=name)
    return scores


ORGANISERS_EXPERIMENT = "organisers_checkpoint"


def evaluate_organisers_checkpoint(
    data_dir: str | os.PathLike,
    runs_root: str | os.PathLike | None = None,
    device: str = "cpu",
    overrides: Sequence[str] = (),
) -> RunDir:
    """Decode and score the organisers' checkpoint on Clotho's evaluation split (a run dir).

    `overrides` (KEY=VALUE on the clotho baseline) change what is decoded and scored and, for
    a checkpoint of another size (the test suite's rehearsal), the model it is loaded into.
    """
    config = resolve_config("baseline", "clotho", overrides)
    run_config = {"system": "organisers' checkpoint", "source": ORGANISERS_URL, **to_dict(config)}
    data = config.data
    existing = RunDir(run_path(TASK, ORGANISERS_EXPERIMENT, run_config, runs_root))
    if existing.complete:
        return existing
    # Missing assets fail here, all named at once, before a run directory is made for them.
    check_requirements(config, also=[ORGANISERS_ASSET])
    tokenizer = load_bart_base_tokenizer()
    model = load_organisers_checkpoint(model_config=config.model, vocab_size=len(tokenizer))

    def body(run: RunDir) -> dict[str, Any]:
        evaluation = load_split(Path(data_dir), data, data.evaluation_split)
        model.to(torch.device(device if device != "auto" else "cpu"))
        collate = CaptionCollate(tokenizer, data.max_frames, config.tokenizer.max_length)
        predictions = decode_dataset(
            model,
            tokenizer,
            evaluation.clips(),
            collate,
            config.decoding,
            device=device,
            progress=True,
        )
        write_captions(run, evaluation.items, predictions)
        scores = score_captions(
            predictions,
            evaluation.references(),
            config.evaluation.metrics,
            statistics_path=run.path / CLIP_STATISTICS_FILE,
        )
        return {**scores, "split": data.evaluation_split, "profile": "clotho"}

    return execute_run(
        TASK, ORGANISERS_EXPERIMENT, run_config, body, seed=0, runs_root=runs_root, device=device
    )

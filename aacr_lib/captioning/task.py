"""The captioning task end to end: config → run directory → trained, decoded, scored.

`train_captioning(experiment, profile, overrides)` resolves the config, opens its run directory
(named by the config's hash, so the same command resumes the same run), trains with the shared
loop (`aacr_lib.training.fit`), decodes the evaluation split once per clip with the best
checkpoint and writes:

    config.yaml, run.json             (aacr_lib.runs)
    tokenizer/                        the caption tokenizer (bart-base or the trained BPE)
    checkpoints/                      epoch checkpoints and best/ (safetensors)
    history.json                      per-epoch train/validation loss and validation metrics
    generated_captions.csv            file_name,caption_predicted (evaluation split)
    metrics.json                      bleu_1..4, meteor, rouge_l, cider_d, spice, spider,
                                      unavailable (why a metric is None), and run facts
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

from aacr_lib.captioning.config import CaptioningConfig
from aacr_lib.captioning.data import (
    CaptionCollate,
    SplitData,
    check_feature_width,
    load_split,
)
from aacr_lib.captioning.decoding import decode_dataset
from aacr_lib.captioning.experiments import resolve_config
from aacr_lib.captioning.tokenizer import (
    TOKENIZER_DIR,
    build_tokenizer,
    load_tokenizer,
    save_tokenizer,
    special_tokens_of,
)
from aacr_lib.config import parse_overrides
from aacr_lib.evaluation.captioning import resolve_metrics
from aacr_lib.evaluation.functional.meteor import prestart_shared_meteor
from aacr_lib.models.captioning.model import AudioCaptioningModel, build_model, caption_loss
from aacr_lib.paths import dataset_dir
from aacr_lib.runs import RunDir, check_same_data, create_run, data_fingerprint, run_name
from aacr_lib.training import Task, fit, make_accelerator
from aacr_lib.training import checkpoint as ckpt

TASK = "captioning"
HISTORY_FILE = "history.json"
OUTPUTS_FILE = "generated_captions.csv"


class CaptioningTask(Task):
    """The training loop's view of captioning: pairs in, token cross-entropy out."""

    def __init__(
        self,
        config: CaptioningConfig,
        model: AudioCaptioningModel,
        tokenizer: Any,
        train: SplitData,
        validation: SplitData,
    ) -> None:
        self.config = config
        self.model = model
        self.tokenizer = tokenizer
        self.train_dataset = train.pairs()
        self.validation = validation
        self.validation_dataset = validation.pairs()
        self.collate_fn = CaptionCollate(
            tokenizer, config.data.max_frames, config.tokenizer.max_length
        )

    def loss(self, model, batch):
        logits = model(
            batch["features"],
            batch["labels"],
            mask=batch["mask"],
            decoder_attention_mask=batch["decoder_attention_mask"],
        )
        return caption_loss(
            logits, batch["labels"], self.model.special.pad, self.config.loss.mask_pad
        )

    def evaluate(self, model, accelerator, epoch: int) -> dict[str, Any]:
        """Decode the validation clips (once each) and score them with `epoch_metrics`.

        Every process decodes its share; the main process scores the gathered captions (the
        others return {}: only the main process writes the history).
        """
        metrics = tuple(self.config.evaluation.epoch_metrics)
        if not metrics:
            return {}
        predictions = decode_dataset(
            model,
            self.tokenizer,
            self.validation.clips(),
            self.collate_fn,
            self.config.decoding,
            accelerator=accelerator,
            limit=self.config.evaluation.epoch_max_clips,
        )
        if not accelerator.is_main_process:
            return {}
        references = self.validation.references()
        return score_captions(predictions, {k: references[k] for k in predictions}, metrics)


def score_captions(
    predictions: dict[str, str], references: dict[str, list[str]], metrics: tuple[str, ...]
) -> dict[str, Any]:
    """Scores with the evaluation module's keys, `unavailable` and `n_clips` added."""
    from aacr_lib.evaluation.captioning import evaluate_captions

    result = evaluate_captions(predictions, references, metrics=list(metrics))
    return {**result.metrics, "unavailable": dict(result.unavailable), "n_clips": result.n_clips}


def _prepare_tokenizer(run: RunDir, config: CaptioningConfig, train: SplitData, accelerator):
    directory = run.path / TOKENIZER_DIR
    if accelerator.is_main_process and not (directory / "tokenizer.json").is_file():
        captions = [c for item in train.items for c in item.normalized_captions]
        save_tokenizer(build_tokenizer(config.tokenizer, captions), directory)
    accelerator.wait_for_everyone()
    return load_tokenizer(directory)


def train_captioning(
    experiment: str = "baseline",
    profile: str = "demo",
    overrides: dict[str, Any] | list[str] | None = None,
    data_dir: str | os.PathLike | None = None,
    runs_root: str | os.PathLike | None = None,
    device: str = "cpu",
    progress: bool = True,
    stop_after_epochs: int | None = None,
) -> RunDir:
    """Train, decode and score one experiment; return its run directory.

    A finished run is returned as is; an interrupted one resumes from its last checkpoint.
    `overrides` are `KEY=VALUE` strings or a nested dict. `data_dir` defaults to
    `{data root}/{config.data.dataset}`. `stop_after_epochs` stops this call after that many
    epochs (the run stays resumable; for tests and demonstrations of resuming).
    """
    from accelerate.utils import set_seed

    if isinstance(overrides, list | tuple):
        overrides = parse_overrides(overrides)
    config = resolve_config(experiment, profile, overrides)
    data_dir = Path(data_dir) if data_dir is not None else dataset_dir(config.data.dataset)
    data = config.data
    splits = (data.train_split, data.validation_split, data.evaluation_split)
    fingerprint = data_fingerprint(data_dir, splits)

    from aacr_lib.paths import runs_root as resolve_runs_root

    path = resolve_runs_root(runs_root) / run_name(TASK, experiment, config)
    existing = RunDir(path)
    if existing.complete:
        return existing
    accelerator = make_accelerator(config.training, device)
    main = accelerator.is_main_process
    if main:
        check_same_data(existing, fingerprint)
        create_run(
            TASK,
            experiment,
            config,
            seed=config.training.seed,
            device=str(accelerator.device),
            root=runs_root,
            extra={
                "profile": profile,
                "data_dir": str(data_dir),
                "data_fingerprint": fingerprint,
                "processes": accelerator.num_processes,
            },
        )
    accelerator.wait_for_everyone()
    run = RunDir(path)
    if main and "meteor" in resolve_metrics(config.evaluation.metrics):
        # the JVM loads its paraphrase table while the model trains
        prestart_shared_meteor()

    # Feature caches are built by the main process; the others open them afterwards.
    if main:
        for split in splits:
            load_split(data_dir, data, split, progress=progress)
    accelerator.wait_for_everyone()
    train, validation, evaluation = (load_split(data_dir, data, s, progress=False) for s in splits)
    check_feature_width(train.features, config.model.input_dim, data.features)

    tokenizer = _prepare_tokenizer(run, config, train, accelerator)
    set_seed(config.training.seed)
    model = build_model(config.model, len(tokenizer), special_tokens_of(tokenizer))
    task = CaptioningTask(config, model, tokenizer, train, validation)

    def write_history(history: list[dict[str, Any]]) -> None:
        run.write_metrics({"experiment": experiment, "epochs": history}, name=HISTORY_FILE)

    result = fit(
        task,
        config.training,
        run.checkpoints,
        accelerator=accelerator,
        progress=progress,
        on_epoch_end=write_history,
        stop_after_epochs=stop_after_epochs,
    )
    finished = result.stopped_early or (
        result.history and result.history[-1]["epoch"] >= config.training.epochs
    )
    if not finished:
        return run  # stopped on request: resumable

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
    if main:
        order = [item.file_name for item in evaluation.items]
        run.write_outputs(
            [{"file_name": name, "caption_predicted": predictions[name]} for name in order],
            name=OUTPUTS_FILE,
        )
        scores = score_captions(predictions, evaluation.references(), config.evaluation.metrics)
        run.write_metrics(
            {
                **scores,
                "split": data.evaluation_split,
                "decoding": config.decoding.method,
                "best_epoch": result.best_epoch,
                "best_val_loss": _finite(result.best_val_loss),
                "epochs_trained": len(result.history),
                "stopped_early": result.stopped_early,
                "parameters": model.num_parameters(),
                "vocab_size": len(tokenizer),
                "profile": profile,
                "experiment": experiment,
            }
        )
        run.finish()
    accelerator.wait_for_everyone()
    return run


def _finite(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else value


def redecode_run(
    run: RunDir,
    method: str,
    metrics: tuple[str, ...] = ("bleu", "rouge_l", "cider_d"),
    data_dir: str | os.PathLike | None = None,
    device: str = "cpu",
) -> dict[str, Any]:
    """Decode a finished run's evaluation split again with `method` ("beam" or "greedy").

    Writes `generated_captions_{method}.csv` and `metrics_{method}.json` into the run (reused
    when present) and returns the metrics.
    """
    import pandas as pd

    from aacr_lib.captioning.inference import load_captioner

    name = f"metrics_{method}.json"
    if (run.path / name).is_file():
        return run.metrics(name)
    captioner = load_captioner(run.path, device)
    config = captioner.config
    data_dir = Path(data_dir or run.info().get("data_dir") or dataset_dir(config.data.dataset))
    evaluation = load_split(data_dir, config.data, config.data.evaluation_split, progress=False)
    collate = CaptionCollate(
        captioner.tokenizer, config.data.max_frames, config.tokenizer.max_length
    )
    if method == config.decoding.method and (run.path / OUTPUTS_FILE).is_file():
        # the run's own decoding: score its captions instead of decoding again
        frame = pd.read_csv(run.path / OUTPUTS_FILE, keep_default_na=False)
        predictions = dict(zip(frame["file_name"], frame["caption_predicted"], strict=True))
    else:
        predictions = decode_dataset(
            captioner.model,
            captioner.tokenizer,
            evaluation.clips(),
            collate,
            config.decoding,
            device=captioner.device,
            method=method,
        )
    run.write_outputs(
        [
            {"file_name": i.file_name, "caption_predicted": predictions[i.file_name]}
            for i in evaluation.items
        ],
        name=f"generated_captions_{method}.csv",
    )
    scores = score_captions(predictions, evaluation.references(), metrics)
    scores.update({"split": config.data.evaluation_split, "decoding": method})
    run.write_metrics(scores, name=name)
    return scores

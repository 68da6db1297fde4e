"""Captioning audio files with a trained run: `caption_files(paths, run_dir)`.

Any file `aacr_lib.audio` reads (wav, flac, ogg, mp3; any sample rate or channel count) goes
through the run's own feature extraction and tokenizer. A file that cannot be read gives an
error entry naming it; the other files are still captioned.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from aacr_lib.audio import load_audio
from aacr_lib.captioning.config import CaptioningConfig
from aacr_lib.captioning.data import CaptionCollate
from aacr_lib.captioning.decoding import decode_batch, generation_config
from aacr_lib.captioning.task import TASK
from aacr_lib.captioning.tokenizer import TOKENIZER_DIR, load_tokenizer, special_tokens_of
from aacr_lib.errors import AacrError, ConfigError, DataError
from aacr_lib.features.registry import check_available, compute_features
from aacr_lib.features.splits import feature_config
from aacr_lib.models.captioning.model import AudioCaptioningModel, build_model
from aacr_lib.runs import RunDir
from aacr_lib.training import checkpoint as ckpt


@dataclass
class TrainedCaptioner:
    """A run's model, tokenizer and config, ready to decode."""

    run: RunDir
    config: CaptioningConfig
    model: AudioCaptioningModel
    tokenizer: Any
    device: torch.device


def load_run_config(run_dir: str | os.PathLike) -> CaptioningConfig:
    return RunDir(Path(run_dir)).task_config(TASK, CaptioningConfig)


def load_captioner(run_dir: str | os.PathLike, device: str = "cpu") -> TrainedCaptioner:
    """Rebuild a trained model from its run directory (best checkpoint, saved tokenizer)."""
    run = RunDir(Path(run_dir))
    config = load_run_config(run.path)
    weights = ckpt.best_weights(run.checkpoints)
    if weights is None:
        raise AacrError(
            f"{run.path} has no trained weights yet (checkpoints/best/); finish its training "
            "by rerunning the command that started it"
        )
    tokenizer = load_tokenizer(run.path / TOKENIZER_DIR)
    model = build_model(config.model, len(tokenizer), special_tokens_of(tokenizer))
    torch_device = torch.device(
        "cuda"
        if device == "auto" and torch.cuda.is_available()
        else ("cpu" if device == "auto" else device)
    )
    ckpt.load_weights(model, weights, "cpu")
    model.to(torch_device).eval()
    return TrainedCaptioner(run, config, model, tokenizer, torch_device)


def padded_waveform(path: Path, features_config: Any):
    """Mono audio at the features' rate, zero-padded to one feature frame (plus a window).

    A sound shorter than one frame (0.96 s for VGGish-like features) still gets a caption.
    """
    rate = features_config.sample_rate
    waveform, _ = load_audio(path, sample_rate=rate)
    shortest = int(np.ceil(rate / features_config.frame_rate + 0.05 * rate))
    if waveform.shape[0] < shortest:
        waveform = np.pad(waveform, (0, shortest - waveform.shape[0]))
    return waveform


@dataclass
class CaptionResult:
    """One file's outcome: a caption, or the error that prevented it."""

    path: Path
    caption: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def caption_files(
    paths: list[str | os.PathLike],
    run_dir: str | os.PathLike | None = None,
    captioner: TrainedCaptioner | None = None,
    device: str = "cpu",
    method: str | None = None,
    batch_size: int = 16,
) -> list[CaptionResult]:
    """Caption each file (in order); unreadable files get `error` instead of `caption`."""
    if captioner is None:
        if run_dir is None:
            raise ValueError("give run_dir or a loaded captioner")
        captioner = load_captioner(run_dir, device)
    config = captioner.config
    if config.data.events.enabled:
        raise ConfigError(
            f"run {captioner.run.name} reads sound-event vectors ({config.data.events.source}) "
            "beside the audio features; captioning files outside its dataset would need them "
            "computed per file, which is not built yet: caption them with a run without events"
        )
    features_config = feature_config(config.data)
    # A missing asset (e.g. VGGish weights) is one error for the whole call, not one per file.
    check_available(features_config)
    results = [CaptionResult(Path(p)) for p in paths]
    ready: list[tuple[int, Any]] = []
    for index, result in enumerate(results):
        try:
            waveform = padded_waveform(result.path, features_config)
            features = compute_features(
                config.data.features,
                waveform,
                sample_rate=features_config.sample_rate,
                config=features_config,
            )
            if features.shape[0] == 0:
                raise DataError(f"{result.path}: too short to give one feature frame")
            ready.append((index, features))
        except (AacrError, ValueError, RuntimeError) as exc:
            result.error = str(exc) if str(result.path) in str(exc) else f"{result.path}: {exc}"
    collate = CaptionCollate(
        captioner.tokenizer, config.data.max_frames, config.tokenizer.max_length
    )
    generation = generation_config(config.decoding, captioner.model, method)
    for start in range(0, len(ready), batch_size):
        chunk = ready[start : start + batch_size]
        batch = collate([(features, (), str(i)) for i, features in chunk])
        captions = decode_batch(
            captioner.model, captioner.tokenizer, batch, generation, captioner.device
        )
        for (index, _), caption in zip(chunk, captions, strict=True):
            results[index].caption = caption
    return results

"""Night benchmark: how long the clotho book takes on this device, measured at the report's sizes.

    .venv/bin/python benchmarks/bench_night.py --device cuda            # on a GPU machine
    .venv/bin/python benchmarks/bench_night.py --steps 2 --clips 8      # a quick check on a CPU
    .venv/bin/python benchmarks/bench_night.py --json night.json        # also the numbers as JSON

Everything runs on ClothoMix at Clotho scale (15-30 s clips at 44.1 kHz, Clotho-style names),
on a subset of `--clips` development and `--eval-clips` validation and evaluation clips, with
the clotho profile's resolved configs (`resolve_config(name, "clotho")` of both tasks), and is
extrapolated to Clotho v2.1's 3,839 / 1,045 / 1,045 clips:

1. building ClothoMix at Clotho scale: seconds per second of audio → the whole 5,929-clip set;
2. feature extraction, per second of audio → every split: each feature kind the clotho
   experiments read (log-mel, VGGish), on the CPU as `features.splits.load_split` builds the
   caches. VGGish runs with random weights in torchvggish's layout when the real weights are
   not cached (the same network, so the same cost);
3. one training epoch of every captioning and retrieval experiment: `--steps` timed
   micro-batches (after `--warmup` untimed ones) of the shared loop's step (forward, backward,
   clipping and the optimiser every `grad_accumulation` micro-batches) × the epoch's
   micro-batches at Clotho size; the validation loss per example × the validation split; one
   checkpoint write per epoch (the write rate of each task's baseline, scaled by model size);
4. decoding: beam search on a batch of `--decode-clips` clips, per clip × the 1,045 clips of
   the validation split (every captioning epoch scores it) and of the evaluation split. An
   untrained model never stops early, so decoding runs to the config's `max_length` (the
   "worst case" column); the "expected" column decodes to `--typical-tokens` tokens, about what
   a trained model writes for a Clotho caption;
5. scoring: the captioning metrics of the clotho profile on `--score-clips` clips (the
   validation split's size by default), with METEOR's JVM started once per chapter;
6. per chapter (03-07, the runs each one trains, as the notebooks call them; a run that an
   earlier chapter trained is reused) and for the book: epochs × (epoch + validation +
   checkpoint) + final decoding and scoring, plus the feature caches the chapter builds first.

Not counted: chapters 01-02 and the HTML build, loading GoogleNews vectors for the retrieval
runs that use them, and early stopping (retrieval runs are counted at their full 50 epochs,
an upper bound). Pretrained assets that are missing (VGGish weights, the bart-base tokenizer,
all-MiniLM-L6-v2) are replaced by stand-ins of the same size where the cost does not depend on
their values, and the output says so.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import math
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from aacr_lib import assets
from aacr_lib.captioning.config import CaptioningConfig
from aacr_lib.captioning.decoding import generation_config
from aacr_lib.captioning.experiments import EXPERIMENT_SET as CAPTIONING_EXPERIMENTS
from aacr_lib.captioning.experiments import resolve_config as captioning_config
from aacr_lib.captioning.task import CaptioningTask, score_captions
from aacr_lib.captioning.tokenizer import load_bart_base_tokenizer, train_bpe
from aacr_lib.data.clotho import SPLITS, ClothoItem, read_split
from aacr_lib.data.clothomix import CLOTHO_CLIPS, CLOTHO_DURATION, generate_clothomix
from aacr_lib.errors import PretrainedUnavailable
from aacr_lib.features.registry import compute_features_batch, load_waveform
from aacr_lib.features.splits import SplitData, feature_config
from aacr_lib.features.vggish import (
    VGGishConfig,
    load_vggish,
    vggish_embeddings_batch,
    vggish_network,
)
from aacr_lib.features.vggish import weights_path as vggish_weights_path
from aacr_lib.models.captioning import BART_BASE_VOCAB_SIZE, BART_SPECIAL_TOKENS, build_model
from aacr_lib.profiles import get_profile
from aacr_lib.retrieval.config import RetrievalConfig
from aacr_lib.retrieval.experiments import REPORT_EXPERIMENTS as RETRIEVAL_NAMES
from aacr_lib.retrieval.experiments import resolve_config as retrieval_config
from aacr_lib.retrieval.task import RetrievalTask, TextTable, build_retrieval_model
from aacr_lib.training import TrainingConfig
from aacr_lib.training import checkpoint as ckpt
from aacr_lib.training.loop import micro_batches_per_epoch, validation_loss

CAPTIONS_PER_CLIP = 5
MEAN_DURATION = sum(CLOTHO_DURATION) / 2
CLOTHO_AUDIO_SECONDS = sum(CLOTHO_CLIPS.values()) * MEAN_DURATION
# A Clotho caption is 8-20 words: about 10-25 bart-base tokens with <s> and </s>.
TYPICAL_TOKENS = 24
FAST_METRICS = ("bleu", "rouge_l", "cider_d")
# The clotho book, as notebooks/03-07 call the library (runs an earlier chapter trained are
# reused by the later ones: counted once, where first trained).
MASK_PAD = ("loss.mask_pad=true",)
CHAPTERS: dict[str, dict[str, Any]] = {
    "03": {
        "title": "captioning baseline",
        "features": ["vggish"],
        "captioning": [("baseline", ()), ("baseline", MASK_PAD)],
        # the organisers' checkpoint (decode + score), the trivial system (score), and the
        # baseline decoded again greedily (fast metrics)
        "extras": ["organisers_checkpoint", "trivial", "greedy_redecode"],
    },
    "04": {
        "title": "captioning experiments",
        "captioning": [
            (name, ()) for name in CAPTIONING_EXPERIMENTS.in_sections("6.1.1", "6.1.2", "6.1.3")
        ],
    },
    "05": {"title": "captioning final", "captioning": [("final", ())]},
    "06": {
        "title": "retrieval baseline",
        "features": ["logmel"],
        "retrieval": ["baseline", "report_baseline"],
    },
    "07": {
        "title": "retrieval experiments",
        "retrieval": list(RETRIEVAL_NAMES),
    },
}


# ----------------------------------------------------------------------------- helpers
_STARTED = time.perf_counter()


def progress(message: str) -> None:
    """A progress line on stderr with the time since the start (stdout is the report)."""
    print(f"[{time.perf_counter() - _STARTED:7.1f} s] {message}", file=sys.stderr, flush=True)


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(work: Callable[[], Any], device: torch.device) -> tuple[float, Any]:
    synchronize(device)
    start = time.perf_counter()
    result = work()
    synchronize(device)
    return time.perf_counter() - start, result


def free(device: torch.device) -> None:
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()


def hours(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "n/a"
    minutes = int(round(seconds / 60))
    return f"{minutes // 60}:{minutes % 60:02d}"


class MemoryFeatures:
    """Features held in memory, read like `features.splits.CachedFeatures`; a copy made by
    `filled` ("2 Rain.wav") reads the features of its clip ("Rain.wav")."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self.arrays = arrays
        self.dim = int(next(iter(arrays.values())).shape[1])

    def __getitem__(self, file_name: str) -> np.ndarray:
        if file_name not in self.arrays:
            file_name = file_name.split(" ", 1)[1]
        return self.arrays[file_name]

    def __call__(self, item: ClothoItem) -> np.ndarray:
        return self[item.file_name]


def filled(items: list[ClothoItem], count: int) -> list[ClothoItem]:
    """At least `count` clips: the subset's clips, then renamed copies of them, so that a
    batch of the config's size (training, validation) can be timed on a small subset."""
    copies = list(items)
    for index in range(len(items), count):
        item = items[index % len(items)]
        copies.append(dataclasses.replace(item, file_name=f"{index} {item.file_name}"))
    return copies


def split_data(name: str, items: list[ClothoItem], count: int, arrays) -> SplitData:
    return SplitData(name, filled(items, count), arrays)


def run_name(name: str, overrides: Sequence[str]) -> str:
    return name + "".join(f" {o}" for o in overrides)


# ----------------------------------------------------------------------------- data
def build_subset(root: Path, args) -> tuple[dict[str, list[ClothoItem]], dict[str, Any]]:
    """ClothoMix at Clotho scale, `--clips`/`--eval-clips` clips; its build rate."""
    clips = {
        "development": args.clips,
        "validation": args.eval_clips,
        "evaluation": args.eval_clips,
    }
    started = time.perf_counter()
    generate_clothomix(root, seed=args.seed, clips=clips, scale="clotho", progress=False)
    seconds = time.perf_counter() - started
    splits = {split: read_split(root, split) for split in SPLITS}
    audio = sum(_duration(item) for items in splits.values() for item in items)
    size = sum(p.stat().st_size for p in root.rglob("*.wav"))
    per_audio_second = seconds / audio
    return splits, {
        "clips": sum(clips.values()),
        "seconds": round(seconds, 3),
        "audio_seconds": round(audio, 1),
        "seconds_per_clip": round(seconds / sum(clips.values()), 4),
        "full_build_seconds": round(per_audio_second * CLOTHO_AUDIO_SECONDS, 1),
        "full_build_gigabytes": round(size / audio * CLOTHO_AUDIO_SECONDS / 1e9, 2),
    }


def _duration(item: ClothoItem) -> float:
    import soundfile as sf

    return float(sf.info(str(item.audio_path)).duration)


def extract_features(
    splits: dict[str, list[ClothoItem]], kinds: dict[str, Any], notes: list[str]
) -> tuple[dict[str, dict[str, np.ndarray]], dict[str, Any]]:
    """Every feature kind of the clotho experiments, on the CPU in batches of 8 (as the cache
    builder); per second of audio → the whole of Clotho."""
    items = [item for split in SPLITS for item in splits[split]]
    audio = sum(_duration(item) for item in items)
    arrays: dict[str, dict[str, np.ndarray]] = {}
    report: dict[str, Any] = {}
    for kind, config in kinds.items():
        model = _vggish_model(config, notes) if isinstance(config, VGGishConfig) else None
        load_waveform(items[0].audio_path, config)  # warm-up: resampy compiles its kernel once
        started = time.perf_counter()
        features: dict[str, np.ndarray] = {}
        for start in range(0, len(items), 8):
            batch = items[start : start + 8]
            waveforms = [load_waveform(item.audio_path, config) for item in batch]
            if model is not None:
                outputs = vggish_embeddings_batch(waveforms, config, model=model)
            else:
                outputs = compute_features_batch(config, waveforms)
            features.update(zip((item.file_name for item in batch), outputs, strict=True))
        seconds = time.perf_counter() - started
        arrays[kind] = features
        report[kind] = {
            "device": "cpu",
            "seconds_per_clip": round(seconds / len(items), 4),
            "seconds_per_audio_second": round(seconds / audio, 5),
            "all_splits_seconds": round(seconds / audio * CLOTHO_AUDIO_SECONDS, 1),
            "frames_per_clip": round(statistics.mean(len(a) for a in features.values()), 1),
        }
    return arrays, report


def _vggish_model(config: VGGishConfig, notes: list[str]):
    try:
        return load_vggish(vggish_weights_path(), final_relu=config.final_relu)
    except PretrainedUnavailable:
        from torchvggish.torchvggish import VGG, make_layers

        notes.append(
            "VGGish: weights not cached (`aacr setup vggish`), timed with random weights in "
            "torchvggish's layout (the same network and cost)"
        )
        torch.manual_seed(0)
        random_state = VGG(make_layers(), postprocess=False).state_dict()
        return vggish_network(random_state, final_relu=config.final_relu)


# ----------------------------------------------------------------------------- training
class SingleProcess:
    """What the loop's validation reads of an `accelerate.Accelerator` (one process), with the
    autocast of the run's own precision."""

    is_main_process = True
    process_index = 0
    num_processes = 1

    def __init__(self, device: torch.device, precision: str) -> None:
        self.device = device
        self.precision = precision

    def autocast(self):
        return autocast_for(self.device, self.precision)


def autocast_for(device: torch.device, precision: str):
    dtype = torch.float16 if precision == "fp16" else torch.bfloat16
    return torch.autocast(device.type, dtype=dtype, enabled=precision != "fp32")


def cpu_precision(kind: str, name: str, config, device: torch.device, notes: list[str]):
    """fp16 autocast has no loss scaler on a CPU (`training.make_accelerator` refuses it): a CPU
    run needs `training.mixed_precision=fp32`, which is what is timed here."""
    if device.type != "cpu" or config.training.mixed_precision != "fp16":
        return ()
    notes.append(f"{kind} {name}: fp16 is GPU-only, timed in fp32 (training.mixed_precision=fp32)")
    return ("training.mixed_precision=fp32",)


def time_training_steps(task, model, training: TrainingConfig, args, device):
    """Median seconds of one micro-batch of the shared loop's step, after `--warmup`; and the
    optimiser (its state is part of the checkpoint)."""
    model.train()
    optimizer = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad],
        lr=training.lr,
        betas=tuple(training.adam_betas),
        eps=training.adam_eps,
        weight_decay=training.weight_decay,
    )
    generator = torch.Generator().manual_seed(training.seed)
    loader = torch.utils.data.DataLoader(
        task.train_dataset,
        batch_size=training.batch_size,
        shuffle=True,
        generator=generator,
        collate_fn=task.collate_fn,
        drop_last=len(task.train_dataset) >= training.batch_size,
    )
    # fp16 trains with a loss scaler, as accelerate does
    scaler = torch.amp.GradScaler(device.type, enabled=training.mixed_precision == "fp16")

    def step(index: int, batch) -> None:
        batch = task.to_device(batch, device)
        with autocast_for(device, training.mixed_precision):
            loss = task.loss(model, batch)
        scaler.scale(loss / training.grad_accumulation).backward()
        if (index + 1) % training.grad_accumulation == 0:
            if training.max_grad_norm and training.max_grad_norm > 0:
                scaler.unscale_(optimizer)
                torch.nn.utils.clip_grad_norm_(model.parameters(), training.max_grad_norm)
            scaler.step(optimizer)
            scaler.update()
            optimizer.zero_grad(set_to_none=True)

    times = []
    index = 0
    while len(times) < args.steps:
        for batch in loader:
            seconds, _ = timed(lambda b=batch, i=index: step(i, b), device)
            if index >= args.warmup:
                times.append(seconds)
            index += 1
            if len(times) >= args.steps:
                break
    return statistics.median(times), optimizer


def time_checkpoint(model, optimizer, directory: Path) -> dict[str, float]:
    """One epoch checkpoint: safetensors weights and the optimiser state, as the loop writes."""
    directory.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    ckpt.save_weights(model, directory / "model.safetensors")
    ckpt.save_state({"optimizer": optimizer.state_dict()}, directory / "state.pt")
    seconds = time.perf_counter() - started
    size = sum(p.stat().st_size for p in directory.iterdir())
    shutil.rmtree(directory, ignore_errors=True)
    return {"seconds": seconds, "bytes": size}


# ----------------------------------------------------------------------------- captioning
def captioning_tokenizer(splits, notes: list[str]):
    """bart-base when cached; else a BPE of the subset's captions with bart-base's special ids,
    and the model keeps bart-base's vocabulary size (captions are padded to the same length)."""
    try:
        tokenizer = load_bart_base_tokenizer()
        return tokenizer, len(tokenizer)
    except PretrainedUnavailable:
        notes.append(
            "bart-base tokenizer not cached: captions tokenised by a BPE stand-in, padded to the "
            f"same max_length; the model keeps bart-base's {BART_BASE_VOCAB_SIZE} tokens"
        )
        captions = [c for item in splits["development"] for c in item.normalized_captions]
        return train_bpe(captions, vocab_size=1000, min_frequency=1), BART_BASE_VOCAB_SIZE


def time_decoding(model, task, clips, decoding, args, device, greedy: bool) -> dict[str, float]:
    """Seconds per clip of beam search on a batch of `--decode-clips` clips: to the config's
    `max_length` (worst case, an untrained model) and to `--typical-tokens` (expected); with
    `greedy`, also greedy decoding to `--typical-tokens` (chapter 03 redecodes the baseline)."""
    examples = [clips[i % len(clips)] for i in range(args.decode_clips)]
    batch = task.collate_fn(examples)
    features, mask = batch["features"].to(device), batch["mask"].to(device)
    expected = min(args.typical_tokens, decoding.max_length)
    settings = {
        "decode_worst": ("beam", decoding.max_length),
        "decode_expected": ("beam", expected),
    }
    if greedy:
        settings["greedy_expected"] = ("greedy", expected)
    model.eval()
    result = {}
    with torch.no_grad():
        for label, (method, length) in settings.items():
            config = generation_config(
                dataclasses.replace(decoding, max_length=length), model, method
            )
            warm = generation_config(
                dataclasses.replace(decoding, max_length=decoding.min_length + 2), model, method
            )
            model.generate(features[:1], warm, mask=mask[:1])  # first-call costs, untimed
            seconds, _ = timed(lambda c=config: model.generate(features, c, mask=mask), device)
            result[f"{label}_seconds_per_clip"] = seconds / len(examples)
    model.train()
    return result


def measure_captioning(name, overrides, splits, features, tokenizer, vocab, args, device, notes):
    config: CaptioningConfig = captioning_config(name, "clotho", list(overrides))
    cpu = cpu_precision("captioning", name, config, device, notes)
    if cpu:
        config = captioning_config(name, "clotho", [*overrides, *cpu])
    accelerator = SingleProcess(device, config.training.mixed_precision)
    arrays = MemoryFeatures(features[config.data.features])
    training = config.training
    train_clips = math.ceil(training.batch_size / CAPTIONS_PER_CLIP)
    train = split_data("development", splits["development"], train_clips, arrays)
    validation = split_data("validation", splits["validation"], args.validation_clips, arrays)
    evaluation = SplitData("evaluation", splits["evaluation"], arrays)
    torch.manual_seed(config.training.seed)
    model = build_model(config.model, vocab, BART_SPECIAL_TOKENS).to(device)
    task = CaptioningTask(config, model, tokenizer, train, validation)
    step, optimizer = time_training_steps(task, model, config.training, args, device)
    val_seconds, _ = timed(
        lambda: validation_loss(task, model, accelerator, config.training), device
    )
    clips = list(validation.clips()) + list(evaluation.clips())
    greedy = (name, tuple(overrides)) == ("baseline", ())
    decoding = time_decoding(model, task, clips, config.decoding, args, device, greedy)
    epoch_clips = config.evaluation.epoch_max_clips or CLOTHO_CLIPS["validation"]
    measured = {
        "task": "captioning",
        "parameters": sum(p.numel() for p in model.parameters()),
        "epochs": training.epochs,
        "micro_batches_per_epoch": micro_batches_per_epoch(
            CLOTHO_CLIPS["development"] * CAPTIONS_PER_CLIP, 1, training
        ),
        "seconds_per_micro_batch": step,
        "validation_seconds_per_example": val_seconds / len(task.validation_dataset),
        "validation_examples": CLOTHO_CLIPS["validation"] * CAPTIONS_PER_CLIP,
        "epoch_decode_clips": epoch_clips if config.evaluation.epoch_metrics else 0,
        "epoch_metrics": list(config.evaluation.epoch_metrics),
        "final_metrics": list(config.evaluation.metrics),
        **decoding,
    }
    return measured, model, optimizer


# ----------------------------------------------------------------------------- retrieval
def text_dim(config: RetrievalConfig) -> int:
    return 384 if config.model.text.encoder == "sentence_transformer" else 300


def measure_retrieval(name, splits, features, args, device, notes):
    config: RetrievalConfig = retrieval_config(name, "clotho")
    cpu = cpu_precision("retrieval", name, config, device, notes)
    if cpu:
        config = retrieval_config(name, "clotho", list(cpu))
    accelerator = SingleProcess(device, config.training.mixed_precision)
    arrays = MemoryFeatures(features[config.data.features])
    per_clip = CAPTIONS_PER_CLIP if config.data.examples == "pairs" else 1
    train_clips = math.ceil(config.training.batch_size / per_clip)
    train = split_data("development", splits["development"], train_clips, arrays)
    validation = split_data("validation", splits["validation"], args.validation_clips, arrays)
    captions = list(
        dict.fromkeys(c for items in splits.values() for i in items for c in i.captions)
    )
    # The text side is frozen and computed once before training: its values do not change
    # the cost of a step, only its width does.
    vectors = np.random.default_rng(0).standard_normal((len(captions), text_dim(config)))
    table = TextTable(captions, vectors.astype(np.float32))
    torch.manual_seed(config.training.seed)
    model = build_retrieval_model(config, arrays.dim, table.dim).to(device)
    task = RetrievalTask(config, model, table, train, validation)
    step, optimizer = time_training_steps(task, model, config.training, args, device)

    def validate():
        task.validation_loss(model, accelerator, config.training)
        try:
            task.evaluate(model, accelerator, 1)
        except ValueError as exc:
            # a few steps of an untrained model may give non-finite scores: ranking is
            # cheap next to encoding, so the timing stands
            notes.append(
                f"retrieval {name}: validation ranking failed after {args.steps} steps ({exc})"
            )

    val_seconds, _ = timed(validate, device)
    examples = CLOTHO_CLIPS["development"] * (
        CAPTIONS_PER_CLIP if config.data.examples == "pairs" else 1
    )
    measured = {
        "task": "retrieval",
        "parameters": sum(p.numel() for p in model.parameters()),
        "epochs": config.training.epochs,
        "micro_batches_per_epoch": micro_batches_per_epoch(examples, 1, config.training),
        "seconds_per_micro_batch": step,
        "validation_seconds_per_example": val_seconds / len(validation.items),
        "validation_examples": CLOTHO_CLIPS["validation"],
        "text_encoder": config.model.text.encoder,
        "features": config.data.features,
    }
    return measured, model, optimizer


def sentence_rate(splits, device: torch.device, notes: list[str]) -> float | None:
    """Seconds per caption of all-MiniLM-L6-v2 (None when it is not on this machine)."""
    try:
        assets.require("all_minilm_l6_v2")
        from aacr_lib.retrieval.text_encoders import SentenceTransformerEncoder

        encoder = SentenceTransformerEncoder(device=str(device), allow_download=False)
    except (PretrainedUnavailable, OSError, ValueError) as exc:
        notes.append(f"all-MiniLM-L6-v2 unavailable ({exc}): sentence encoding not counted")
        return None
    captions = [f"{c} ({n})" for n in range(4) for i in splits["development"] for c in i.captions]
    encoder.encode(captions[:8])  # warm-up
    seconds, _ = timed(lambda: encoder.encode(captions[8:]), device)
    return seconds / len(captions[8:])


# ----------------------------------------------------------------------------- scoring
def measure_scoring(splits, metrics_sets: dict[str, tuple[str, ...]], args) -> dict[str, Any]:
    """Seconds to score the validation split with each metric set (warm JVM), and METEOR's
    cold start; `--score-clips` clips timed, extrapolated per clip to 1,045."""
    items = [item for split in SPLITS for item in splits[split]]
    predictions, references = {}, {}
    for n in range(args.score_clips):
        item = items[n % len(items)]
        predictions[f"clip {n}.wav"] = item.captions[n % CAPTIONS_PER_CLIP]
        references[f"clip {n}.wav"] = list(item.captions)
    report: dict[str, Any] = {"clips": args.score_clips}
    small = dict(list(predictions.items())[:4])
    cold, _ = timed(
        lambda: score_captions(small, {k: references[k] for k in small}, ("all",)),
        torch.device("cpu"),
    )
    warm_small, _ = timed(
        lambda: score_captions(small, {k: references[k] for k in small}, ("all",)),
        torch.device("cpu"),
    )
    report["meteor_cold_start_seconds"] = max(0.0, cold - warm_small)
    target = CLOTHO_CLIPS["validation"]
    half = dict(list(predictions.items())[: max(2, args.score_clips // 2)])
    for label, metrics in metrics_sets.items():
        seconds, scores = timed(
            lambda m=metrics: score_captions(predictions, references, m), torch.device("cpu")
        )
        if args.score_clips < target:
            # fixed cost (the PTB tokenizer's JVM starts on every call) + cost per clip,
            # from a second timing on half the clips
            fewer, _ = timed(
                lambda m=metrics: score_captions(half, {k: references[k] for k in half}, m),
                torch.device("cpu"),
            )
            per_clip = max(0.0, (seconds - fewer) / (len(predictions) - len(half)))
            seconds = max(fewer - per_clip * len(half), 0.0) + per_clip * target
        report[f"{label}_seconds"] = seconds
        report[f"{label}_unavailable"] = sorted(scores.get("unavailable", {}))
    return report


# ----------------------------------------------------------------------------- estimates
def run_seconds(m: dict[str, Any], scoring: dict[str, Any], case: str) -> dict[str, float]:
    """One run's time from its measurements: epochs × (train + validation + per-epoch decode
    and scoring + checkpoint) + the final evaluation."""
    train = m["micro_batches_per_epoch"] * m["seconds_per_micro_batch"]
    validation = m["validation_examples"] * m["validation_seconds_per_example"]
    epoch_extra = 0.0
    final = 0.0
    if m["task"] == "captioning":
        decode = m[f"decode_{case}_seconds_per_clip"]
        if m["epoch_decode_clips"]:
            epoch_extra = m["epoch_decode_clips"] * decode + scoring["epoch_seconds"]
        final = CLOTHO_CLIPS["evaluation"] * decode + scoring["final_seconds"]
    else:
        # ranking the evaluation split: one more pass like the validation one
        final = CLOTHO_CLIPS["evaluation"] * m["validation_seconds_per_example"]
        final += m.get("text_encoding_seconds", 0.0)
    epoch = train + validation + epoch_extra + m["checkpoint_seconds"]
    return {
        "epoch_seconds": epoch,
        "train_seconds_per_epoch": train,
        "validation_seconds_per_epoch": validation + epoch_extra,
        "run_seconds": m["epochs"] * epoch + final,
    }


def extra_seconds(name: str, runs: dict[str, dict[str, Any]], scoring, case: str) -> float:
    baseline = runs["captioning baseline"]
    evaluation = CLOTHO_CLIPS["evaluation"]
    if name == "organisers_checkpoint":
        return evaluation * baseline[f"decode_{case}_seconds_per_clip"] + scoring["final_seconds"]
    if name == "trivial":
        return scoring["final_seconds"]
    if name == "greedy_redecode":
        return evaluation * baseline["greedy_expected_seconds_per_clip"] + scoring["fast_seconds"]
    raise KeyError(name)


def estimate(measured: dict[str, Any], seeds: int = 1) -> dict[str, Any]:
    """Chapter and book totals (seconds), expected and worst case, from `measure`'s output,
    with every trained run trained `seeds` times (the clotho profile trains 3 per experiment;
    the feature caches and the untrained systems count once)."""
    runs, scoring, features = measured["runs"], measured["scoring"], measured["features"]
    chapters = {}
    trained: set[str] = set()
    for number, chapter in CHAPTERS.items():
        totals = {}
        for case in ("expected", "worst"):
            seconds = sum(features[k]["all_splits_seconds"] for k in chapter.get("features", ()))
            names = []
            listed = [
                *(f"captioning {run_name(n, o)}" for n, o in chapter.get("captioning", ())),
                *(f"retrieval {n}" for n in chapter.get("retrieval", ())),
            ]
            for key in listed:
                if key in trained:
                    continue
                if key not in runs:
                    continue  # not measured (--only)
                names.append(key)
                seconds += seeds * runs[key]["estimate"][case]["run_seconds"]
            if "captioning" in chapter:
                seconds += scoring["meteor_cold_start_seconds"]
            for extra in chapter.get("extras", ()):
                if "captioning baseline" in runs:
                    seconds += extra_seconds(extra, runs, scoring, case)
            totals[case] = seconds
        trained.update(names)
        chapters[number] = {"title": chapter["title"], "runs": names, **totals}
    book = {case: sum(c[case] for c in chapters.values()) for case in ("expected", "worst")}
    return {"chapters": chapters, "book": book, "seeds": seeds}


# ----------------------------------------------------------------------------- main
def measure(args) -> dict[str, Any]:
    device = torch.device(args.device)
    notes: list[str] = []
    workdir = Path(tempfile.mkdtemp(prefix="bench-night-"))
    try:
        sizes = f"{args.clips}/{args.eval_clips}/{args.eval_clips}"
        progress(f"building ClothoMix at Clotho scale ({sizes} clips)…")
        splits, build = build_subset(workdir / "clothomix", args)
        kinds = _feature_kinds()
        progress("extracting features…")
        features, feature_report = extract_features(splits, kinds, notes)
        runs: dict[str, dict[str, Any]] = {}
        checkpoint_rate: dict[str, float] = {}
        if args.only in (None, "captioning"):
            tokenizer, vocab = captioning_tokenizer(splits, notes)
            for name, overrides in _captioning_runs():
                key = f"captioning {run_name(name, overrides)}"
                progress(f"timing {key}…")
                m, model, optimizer = measure_captioning(
                    name, overrides, splits, features, tokenizer, vocab, args, device, notes
                )
                _checkpoint(m, model, optimizer, checkpoint_rate, workdir)
                runs[key] = m
                del model, optimizer
                free(device)
        if args.only in (None, "retrieval"):
            rate = sentence_rate(splits, device, notes)
            for name in RETRIEVAL_NAMES:
                if retrieval_config(name, "clotho").method == "caption_based":
                    if rate is not None:
                        queries = CLOTHO_CLIPS["evaluation"] * (CAPTIONS_PER_CLIP + 1)
                        runs[f"retrieval {name}"] = _caption_based(rate * queries)
                    continue
                key = f"retrieval {name}"
                progress(f"timing {key}…")
                m, model, optimizer = measure_retrieval(name, splits, features, args, device, notes)
                if m["text_encoder"] == "sentence_transformer" and rate is not None:
                    m["text_encoding_seconds"] = (
                        rate * sum(CLOTHO_CLIPS.values()) * CAPTIONS_PER_CLIP
                    )
                _checkpoint(m, model, optimizer, checkpoint_rate, workdir)
                runs[key] = m
                del model, optimizer
                free(device)
        scoring = {
            "epoch_seconds": 0.0,
            "final_seconds": 0.0,
            "fast_seconds": 0.0,
            "meteor_cold_start_seconds": 0.0,
        }
        if args.only in (None, "captioning"):
            progress(f"scoring {args.score_clips} clips…")
            baseline = captioning_config("baseline", "clotho")
            scoring = measure_scoring(
                splits,
                {
                    "epoch": tuple(baseline.evaluation.epoch_metrics),
                    "final": tuple(baseline.evaluation.metrics),
                    "fast": FAST_METRICS,
                },
                args,
            )
            missing = scoring["final_unavailable"]
            if missing:
                notes.append(f"metrics unavailable here, not timed: {', '.join(missing)}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    measured = {
        "device": str(device),
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "threads": torch.get_num_threads(),
        "subset": {
            "clips": {
                "development": args.clips,
                "validation": args.eval_clips,
                "evaluation": args.eval_clips,
            },
            "steps": args.steps,
            "warmup": args.warmup,
            "decode_clips": args.decode_clips,
            "score_clips": args.score_clips,
        },
        "clothomix_build": build,
        "features": feature_report,
        "runs": runs,
        "scoring": scoring,
        "notes": notes,
    }
    for m in runs.values():
        if "estimate" not in m:
            m["estimate"] = {case: run_seconds(m, scoring, case) for case in ("expected", "worst")}
    measured.update(estimate(measured, args.seeds))
    return measured


def _feature_kinds() -> dict[str, Any]:
    """The feature configs the clotho experiments read, by kind."""
    configs = [captioning_config("baseline", "clotho").data]
    configs += [retrieval_config(name, "clotho").data for name in RETRIEVAL_NAMES]
    kinds = {}
    for data in configs:
        config = feature_config(data)
        kinds.setdefault(config.kind, config)
    return kinds


def _captioning_runs() -> list[tuple[str, tuple[str, ...]]]:
    runs = []
    for chapter in CHAPTERS.values():
        for run in chapter.get("captioning", ()):
            if run not in runs:
                runs.append(run)
    return runs


def _checkpoint(m, model, optimizer, rate: dict[str, float], workdir: Path) -> None:
    """Seconds of one epoch checkpoint: measured on the task's first run, scaled by size."""
    if m["task"] not in rate:
        written = time_checkpoint(model, optimizer, workdir / "checkpoint")
        rate[m["task"]] = written["seconds"] / m["parameters"]
        m["checkpoint_bytes"] = written["bytes"]
    m["checkpoint_seconds"] = rate[m["task"]] * m["parameters"]


def _caption_based(seconds: float) -> dict[str, Any]:
    """Caption-based retrieval trains nothing: it reuses the captioning baseline's evaluation
    captions and ranks by sentence embeddings (queries and generated captions)."""
    run = {"task": "retrieval", "epochs": 0, "text_encoder": "sentence_transformer"}
    run["estimate"] = {
        case: {
            "epoch_seconds": 0.0,
            "train_seconds_per_epoch": 0.0,
            "validation_seconds_per_epoch": 0.0,
            "run_seconds": seconds,
        }
        for case in ("expected", "worst")
    }
    return run


def format_report(result: dict[str, Any]) -> str:
    build, lines = result["clothomix_build"], []
    lines.append(
        f"Night estimate on {result['device_name']} ({result['device']}, {result['threads']} threads)"
    )
    sub = result["subset"]
    lines.append(
        f"measured on a ClothoMix subset at Clotho scale ({sub['clips']['development']}/"
        f"{sub['clips']['validation']}/{sub['clips']['evaluation']} clips, {sub['steps']} timed "
        f"steps after {sub['warmup']}, decoding batch {sub['decode_clips']}, scoring "
        f"{sub['score_clips']} clips), extrapolated to Clotho v2.1's 3839/1045/1045 clips; "
        f"every experiment trained with {result.get('seeds', 1)} seed(s)"
    )
    lines.append("")
    lines.append(
        f"ClothoMix build: {build['clips']} clips in {build['seconds']:.2f} s "
        f"({build['seconds_per_clip']:.3f} s/clip) -> whole Clotho scale "
        f"{build['full_build_seconds'] / 60:.1f} min, {build['full_build_gigabytes']:.1f} GB"
    )
    for kind, f in result["features"].items():
        lines.append(
            f"features {kind:<7} ({f['device']}): {f['seconds_per_clip']:.3f} s/clip -> every split "
            f"{hours(f['all_splits_seconds'])} h:mm"
        )
    scoring = result["scoring"]
    if scoring.get("clips"):
        lines.append(
            f"scoring the validation split: per epoch {scoring['epoch_seconds']:.0f} s, final "
            f"{scoring['final_seconds']:.0f} s, METEOR JVM start {scoring['meteor_cold_start_seconds']:.0f} s"
        )
    lines.append("")
    header = (
        f"{'run (times in h:mm)':<44}{'params':>8}{'steps/ep':>9}{'s/step':>8}{'epoch':>8}"
        f"{'epochs':>7}{'run exp.':>9}{'worst':>8}"
    )
    lines.append(header)
    lines.append("-" * len(header))
    for key, m in result["runs"].items():
        est = m["estimate"]
        params = f"{m['parameters'] / 1e6:.1f}M" if "parameters" in m else "-"
        steps = m.get("micro_batches_per_epoch", 0)
        step = m.get("seconds_per_micro_batch")
        lines.append(
            f"{key:<44}{params:>8}{steps:>9}{(f'{step:.3f}' if step else '-'):>8}"
            f"{hours(est['expected']['epoch_seconds']):>8}{m['epochs']:>7}"
            f"{hours(est['expected']['run_seconds']):>9}{hours(est['worst']['run_seconds']):>8}"
        )
    lines.append("")
    lines.append(f"{'chapter':<30}{'expected':>10}{'worst':>10}  runs trained (h:mm)")
    for number, chapter in result["chapters"].items():
        lines.append(
            f"{number + ' ' + chapter['title']:<30}{hours(chapter['expected']):>10}"
            f"{hours(chapter['worst']):>10}  {', '.join(chapter['runs'])}"
        )
    book = result["book"]
    lines.append(
        f"{'book (chapters 03-07)':<30}{hours(book['expected']):>10}{hours(book['worst']):>10}"
    )
    lines.append("")
    lines.append(
        "expected: decoding stops at --typical-tokens tokens (a trained model); worst: every "
        "caption runs to max_length (an untrained one). Retrieval runs at their full epochs "
        "(early stopping may end them sooner)."
    )
    lines.extend(f"note: {note}" for note in result["notes"])
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--clips", type=int, default=16, help="development clips of the subset")
    parser.add_argument("--eval-clips", type=int, default=4, help="validation and evaluation clips")
    parser.add_argument("--steps", type=int, default=5, help="timed micro-batches per run")
    parser.add_argument("--warmup", type=int, default=1, help="untimed micro-batches first")
    parser.add_argument(
        "--validation-clips",
        type=int,
        default=32,
        help="clips of the timed validation pass (the subset's, repeated): 32 fill one "
        "retrieval batch and five captioning ones",
    )
    parser.add_argument("--decode-clips", type=int, default=32, help="clips in the decoded batch")
    parser.add_argument("--typical-tokens", type=int, default=TYPICAL_TOKENS)
    parser.add_argument("--score-clips", type=int, default=CLOTHO_CLIPS["validation"])
    parser.add_argument("--only", choices=("captioning", "retrieval"), default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--seeds",
        type=int,
        default=get_profile("clotho").seeds,
        help="training seeds per experiment in the estimate (default: the clotho profile's)",
    )
    parser.add_argument("--json", default=None, help="write the numbers here as JSON ('-': stdout)")
    args = parser.parse_args(argv)
    names = ("clips", "eval_clips", "validation_clips", "steps", "decode_clips", "typical_tokens")
    for name in names:
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.score_clips < 4:
        parser.error("--score-clips must be at least 4")
    if args.warmup < 0:
        parser.error("--warmup must be 0 or more")
    result = measure(args)
    print(format_report(result))
    if args.json == "-":
        json.dump(result, sys.stdout, indent=2)
        print()
    elif args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

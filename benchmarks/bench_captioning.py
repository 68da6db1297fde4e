"""Captioning benchmark: our wrapper against the bare `transformers` model, and decoding speed.

    .venv/bin/python benchmarks/bench_captioning.py                 # paper size, CPU
    .venv/bin/python benchmarks/bench_captioning.py --size demo     # the demo profile's model
    .venv/bin/python benchmarks/bench_captioning.py --device cuda   # adds bf16 against fp32

1. Training steps per second (forward, loss, backward, AdamW step) of the baseline at batch 8:
   `AudioCaptioningModel` against `BartForConditionalGeneration` fed the same adapter output
   through `inputs_embeds` with `labels` (the baseline's own forward). Both are timed in this
   process, interleaved, from the same weights; the ratio ours/bare should be ≥ 0.95.
2. Decoding: clips per second with beam search (4 beams) and greedy, batched. A randomly
   initialised model rarely stops early, so both run to `--max-length` tokens: a worst case.
3. With a GPU: training steps per second in bf16 autocast against fp32, at the same size, at
   the baseline's batch of 8 (4 × 2 accumulated) and at a batch that fills a GPU better.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch

from aacr_lib.captioning.config import DecodingConfig
from aacr_lib.captioning.decoding import generation_config
from aacr_lib.captioning.experiments import resolve_config
from aacr_lib.models.captioning import BART_BASE_VOCAB_SIZE, build_model, caption_loss


def make_batch(batch_size: int, frames: int, input_dim: int, length: int, vocab: int, device):
    generator = torch.Generator().manual_seed(0)
    features = torch.randn(batch_size, frames, input_dim, generator=generator)
    mask = torch.ones(batch_size, frames, dtype=torch.bool)
    labels = torch.randint(4, vocab, (batch_size, length), generator=generator)
    labels[:, 0], labels[:, length // 2] = 0, 2
    labels[:, length // 2 + 1 :] = 1
    decoder_mask = (labels != 1).long()
    return [t.to(device) for t in (features, mask, labels, decoder_mask)]


def ours_step(model, optimizer, batch, autocast):
    features, mask, labels, decoder_mask = batch
    with autocast():
        loss = caption_loss(model(features, labels, mask, decoder_mask), labels, pad_id=1)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)


def bare_step(model, optimizer, batch, autocast):
    """The baseline's own forward: adapter output as `inputs_embeds`, labels to the model."""
    features, mask, labels, decoder_mask = batch
    with autocast():
        loss = model.bart(
            inputs_embeds=model.adapter(features),
            attention_mask=mask.long(),
            labels=labels,
            decoder_attention_mask=decoder_mask,
        ).loss
    loss.backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)


def synchronize(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def timed(step, device) -> float:
    synchronize(device)
    start = time.perf_counter()
    step()
    synchronize(device)
    return time.perf_counter() - start


def training_comparison(config, args, device) -> dict:
    model = build_model(config.model, BART_BASE_VOCAB_SIZE if args.size == "paper" else 1000)
    model.to(device).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5)
    batch = make_batch(args.batch_size, 32, config.model.input_dim, 64, model.vocab_size, device)
    plain = torch.autocast(device.type, enabled=False)

    def no_autocast():
        return plain

    for _ in range(args.warmup):
        ours_step(model, optimizer, batch, no_autocast)
        bare_step(model, optimizer, batch, no_autocast)
    ours, bare = [], []
    for step in range(args.steps):
        # interleaved, so that load changes hit both alike, and in alternating order
        pair = [
            (ours, lambda: ours_step(model, optimizer, batch, no_autocast)),
            (bare, lambda: bare_step(model, optimizer, batch, no_autocast)),
        ]
        for times, run in pair if step % 2 == 0 else pair[::-1]:
            times.append(timed(run, device))
    ours_rate, bare_rate = 1 / statistics.median(ours), 1 / statistics.median(bare)
    return {
        "parameters": model.num_parameters(),
        "batch_size": args.batch_size,
        "ours_steps_per_s": round(ours_rate, 4),
        "bare_transformers_steps_per_s": round(bare_rate, 4),
        "ratio_ours_over_bare": round(ours_rate / bare_rate, 3),
    }


def precision_comparison(config, args, device, batch_size: int) -> dict:
    """Training steps per second in fp32 and in bf16 autocast (paper size, same weights)."""
    model = build_model(config.model, BART_BASE_VOCAB_SIZE).to(device).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5)
    batch = make_batch(batch_size, 32, config.model.input_dim, 64, model.vocab_size, device)
    rates = {}
    for name, enabled in (("fp32", False), ("bf16", True)):

        def autocast(enabled=enabled):
            return torch.autocast(device.type, dtype=torch.bfloat16, enabled=enabled)

        for _ in range(args.warmup):
            ours_step(model, optimizer, batch, autocast)
        times = [
            timed(lambda: ours_step(model, optimizer, batch, autocast), device)
            for _ in range(args.steps)
        ]
        rates[name] = 1 / statistics.median(times)
    return {
        "batch_size": batch_size,
        "fp32_steps_per_s": round(rates["fp32"], 3),
        "bf16_steps_per_s": round(rates["bf16"], 3),
        "ratio_bf16_over_fp32": round(rates["bf16"] / rates["fp32"], 3),
        "bf16_clips_per_s": round(rates["bf16"] * batch_size, 1),
    }


def decoding_speed(config, args, device) -> dict:
    model = build_model(config.model, BART_BASE_VOCAB_SIZE if args.size == "paper" else 1000)
    model.to(device).eval()
    features, mask, _, _ = make_batch(
        args.decode_clips, 32, config.model.input_dim, 8, model.vocab_size, device
    )
    result = {"clips": args.decode_clips, "max_length": args.max_length}
    for method in ("beam", "greedy"):
        decoding = DecodingConfig(method=method, max_length=args.max_length)
        generation = generation_config(decoding, model)
        model.generate(features[:1], generation, mask=mask[:1])  # warm-up
        seconds = timed(lambda g=generation: model.generate(features, g, mask=mask), device)
        result[f"{method}_clips_per_s"] = round(args.decode_clips / seconds, 3)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=("paper", "demo"), default="paper")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--steps", type=int, default=3, help="timed steps per variant")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--decode-clips", type=int, default=8)
    parser.add_argument("--max-length", type=int, default=30, help="decoded tokens (worst case)")
    parser.add_argument("--skip", nargs="*", default=[], choices=("training", "decoding"))
    parser.add_argument(
        "--precision-batch-sizes", nargs="+", type=int, default=[8, 64], help="GPU only"
    )
    args = parser.parse_args()
    device = torch.device(args.device)
    torch.manual_seed(0)
    config = resolve_config("baseline", args.size)
    report = {"size": args.size, "device": str(device), "threads": torch.get_num_threads()}
    if device.type == "cuda":
        report["gpu"] = torch.cuda.get_device_name(device)
    if "training" not in args.skip:
        report["training"] = training_comparison(config, args, device)
        print(json.dumps(report["training"]), flush=True)
    if "decoding" not in args.skip:
        report["decoding"] = decoding_speed(config, args, device)
        print(json.dumps(report["decoding"]), flush=True)
    if device.type == "cuda":
        report["precision"] = []
        for batch_size in args.precision_batch_sizes:
            report["precision"].append(precision_comparison(config, args, device, batch_size))
            print(json.dumps(report["precision"][-1]), flush=True)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

"""Caption decoding: beam search (the baseline's settings) or greedy, batched, once per clip.

The baseline decodes its evaluation set once per (clip, caption) row, i.e. every clip five
times; here every clip is decoded once. With several processes each decodes its own share of
the clips (none twice, none left out) and the results are gathered.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset
from transformers import GenerationConfig

from aacr_lib.captioning.config import DecodingConfig
from aacr_lib.captioning.tokenizer import decode_captions
from aacr_lib.models.captioning.model import AudioCaptioningModel
from aacr_lib.training.distributed import batches, evaluation_shard, gather_lists


def generation_config(
    decoding: DecodingConfig, model: AudioCaptioningModel, method: str | None = None
):
    """A `GenerationConfig` for `decoding` (`method` overrides `decoding.method`).

    Beam: `num_beams` beams, no repeated `no_repeat_ngram_size`-grams, lengths in
    [`min_length`, `max_length`] tokens, length penalty, early stopping. Greedy: one beam, the
    same length and n-gram constraints.
    """
    method = method or decoding.method
    if method not in ("beam", "greedy"):
        raise ValueError(f"decoding method must be 'beam' or 'greedy', got {method!r}")
    special = model.special
    return GenerationConfig(
        num_beams=decoding.num_beams if method == "beam" else 1,
        do_sample=False,
        no_repeat_ngram_size=decoding.no_repeat_ngram_size,
        min_length=decoding.min_length,
        max_length=decoding.max_length,
        length_penalty=decoding.length_penalty,
        early_stopping=decoding.early_stopping if method == "beam" else False,
        decoder_start_token_id=special.decoder_start,
        bos_token_id=special.bos,
        eos_token_id=special.eos,
        pad_token_id=special.pad,
        forced_eos_token_id=special.eos,
    )


def decode_batch(
    model: AudioCaptioningModel,
    tokenizer: Any,
    batch: dict[str, Any],
    config: GenerationConfig,
    device: torch.device | str = "cpu",
) -> list[str]:
    """Captions of one collated batch (`features`, `mask`)."""
    features = batch["features"].to(device)
    mask = batch["mask"].to(device)
    ids = model.generate(features, config, mask=mask, extra_inputs=batch.get("extra_inputs"))
    return decode_captions(tokenizer, ids)


def decode_dataset(
    model: AudioCaptioningModel,
    tokenizer: Any,
    dataset: Dataset,
    collate_fn: Any,
    decoding: DecodingConfig,
    accelerator: Any | None = None,
    device: torch.device | str = "cpu",
    method: str | None = None,
    progress: bool = False,
    limit: int | None = None,
) -> dict[str, str]:
    """`{file_name: caption}` for the clips of `dataset` (the first `limit`), one decode each.

    With an `accelerator` of several processes, each decodes a strided share and every process
    returns the gathered, complete result.
    """
    from tqdm.auto import tqdm

    count = len(dataset) if limit is None else min(limit, len(dataset))
    rank, world = (
        (0, 1) if accelerator is None else (accelerator.process_index, accelerator.num_processes)
    )
    if accelerator is not None:
        device = accelerator.device
    shard = evaluation_shard(count, rank, world)
    loader = DataLoader(
        dataset, batch_sampler=batches(shard, decoding.batch_size), collate_fn=collate_fn
    )
    config = generation_config(decoding, model, method)
    was_training = model.training
    model.eval()
    pairs: list[tuple[str, str]] = []
    show = progress and (accelerator is None or accelerator.is_main_process)
    autocast = (
        accelerator.autocast() if accelerator is not None else torch.autocast("cpu", enabled=False)
    )
    with torch.no_grad(), autocast:
        for batch in tqdm(loader, desc="decoding", unit="batch", disable=not show, leave=False):
            captions = decode_batch(model, tokenizer, batch, config, device)
            pairs.extend(zip(batch["file_names"], captions, strict=True))
    model.train(was_training)
    gathered = gather_lists(pairs, accelerator)
    return dict(gathered)

"""Caption tokenizers: `facebook/bart-base` (the baseline's), or a BPE trained on the captions.

Both follow BART's conventions: byte-level BPE, `<s>`=0, `<pad>`=1, `</s>`=2, `<unk>`=3 (and
`<mask>` the last id), every caption encoded as `<s> … </s>` and padded with `<pad>` to
`max_length` (64 in the baseline). bart-base's tokenizer is built by `transformers`' Bart
tokenizer from its two files, `vocab.json` and `merges.txt`, which `aacr setup
bart_base_tokenizer` downloads into the asset cache (`$AACR_CACHE/bart_base_tokenizer/`); it is
never fetched through the Hugging Face hub. The BPE (offline) is trained with `tokenizers` on the
normalised training captions. Whichever is used, the tokenizer is saved in the run directory,
so a trained run decodes without any download.

The choice is explicit: `kind="bart-base"` fails with `PretrainedUnavailable` when the files are
missing, naming `aacr setup bart_base_tokenizer`; it never falls back to the BPE silently.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from aacr_lib import assets
from aacr_lib.errors import DataError, PretrainedUnavailable
from aacr_lib.models.captioning.config import SpecialTokens

SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")
BART_BASE = "facebook/bart-base"
TOKENIZER_DIR = "tokenizer"
BART_BASE_ASSET = "bart_base_tokenizer"
# bart-base's `max_position_embeddings`: the longest input its tokenizer is meant for.
BART_BASE_MAX_LENGTH = 1024


@dataclass
class TokenizerConfig:
    """Which tokenizer captions go through, and the padded caption length."""

    kind: Literal["bart-base", "bpe"] = "bart-base"
    # BPE only: target vocabulary size (special tokens and the 256 bytes included) and the
    # minimum count of a merge.
    vocab_size: int = 5000
    min_frequency: int = 2
    # Captions are padded (and truncated) to this many tokens, `<s>` and `</s>` included.
    max_length: int = 64


def train_bpe(captions: Iterable[str], vocab_size: int = 5000, min_frequency: int = 2):
    """A byte-level BPE `PreTrainedTokenizerFast` trained on `captions`, BART's special tokens."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(list(captions), trainer=trainer)
    bos, eos = SPECIAL_TOKENS[0], SPECIAL_TOKENS[2]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        special_tokens=[(bos, tokenizer.token_to_id(bos)), (eos, tokenizer.token_to_id(eos))],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token="<s>",
        pad_token="<pad>",
        eos_token="</s>",
        unk_token="<unk>",
        mask_token="<mask>",
    )


def load_bart_base_tokenizer(root: str | os.PathLike | None = None):
    """The `facebook/bart-base` tokenizer from its files in the asset cache (never the hub).

    `PretrainedUnavailable` names `aacr setup bart_base_tokenizer` when they are missing;
    `DataError` names files whose special tokens are not BART's (`<s>`=0 … `<unk>`=3).
    """
    from transformers import BartTokenizerFast

    try:
        directory = assets.require(BART_BASE_ASSET, root)
    except PretrainedUnavailable as exc:
        raise PretrainedUnavailable(
            exc.asset,
            exc.looked_at,
            f"online: {exc.fix}; or train a BPE on the training captions with the override "
            "tokenizer.kind=bpe (not the paper's tokenizer: say so when comparing)",
        ) from None
    # A local folder with vocab.json and merges.txt: `from_pretrained` reads those files (the
    # one way that works across transformers 4 and 5) and, with local_files_only, no network.
    tokenizer = BartTokenizerFast.from_pretrained(
        str(directory), local_files_only=True, model_max_length=BART_BASE_MAX_LENGTH
    )
    ids = [tokenizer.convert_tokens_to_ids(token) for token in SPECIAL_TOKENS[:4]]
    if ids != [0, 1, 2, 3]:
        raise DataError(
            f"{directory / 'vocab.json'}: ids of {', '.join(SPECIAL_TOKENS[:4])} are {ids}, not "
            f"bart-base's [0, 1, 2, 3]; delete {directory} and rerun `aacr setup {BART_BASE_ASSET}`"
        )
    return tokenizer


def build_tokenizer(config: TokenizerConfig, training_captions: Iterable[str] | None = None):
    """A new tokenizer as configured (BPE needs the normalised training captions)."""
    if config.kind == "bart-base":
        return load_bart_base_tokenizer()
    if training_captions is None:
        raise ValueError("a BPE tokenizer is trained on the training captions; none were given")
    return train_bpe(training_captions, config.vocab_size, config.min_frequency)


def save_tokenizer(tokenizer, directory: str | os.PathLike) -> Path:
    directory = Path(directory)
    tokenizer.save_pretrained(str(directory))
    return directory


def load_tokenizer(directory: str | os.PathLike):
    """The tokenizer saved in a run directory's `tokenizer/` folder."""
    from transformers import PreTrainedTokenizerFast

    directory = Path(directory)
    if not (directory / "tokenizer.json").is_file():
        raise PretrainedUnavailable(
            "the run's tokenizer",
            str(directory),
            "train the run again (`aacr train captioning ...`): it saves its tokenizer there",
        )
    return PreTrainedTokenizerFast.from_pretrained(str(directory))


def special_tokens_of(tokenizer):
    """The model's `SpecialTokens` from a tokenizer (the decoder starts from `</s>`, as BART)."""
    return SpecialTokens(
        bos=tokenizer.bos_token_id,
        pad=tokenizer.pad_token_id,
        eos=tokenizer.eos_token_id,
        decoder_start=tokenizer.eos_token_id,
    )


def encode_captions(tokenizer, captions: list[str], max_length: int):
    """`(input_ids, attention_mask)` `[B, max_length]`: `<s> … </s>` then `<pad>` (baseline)."""
    encoded = tokenizer(
        captions,
        max_length=max_length,
        padding="max_length",
        truncation=True,
        return_tensors="pt",
    )
    return encoded["input_ids"], encoded["attention_mask"]


def decode_captions(tokenizer, token_ids) -> list[str]:
    """Generated ids → caption strings (special tokens dropped, spacing tidied)."""
    texts = tokenizer.batch_decode(token_ids, skip_special_tokens=True)
    return [" ".join(text.split()) for text in texts]

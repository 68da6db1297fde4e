"""Pretrained weights for the captioning model: bart-base, and the organisers' trained baseline.

Nothing is downloaded silently. bart-base's weights (`model.pretrained`, used by no experiment of
the book) are looked up in the Hugging Face cache first; the network is tried only when the hub
answers within a few seconds (a bare `from_pretrained` offline retries for about a minute);
otherwise `PretrainedUnavailable` names the fix. The bart-base *tokenizer* is not loaded here but
from its files in the asset cache (`aacr_lib.captioning.tokenizer`, `aacr setup
bart_base_tokenizer`), never through the hub.

The organisers' trained checkpoint (Zenodo 10.5281/zenodo.6352699, report Table 1) is a
`torch.save` of the baseline's `BARTAAC.state_dict()`: keys `audio_adapt.*` (the adapter) and
`bart_lm.*` (a `BartForConditionalGeneration`). `load_organisers_checkpoint` maps them onto our
`AudioCaptioningModel` (`adapter.*`, `bart.*`) at the baseline's paper size.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import torch
from transformers import BartForConditionalGeneration

from aacr_lib import assets
from aacr_lib.download import DownloadError
from aacr_lib.errors import PretrainedUnavailable
from aacr_lib.models.captioning.config import BART_BASE_VOCAB_SIZE, CaptioningModelConfig
from aacr_lib.models.captioning.network import AudioCaptioningModel

BART_BASE = "facebook/bart-base"
HUB_HOST = "huggingface.co"

ORGANISERS_ASSET = "dcase2022_baseline_checkpoint"
ORGANISERS_FILE = "dcase_baseline_pre_trained.bin"
ORGANISERS_URL = assets.DCASE2022_CHECKPOINT_URL


def hub_reachable(host: str = HUB_HOST, timeout: float = 3.0) -> bool:
    """True when the Hugging Face hub accepts a TCP connection (and offline mode is not set)."""
    if os.environ.get("HF_HUB_OFFLINE", "0") not in ("0", "", "false", "False"):
        return False
    try:
        with socket.create_connection((host, 443), timeout=timeout):
            return True
    except OSError:
        return False


def from_hub(loader, repo_id: str, what: str, fix: str, **kwargs):
    """`loader(repo_id, ...)` from the local cache, else from the hub when it is reachable.

    Raises `PretrainedUnavailable` naming `what`, where it was looked for and `fix`.
    """
    try:
        return loader(repo_id, local_files_only=True, **kwargs)
    except OSError:
        pass
    if not hub_reachable():
        raise PretrainedUnavailable(
            what, "the Hugging Face cache (offline: huggingface.co unreachable)", fix
        )
    try:
        return loader(repo_id, **kwargs)
    except OSError as exc:
        raise PretrainedUnavailable(what, f"huggingface.co/{repo_id}", fix, str(exc)) from exc


def load_pretrained_bart(model: AudioCaptioningModel, name: str = BART_BASE) -> None:
    """Copy pretrained BART weights (e.g. bart-base) into `model.bart` (sizes must match)."""
    fix = (
        f'online: python -c "from transformers import BartForConditionalGeneration as B; '
        f"B.from_pretrained('{name}')\"; or set model.pretrained=null (random initialisation, "
        "as the baseline)"
    )
    pretrained = from_hub(
        BartForConditionalGeneration.from_pretrained, name, f"{name} weights", fix
    )
    state = pretrained.state_dict()
    if model.crnn is not None:
        state = {k: v for k, v in state.items() if not k.startswith("model.encoder.")}
    own = model.bart.state_dict()
    mismatched = [k for k, v in state.items() if k in own and own[k].shape != v.shape]
    if mismatched:
        raise PretrainedUnavailable(
            f"{name} weights",
            name,
            "use bart-base sizes (the paper profile) with the bart-base tokenizer",
            f"shapes differ from this model, e.g. {mismatched[0]}: "
            f"{tuple(state[mismatched[0]].shape)} vs {tuple(own[mismatched[0]].shape)}",
        )
    model.bart.load_state_dict(state, strict=False)


def organisers_checkpoint_path(root: str | os.PathLike | None = None) -> Path:
    """Where the organisers' checkpoint is kept: `{cache}/dcase2022_baseline_checkpoint/...`."""
    return assets.get(ORGANISERS_ASSET).directory(root) / ORGANISERS_FILE


def fetch_organisers_checkpoint(
    root: str | os.PathLike | None = None, progress: bool = True
) -> Path:
    """Download the organisers' checkpoint from Zenodo (needs the network; `aacr setup`)."""
    try:
        assets.fetch(ORGANISERS_ASSET, root, progress=progress)
    except DownloadError as exc:
        path = organisers_checkpoint_path(root)
        raise PretrainedUnavailable(
            "DCASE 2022 baseline trained checkpoint",
            str(path),
            f"download {ORGANISERS_URL} to {path} (Zenodo 10.5281/zenodo.6352699)",
            str(exc),
        ) from exc
    return organisers_checkpoint_path(root)


def map_organisers_state_dict(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Rename the baseline's `BARTAAC` keys to ours: `audio_adapt.` → `adapter.`, `bart_lm.` → `bart.`."""
    mapped = {}
    for key, value in state.items():
        if key.startswith("audio_adapt."):
            mapped["adapter." + key.removeprefix("audio_adapt.")] = value
        elif key.startswith("bart_lm."):
            mapped["bart." + key.removeprefix("bart_lm.")] = value
        else:
            mapped[key] = value
    return mapped


def load_organisers_checkpoint(
    path: str | os.PathLike | None = None,
    root: str | os.PathLike | None = None,
    model_config: CaptioningModelConfig | None = None,
    vocab_size: int = BART_BASE_VOCAB_SIZE,
) -> AudioCaptioningModel:
    """The organisers' trained baseline as an `AudioCaptioningModel`.

    Their checkpoint is the paper-size baseline with the bart-base vocabulary (the defaults);
    `model_config` and `vocab_size` load a checkpoint of the same layout at another size (the
    test suite's rehearsal fabricates a small one). `path` defaults to
    `organisers_checkpoint_path(root)`; when the file is missing this raises
    `PretrainedUnavailable` with the download command (`fetch_organisers_checkpoint`).
    """
    path = Path(path) if path is not None else organisers_checkpoint_path(root)
    if not path.is_file():
        raise PretrainedUnavailable(
            "DCASE 2022 baseline trained checkpoint",
            str(path),
            f"online: aacr setup {ORGANISERS_ASSET} (or download {ORGANISERS_URL} to {path})",
        )
    state = torch.load(path, map_location="cpu", weights_only=True)
    model = AudioCaptioningModel(model_config or CaptioningModelConfig(), vocab_size)
    mapped = map_organisers_state_dict(state)
    try:
        missing, unexpected = model.load_state_dict(mapped, strict=False)
    except RuntimeError as exc:  # same keys, other shapes: a checkpoint of another size
        raise PretrainedUnavailable(
            "DCASE 2022 baseline trained checkpoint",
            str(path),
            f"re-download {ORGANISERS_URL}",
            f"its tensors do not fit the baseline model: {str(exc).splitlines()[-1].strip()}",
        ) from None
    # final_logits_bias is a buffer the old checkpoint may lack; encoder.embed_tokens is tied.
    missing = [k for k in missing if not k.endswith(("final_logits_bias", "embed_tokens.weight"))]
    if missing or unexpected:
        raise PretrainedUnavailable(
            "DCASE 2022 baseline trained checkpoint",
            str(path),
            f"re-download {ORGANISERS_URL}",
            f"unexpected layout: missing {missing[:3]}, unexpected {unexpected[:3]}",
        )
    return model

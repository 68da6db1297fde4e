"""Epoch checkpoints that survive a kill at any moment.

Layout under a checkpoint directory:

    epoch-0003/model.safetensors      model weights (shared/tied tensors stored once)
    epoch-0003/training_state.pt      optimiser, scheduler, loss scaler, counters, history
    epoch-0003/rng-0.pt, rng-1.pt…    RNG states (python, numpy, torch, CUDA) per process
    best/model.safetensors, best/info.json   weights with the lowest validation loss
    latest.json                       {"epoch": 3, "directory": "epoch-0003"}

A checkpoint is written to `epoch-0003.tmp/`, renamed to `epoch-0003/`, and only then does
`latest.json` (written by rename too) point at it, so `latest.json` always names a complete
checkpoint. A process killed half-way leaves at worst a `.tmp` folder, removed on the next save.
"""

from __future__ import annotations

import json
import os
import random
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

LATEST_FILE = "latest.json"
BEST_DIR = "best"
MODEL_FILE = "model.safetensors"
STATE_FILE = "training_state.pt"


def epoch_dir_name(epoch: int) -> str:
    return f"epoch-{epoch:04d}"


def write_json_atomic(path: Path, payload: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(payload, indent=2) + "\n")
    os.replace(tmp, path)


def weights_to_save(model: nn.Module) -> dict[str, torch.Tensor]:
    """The model's state as independent CPU tensors, each tied tensor kept once.

    Tied weights (BART's token embeddings and LM head) are the same view of the same memory:
    the first name is kept. Tensors that merely share a buffer (cuDNN flattens a GRU's weights
    into one) are copied apart, which safetensors requires.
    """
    kept: dict[str, torch.Tensor] = {}
    seen: set[tuple] = set()
    for name, tensor in model.state_dict().items():
        key = (tensor.data_ptr(), tuple(tensor.shape), tuple(tensor.stride()), tensor.dtype)
        if tensor.numel() and key in seen:
            continue
        seen.add(key)
        kept[name] = tensor.detach().to("cpu").contiguous().clone()
    return kept


def save_weights(model: nn.Module, path: Path) -> None:
    """Model weights as safetensors (tied tensors stored once, see `weights_to_save`)."""
    from safetensors.torch import save_file

    save_file(weights_to_save(model), str(path))


def load_weights(model: nn.Module, path: Path, device: str | torch.device = "cpu") -> None:
    """Load weights saved by `save_weights` into `model` (strict, tied names aside).

    The tensors are read on the CPU and copied into the model's parameters wherever they live
    (`device` is kept for callers' clarity).
    """
    from safetensors.torch import load_file

    state = load_file(str(path), device="cpu")
    missing, unexpected = model.load_state_dict(state, strict=False)
    own = model.state_dict()
    loaded_memory = {own[name].data_ptr() for name in state if name in own}
    # a name left out because it is tied to a saved one is not missing
    missing = [name for name in missing if own[name].data_ptr() not in loaded_memory]
    if unexpected or missing:
        raise RuntimeError(
            f"{path} does not fit this model: missing {sorted(missing)[:3]}, "
            f"unexpected {sorted(unexpected)[:3]}; was it trained with another config?"
        )


def rng_state() -> dict[str, Any]:
    state = {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def latest_checkpoint(directory: Path) -> Path | None:
    """The folder `latest.json` points at, or None when there is no complete checkpoint."""
    pointer = directory / LATEST_FILE
    if not pointer.is_file():
        return None
    try:
        name = json.loads(pointer.read_text())["directory"]
    except (OSError, ValueError, KeyError):
        return None
    path = directory / name
    return path if (path / STATE_FILE).is_file() else None


def prepare_tmp(directory: Path, epoch: int) -> Path:
    """A fresh `epoch-NNNN.tmp/` folder (any leftover of a killed save is removed first)."""
    tmp = directory / (epoch_dir_name(epoch) + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    return tmp


def commit(directory: Path, epoch: int, keep: int) -> Path:
    """Rename `epoch-NNNN.tmp/` into place, point `latest.json` at it, prune older epochs."""
    final = directory / epoch_dir_name(epoch)
    tmp = directory / (epoch_dir_name(epoch) + ".tmp")
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)
    write_json_atomic(directory / LATEST_FILE, {"epoch": epoch, "directory": final.name})
    epochs = sorted(p for p in directory.glob("epoch-*") if p.is_dir() and p.suffix != ".tmp")
    for old in epochs[: max(0, len(epochs) - max(keep, 1))]:
        if old != final:
            shutil.rmtree(old, ignore_errors=True)
    for stale in directory.glob("epoch-*.tmp"):
        shutil.rmtree(stale, ignore_errors=True)
    return final


def save_best(model: nn.Module, directory: Path, info: dict[str, Any]) -> Path:
    """Replace `best/` with the current weights (written aside, then renamed)."""
    tmp = directory / (BEST_DIR + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    save_weights(model, tmp / MODEL_FILE)
    write_json_atomic(tmp / "info.json", info)
    final = directory / BEST_DIR
    old = directory / (BEST_DIR + ".old")
    if final.exists():
        os.replace(final, old)
    os.replace(tmp, final)
    shutil.rmtree(old, ignore_errors=True)
    return final


def best_weights(directory: Path) -> Path | None:
    """`best/model.safetensors`, falling back to a `best.old/` left by a kill mid-swap."""
    for name in (BEST_DIR, BEST_DIR + ".old"):
        path = directory / name / MODEL_FILE
        if path.is_file():
            return path
    return None

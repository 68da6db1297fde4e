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

A run directory may come from someone else, so loading a checkpoint runs no code: the `.pt`
files hold only what `torch.load(..., weights_only=True)` reads (tensors, numbers, strings,
lists, tuples, dicts, None; `plain` converts numpy values, and `rng_state` stores numpy's and
Python's generator states as lists of ints), and every load is `weights_only=True`. A file that
does not load that way (damaged, written by an older version, or crafted) is a `DataError` that
names it and the fix.
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

from aacr_lib.errors import DataError

LATEST_FILE = "latest.json"
BEST_DIR = "best"
MODEL_FILE = "model.safetensors"
STATE_FILE = "training_state.pt"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _restart_hint(path: Path) -> str:
    # `path` lies in `checkpoints/epoch-NNNN/` or `checkpoints/best/`
    return (
        f"it is damaged, was written by an older version of aacr, or not by aacr at all; "
        f"delete {path.parent.parent} (the run's checkpoints) to train again from the start, "
        "or delete the whole run directory"
    )


def plain(value: Any) -> Any:
    """`value` with numpy scalars and arrays, tuples' and dicts' contents, and subclasses of
    the built-in types turned into what `torch.load(..., weights_only=True)` reads; tensors
    are kept; anything else is stored as a float when it is one, else as its text (as
    `history.json` writes it)."""
    if value is None or type(value) in (bool, int, float, str, bytes):
        return value
    if isinstance(value, torch.Tensor | torch.dtype | torch.device):
        return value
    if isinstance(value, dict):
        return {plain(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, tuple):
        return tuple(plain(v) for v in value)
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, np.generic):
        return plain(value.item())
    for kind in (bool, int, float, str):
        if isinstance(value, kind):
            return kind(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def save_state(state: Any, path: Path) -> None:
    """`torch.save` of `plain(state)`: a file that `load_state` reads back."""
    torch.save(plain(state), path)


def load_state(path: Path) -> Any:
    """A file written by `save_state`, read with `weights_only=True` (no code runs);
    `DataError` naming the file and the fix when it does not load that way."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # UnpicklingError, RuntimeError (zip), EOFError, OSError…
        raise DataError(
            f"{path} does not load as a training checkpoint ({_first_line(exc)}); "
            f"{_restart_hint(path)}"
        ) from None


def training_state(path: Path) -> dict[str, Any]:
    """`training_state.pt` (see `load_state`), its counters checked."""
    state = load_state(path)
    needed = (
        "epoch",
        "optimizer",
        "scheduler",
        "history",
        "best_val_loss",
        "best_epoch",
        "patience_used",
        "stopped_early",
    )
    missing = [key for key in needed if key not in state] if isinstance(state, dict) else needed
    if not missing and not (type(state["epoch"]) is int and isinstance(state["history"], list)):
        missing = ["epoch", "history"]
    if missing:
        raise DataError(
            f"{path} is not a training state (missing or malformed: {', '.join(missing)}); "
            f"{_restart_hint(path)}"
        )
    return state


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

    try:
        state = load_file(str(path), device="cpu")
    except Exception as exc:  # SafetensorError (cut short, bad header), OSError
        raise DataError(
            f"{path} is not a readable safetensors file ({_first_line(exc)}); "
            f"{_restart_hint(Path(path))}"
        ) from None
    try:
        missing, unexpected = model.load_state_dict(state, strict=False)
    except RuntimeError as exc:  # a tensor of another shape
        raise DataError(
            f"{path} does not fit this model ({_first_line(exc)}); was it trained with "
            "another config?"
        ) from None
    own = model.state_dict()
    loaded_memory = {own[name].data_ptr() for name in state if name in own}
    # a name left out because it is tied to a saved one is not missing
    missing = [name for name in missing if own[name].data_ptr() not in loaded_memory]
    if unexpected or missing:
        raise DataError(
            f"{path} does not fit this model: missing {sorted(missing)[:3]}, "
            f"unexpected {sorted(unexpected)[:3]}; was it trained with another config?"
        )


def rng_state() -> dict[str, Any]:
    """This process's RNG states as tensors, lists, ints and floats (`weights_only` loads
    them): Python's and numpy's Mersenne Twisters as their words, torch's as byte tensors."""
    version, internal, gauss_next = random.getstate()
    name, key, pos, has_gauss, cached_gaussian = np.random.get_state(legacy=True)
    state = {
        "python": {"version": version, "internal": list(internal), "gauss_next": gauss_next},
        "numpy": {
            "bit_generator": str(name),
            "key": [int(word) for word in key],
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached_gaussian),
        },
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what `rng_state` returned (`ValueError`/`TypeError`/`KeyError` when malformed)."""
    python = state["python"]
    random.setstate((python["version"], tuple(python["internal"]), python["gauss_next"]))
    numpy = state["numpy"]
    np.random.set_state(
        (
            numpy["bit_generator"],
            np.asarray(numpy["key"], dtype=np.uint32),
            numpy["pos"],
            numpy["has_gauss"],
            numpy["cached_gaussian"],
        )
    )
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def load_rng_state(path: Path) -> None:
    """Restore the RNG states of `rng-N.pt` (read with `weights_only=True`); `DataError`
    naming the file and the fix when it does not load or is not such a state."""
    state = load_state(path)
    try:
        if not isinstance(state, dict):
            raise TypeError(f"a {type(state).__name__}, not a dict")
        set_rng_state(state)
    except (KeyError, TypeError, ValueError, RuntimeError, OverflowError) as exc:
        raise DataError(
            f"{path} is not an RNG state ({_first_line(exc)}); {_restart_hint(path)}"
        ) from None


def latest_checkpoint(directory: Path) -> Path | None:
    """The folder `latest.json` points at, or None when there is no complete checkpoint."""
    pointer = directory / LATEST_FILE
    if not pointer.is_file():
        return None
    try:
        name = json.loads(pointer.read_text())["directory"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    # only a folder beside latest.json (never an absolute path or one above it)
    if not isinstance(name, str) or name != Path(name).name or name.startswith("."):
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

"""VGGish embeddings as the DCASE 2022 captioning baseline computes them, with torchvggish.

The baseline's preprocessing (felixgontier/dcase-2022-preprocessing) runs torchvggish's
`VGGish` with `postprocess = False` (no PCA, no 8-bit quantisation) and with the last ReLU of
the embedding head removed (`embeddings[5] = Sequential()`), on each Clotho WAV file. This
module does the same with the `torchvggish==0.2` package itself:

* preprocessing: `vggish_input.waveform_to_examples`'s steps (mono; resampy "kaiser_best"
  to 16 kHz, done by `registry.resample_for` with the config's `resampler`; then
  `mel_features.log_mel_spectrogram` and `mel_features.frame`, in float64 NumPy) with the
  values of `vggish_params` as the defaults of `VGGishFrontEndConfig`: 25 ms / 10 ms frames,
  periodic Hann, |rfft(512)|, 64 HTK mel bands 125–7500 Hz, log(mel + 0.01), non-overlapping
  96-frame patches (the incomplete last patch dropped) → `[P, 96, 64]`;
* the network: `torchvggish.VGG(make_layers(), postprocess=False)`, its `embeddings[5]` (the
  final ReLU) replaced by the identity → `[P, 128]`.

The weights are torchvggish's release file `vggish-10086976.pth` from the asset cache
(`aacr setup vggish`); nothing is downloaded at import or construction (torchvggish's own
`vggish()` would download them, so it is never called).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torchvggish import mel_features, vggish_params
from torchvggish.torchvggish import VGG, make_layers

from aacr_lib import assets
from aacr_lib.errors import DataError, PretrainedUnavailable
from aacr_lib.features.config import FeatureConfig

WEIGHTS_FILE = "vggish-10086976.pth"

RESAMPLERS = ("soxr-hq", "resampy")

# Index of the final ReLU in torchvggish's `VGG.embeddings` (Linear, ReLU, Linear, ReLU,
# Linear, ReLU): the one the DCASE baseline removes.
_FINAL_RELU = 5


@dataclasses.dataclass(frozen=True)
class VGGishFrontEndConfig(FeatureConfig):
    """Settings of the VGGish log-mel patches (`vggish_params.py`); shared by its stand-ins."""

    sample_rate: int = vggish_params.SAMPLE_RATE
    window_seconds: float = vggish_params.STFT_WINDOW_LENGTH_SECONDS
    hop_seconds: float = vggish_params.STFT_HOP_LENGTH_SECONDS
    n_mels: int = vggish_params.NUM_MEL_BINS
    f_min: float = float(vggish_params.MEL_MIN_HZ)
    f_max: float = float(vggish_params.MEL_MAX_HZ)
    log_offset: float = vggish_params.LOG_OFFSET
    patch_frames: int = vggish_params.NUM_FRAMES  # 0.96 s
    patch_hop_frames: int = vggish_params.NUM_FRAMES  # no overlap
    # How audio at another rate reaches 16 kHz (`registry.resample_for`): "resampy" is
    # torchvggish's own (`resampy.resample`, kaiser_best), as in the DCASE baseline;
    # "soxr-hq" is `aacr_lib.audio.resample`. They differ only in the anti-aliasing roll-off,
    # visible in the top two mel bands (7.1–7.5 kHz).
    resampler: str = "resampy"

    def __post_init__(self) -> None:
        if self.resampler not in RESAMPLERS:
            raise ValueError(f"resampler must be one of {RESAMPLERS}, not {self.resampler!r}")

    @property
    def win_length(self) -> int:
        return int(round(self.sample_rate * self.window_seconds))

    @property
    def hop_length(self) -> int:
        return int(round(self.sample_rate * self.hop_seconds))

    @property
    def n_fft(self) -> int:
        # Next power of two of the window, as `mel_features.log_mel_spectrogram` does.
        return 2 ** int(np.ceil(np.log(self.win_length) / np.log(2.0)))

    @property
    def frame_rate(self) -> float:
        return self.sample_rate / (self.hop_length * self.patch_hop_frames)


@dataclasses.dataclass(frozen=True)
class VGGishConfig(VGGishFrontEndConfig):
    """VGGish embeddings as in the DCASE 2022 captioning baseline (128-d per 0.96 s)."""

    kind = "vggish"

    weights: str = WEIGHTS_FILE  # identifies the weights in the hash
    final_relu: bool = False  # the baseline removes it
    postprocess: bool = False  # PCA + quantisation: not used by the baseline

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.postprocess:
            # torchvggish's Postprocessor downloads its PCA parameters when constructed.
            raise ValueError(
                "VGGish PCA postprocessing is not supported (the DCASE baseline does not use it)"
            )

    @property
    def dim(self) -> int:
        return vggish_params.EMBEDDING_SIZE


def vggish_patches(
    waveform: np.ndarray | torch.Tensor, config: VGGishFrontEndConfig = VGGishFrontEndConfig()
) -> torch.Tensor:
    """VGGish input patches of one mono clip at `config.sample_rate`: `[P, 96, 64]` float32.

    torchvggish's `waveform_to_examples` after its resampling step, with the config's
    settings (the defaults are `vggish_params`, so the default config gives exactly
    `waveform_to_examples(waveform, 16000, return_tensor=False)`, cast to float32). A clip
    shorter than one window has no frame and gets `[0, 96, 64]`.
    """
    c = config
    y = torch.as_tensor(waveform).detach().cpu().numpy().astype(np.float64)
    if y.ndim != 1:
        raise ValueError(f"expected one mono clip [samples], got shape {y.shape}")
    if len(y) < c.win_length:  # `mel_features.frame` would ask for a negative frame count
        return torch.zeros(0, c.patch_frames, c.n_mels)
    log_mel = mel_features.log_mel_spectrogram(
        y,
        audio_sample_rate=c.sample_rate,
        log_offset=c.log_offset,
        window_length_secs=c.window_seconds,
        hop_length_secs=c.hop_seconds,
        num_mel_bins=c.n_mels,
        lower_edge_hertz=c.f_min,
        upper_edge_hertz=c.f_max,
    )
    patches = mel_features.frame(
        log_mel, window_length=c.patch_frames, hop_length=c.patch_hop_frames
    )
    return torch.from_numpy(patches.astype(np.float32))


def vggish_patches_batch(
    waveforms: Sequence[np.ndarray], config: VGGishFrontEndConfig = VGGishFrontEndConfig()
) -> list[torch.Tensor]:
    """Patches of clips of different lengths: one `[P_i, 96, 64]` float32 tensor each."""
    return [vggish_patches(w, config) for w in waveforms]


def vggish_network(state: dict[str, torch.Tensor], final_relu: bool = False) -> VGG:
    """torchvggish's `VGG(make_layers(), postprocess=False)` holding `state`, in eval mode.

    `state` must have exactly torchvggish's keys and shapes (`load_state_dict(strict=True)`).
    `final_relu=False` (the DCASE baseline) replaces `embeddings[5]` by the identity. Built
    on the meta device: random initialisation of 72 M parameters would take longer than
    reading the weights, and every value is replaced anyway.
    """
    with torch.device("meta"):
        model = VGG(make_layers(), postprocess=False)
    model.load_state_dict(state, strict=True, assign=True)
    if not final_relu:
        model.embeddings[_FINAL_RELU] = nn.Identity()
    return model.eval()


def _unavailable(looked_at: Path | str) -> PretrainedUnavailable:
    return PretrainedUnavailable(
        f"VGGish weights ({WEIGHTS_FILE})",
        str(looked_at),
        f"aacr setup vggish (downloads {assets.VGGISH_URL}; offline, copy that file there)",
    )


def weights_path(root: str | os.PathLike | None = None) -> Path:
    """Path of the VGGish weights; `PretrainedUnavailable` naming the URL when absent."""
    try:
        return assets.require("vggish", root) / WEIGHTS_FILE
    except PretrainedUnavailable:
        raise _unavailable(assets.get("vggish").directory(root)) from None


def _check_keys(path: Path, state: dict[str, torch.Tensor]) -> None:
    # `load_state_dict` would also refuse a foreign file; this says which keys and the fix.
    with torch.device("meta"):
        expected = VGG(make_layers(), postprocess=False).state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    wrong = sorted(
        k for k in set(expected) & set(state) if tuple(state[k].shape) != tuple(expected[k].shape)
    )
    if missing or unexpected or wrong:
        details = "; ".join(
            f"{label}: {', '.join(keys[:4])}{' …' if len(keys) > 4 else ''}"
            for label, keys in (("missing", missing), ("unexpected", unexpected), ("shape", wrong))
            if keys
        )
        raise DataError(
            f"{path}: not torchvggish VGGish weights ({details}); delete it and run "
            "`aacr setup vggish`"
        )


def load_vggish(
    path: str | os.PathLike | None = None,
    final_relu: bool = False,
    device: str | torch.device = "cpu",
) -> VGG:
    """torchvggish's VGGish (see `vggish_network`) with the release weights, in eval mode.

    `path` defaults to the asset cache (`$AACR_CACHE/vggish/vggish-10086976.pth`, `aacr setup
    vggish` gets it). A missing file raises `PretrainedUnavailable` naming the URL and
    command; a file with other keys or shapes raises `DataError` naming it.
    """
    if path is None:
        path = weights_path()
    path = Path(path)
    if not path.is_file():
        raise _unavailable(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # pickle/zip errors of a truncated or foreign file
        raise DataError(
            f"{path}: cannot read VGGish weights ({exc}); delete it and run `aacr setup vggish`"
        ) from exc
    if not isinstance(state, dict):
        raise DataError(f"{path}: expected a state dict, found {type(state).__name__}")
    _check_keys(path, state)
    model = vggish_network({k: v.float() for k, v in state.items()}, final_relu=final_relu)
    return model.to(device)


_MODELS: dict[tuple[str, bool, str], VGG] = {}


def _cached_model(config: VGGishConfig, device: str | torch.device) -> VGG:
    path = weights_path().parent / config.weights
    key = (str(path.resolve()), config.final_relu, str(device))
    if key not in _MODELS:
        _MODELS[key] = load_vggish(path, final_relu=config.final_relu, device=device)
    return _MODELS[key]


def vggish_embeddings_batch(
    waveforms: Sequence[np.ndarray],
    config: VGGishConfig = VGGishConfig(),
    model: VGG | None = None,
    device: str | torch.device = "cpu",
    patch_batch: int = 128,
) -> list[np.ndarray]:
    """VGGish embeddings `[P_i, 128]` (float32) of mono clips at `config.sample_rate`.

    Patches of all clips go through the network together, `patch_batch` at a time. A clip
    shorter than 0.96 s has no patch and gets a `[0, 128]` array, as in torchvggish.
    """
    if model is None:
        model = _cached_model(config, device)
    device = next(model.parameters()).device
    patches = vggish_patches_batch(waveforms, config)
    counts = [p.shape[0] for p in patches]
    if sum(counts) == 0:
        return [np.zeros((0, config.dim), dtype=np.float32) for _ in waveforms]
    stacked = torch.cat(patches).unsqueeze(1)  # [N, 1, 96, 64], torchvggish's input layout
    outputs = []
    with torch.no_grad():
        for start in range(0, stacked.shape[0], patch_batch):
            chunk = stacked[start : start + patch_batch].to(device)
            outputs.append(model(chunk).float().cpu())
    embeddings = torch.cat(outputs).numpy()
    splits = np.cumsum(counts)[:-1]
    return [part.copy() for part in np.split(embeddings, splits)]


def vggish_embeddings(
    waveform: np.ndarray,
    config: VGGishConfig = VGGishConfig(),
    model: VGG | None = None,
    device: str | torch.device = "cpu",
) -> np.ndarray:
    """VGGish embeddings `[P, 128]` of one mono clip at `config.sample_rate`."""
    return vggish_embeddings_batch([waveform], config, model=model, device=device)[0]

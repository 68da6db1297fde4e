"""VGGish embeddings as the DCASE 2022 captioning baseline computes them.

The baseline's preprocessing (felixgontier/dcase-2022-preprocessing) runs torchvggish's
`VGGish` with `postprocess = False` (no PCA, no 8-bit quantisation) and with the last ReLU of
the embedding head removed (`embeddings[5] = Sequential()`), on each Clotho WAV file:

* audio to mono, resampled to 16 kHz;
* frames of 25 ms (400 samples) every 10 ms (160), no centring or padding, periodic Hann
  window, 512-point FFT, magnitude (not power);
* 64 triangular mel bands from 125 to 7500 Hz on the HTK mel scale (1127 ln(1 + f / 700)),
  triangles linear in mels, unnormalised, the DC bin excluded (TF `mel_features.py`);
* `log(mel + 0.01)`, framed into non-overlapping 96-frame patches (0.96 s, incomplete patch
  at the end dropped) → `[P, 96, 64]`;
* the VGG network: 4 conv blocks (64; 128; 256, 256; 512, 512 channels, 3×3, ReLU, 2×2
  max-pool), flattened in TensorFlow's channels-last order, then fully connected
  12288 → 4096 → 4096 → 128 with ReLU between (not after) → `[P, 128]`.

Resampling: by default, like torchvggish, with resampy "kaiser_best", so features match the
baseline's preprocessing end to end. `resampler="soxr-hq"` uses soxr as the rest of
`aacr_lib.audio` does; the two filters roll off differently just below 8 kHz, which changes the
top two of the 64 mel bands (by up to ~0.8 in log units on white-ish noise) and nothing else.
The front end runs in float32 torch where the reference uses float64 numpy (log-mel
differences ~1e-5).

The weights are torchvggish's `vggish-10086976.pth` (`aacr setup vggish`), loaded with their
own key names (`features.N.*`, `embeddings.N.*`).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from aacr_lib import assets
from aacr_lib.errors import DataError, PretrainedUnavailable
from aacr_lib.features.config import FeatureConfig

WEIGHTS_FILE = "vggish-10086976.pth"

# Layer layout of VGGish (and of torchvggish's `make_layers`): numbers are conv channels,
# "M" a 2×2 max-pool. The state dict's `features.N` indices follow from it.
_CONV_LAYOUT = (64, "M", 128, "M", 256, 256, "M", 512, 512, "M")
_EMBEDDING_SIZES = (512 * 4 * 6, 4096, 4096, 128)

# HTK mel scale constants (TF `mel_features.py`).
_MEL_BREAK_HZ = 700.0
_MEL_HIGH_Q = 1127.0

RESAMPLERS = ("soxr-hq", "resampy")


@dataclasses.dataclass(frozen=True)
class VGGishFrontEndConfig(FeatureConfig):
    """Settings of the VGGish log-mel patches (`vggish_params.py`); shared by its stand-ins."""

    sample_rate: int = 16000
    window_seconds: float = 0.025
    hop_seconds: float = 0.010
    n_mels: int = 64
    f_min: float = 125.0
    f_max: float = 7500.0
    log_offset: float = 0.01
    patch_frames: int = 96  # 0.96 s
    patch_hop_frames: int = 96  # no overlap
    # How audio at another rate reaches 16 kHz: "soxr-hq" (`aacr_lib.audio.resample`) or
    # "resampy" (torchvggish's own, kaiser_best; needs the resampy package). They differ only
    # in the anti-aliasing roll-off, visible in the top two mel bands (7.1–7.5 kHz).
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
    postprocess: bool = False  # PCA + quantisation: not used by the baseline, not implemented

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.postprocess:
            raise ValueError(
                "VGGish PCA postprocessing is not implemented (the DCASE baseline does not use it)"
            )

    @property
    def dim(self) -> int:
        return _EMBEDDING_SIZES[-1]


def hz_to_mel_htk(frequencies: np.ndarray | float) -> np.ndarray:
    """Hertz to mels on the HTK scale: 1127 ln(1 + f / 700)."""
    return _MEL_HIGH_Q * np.log1p(np.asarray(frequencies, dtype=np.float64) / _MEL_BREAK_HZ)


def htk_mel_matrix(
    n_mels: int, n_bins: int, sample_rate: int, f_min: float, f_max: float
) -> np.ndarray:
    """Mel weights `[n_bins, n_mels]` that post-multiply a magnitude spectrogram (float64).

    As TF `spectrogram_to_mel_matrix`: band edges equally spaced on the HTK mel scale,
    triangles linear in mels with peak 1 (no area normalisation), DC bin weight 0.
    """
    nyquist = sample_rate / 2.0
    if not 0.0 <= f_min < f_max <= nyquist:
        raise ValueError(f"need 0 <= f_min < f_max <= {nyquist}; got {f_min}, {f_max}")
    bins_mel = hz_to_mel_htk(np.linspace(0.0, nyquist, n_bins))
    edges = np.linspace(hz_to_mel_htk(f_min), hz_to_mel_htk(f_max), n_mels + 2)
    lower = (bins_mel[:, None] - edges[None, :-2]) / (edges[1:-1] - edges[:-2])[None, :]
    upper = (edges[None, 2:] - bins_mel[:, None]) / (edges[2:] - edges[1:-1])[None, :]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights[0, :] = 0.0
    return weights


class VGGishFrontEnd(nn.Module):
    """Batched VGGish log-mel: `forward([B, samples] at 16 kHz) -> [B, frames, 64]`."""

    def __init__(self, config: VGGishFrontEndConfig = VGGishFrontEndConfig()) -> None:
        super().__init__()
        self.config = config
        n_bins = config.n_fft // 2 + 1
        bank = htk_mel_matrix(config.n_mels, n_bins, config.sample_rate, config.f_min, config.f_max)
        self.register_buffer("mel_bank", torch.from_numpy(bank.astype(np.float32)))
        self.register_buffer("window", torch.hann_window(config.win_length, periodic=True))

    def num_frames(self, num_samples: int) -> int:
        """Complete STFT frames in `num_samples` samples (no padding, as the reference)."""
        c = self.config
        return max(0, 1 + (num_samples - c.win_length) // c.hop_length)

    def num_patches(self, num_samples: int) -> int:
        """Complete 0.96 s patches in `num_samples` samples."""
        c = self.config
        return max(0, 1 + (self.num_frames(num_samples) - c.patch_frames) // c.patch_hop_frames)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c = self.config
        x = x.to(torch.float32)
        if x.shape[-1] < c.win_length:
            return x.new_zeros(x.shape[0], 0, c.n_mels)
        frames = x.unfold(-1, c.win_length, c.hop_length) * self.window  # [B, F, win]
        magnitude = torch.fft.rfft(frames, n=c.n_fft).abs()
        return torch.log(magnitude @ self.mel_bank + c.log_offset)

    def patches(self, log_mel: torch.Tensor) -> torch.Tensor:
        """`[B, F, 64]` → `[B, P, 96, 64]` of complete patches."""
        c = self.config
        if log_mel.shape[1] < c.patch_frames:
            return log_mel.new_zeros(log_mel.shape[0], 0, c.patch_frames, log_mel.shape[2])
        return log_mel.unfold(1, c.patch_frames, c.patch_hop_frames).transpose(2, 3)


_FRONT_ENDS: dict[VGGishFrontEndConfig, VGGishFrontEnd] = {}


def _front_end(config: VGGishFrontEndConfig) -> VGGishFrontEnd:
    # Keyed by the front-end fields only, so VGGish and its stand-ins share one.
    base = VGGishFrontEndConfig(
        **{f.name: getattr(config, f.name) for f in dataclasses.fields(VGGishFrontEndConfig)}
    )
    if base not in _FRONT_ENDS:
        _FRONT_ENDS[base] = VGGishFrontEnd(base)
    return _FRONT_ENDS[base]


def vggish_patches(
    waveform: np.ndarray | torch.Tensor, config: VGGishFrontEndConfig = VGGishFrontEndConfig()
) -> torch.Tensor:
    """VGGish input patches of one mono 16 kHz clip: `[P, 96, 64]` float32.

    Equal (to float32 precision) to torchvggish's `vggish_input.waveform_to_examples` on
    audio already at 16 kHz, without its channel axis.
    """
    x = torch.as_tensor(waveform)
    if x.dim() != 1:
        raise ValueError(f"expected one mono clip [samples], got shape {tuple(x.shape)}")
    front = _front_end(config)
    with torch.no_grad():
        return front.patches(front(x.unsqueeze(0)))[0]


def vggish_patches_batch(
    waveforms: Sequence[np.ndarray], config: VGGishFrontEndConfig = VGGishFrontEndConfig()
) -> list[torch.Tensor]:
    """Patches of clips of different lengths in one batched pass: one `[P_i, 96, 64]` each.

    Frames never overlap a clip's end (no padding), so zero-padding the batch is exact.
    """
    if not waveforms:
        return []
    front = _front_end(config)
    lengths = [len(w) for w in waveforms]
    batch = torch.zeros(len(waveforms), max(lengths), dtype=torch.float32)
    for b, w in enumerate(waveforms):
        batch[b, : len(w)] = torch.as_tensor(w, dtype=torch.float32)
    with torch.no_grad():
        patches = front.patches(front(batch))
    return [patches[b, : front.num_patches(n)] for b, n in enumerate(lengths)]


class VGGish(nn.Module):
    """The VGGish network with torchvggish's parameter names; `[N, 96, 64] → [N, 128]`.

    `final_relu=False` (the DCASE baseline) leaves the last linear layer's output as it is.
    """

    def __init__(self, final_relu: bool = False) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = 1
        for item in _CONV_LAYOUT:
            if item == "M":
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            else:
                layers += [nn.Conv2d(channels, int(item), kernel_size=3, padding=1), nn.ReLU()]
                channels = int(item)
        self.features = nn.Sequential(*layers)
        head: list[nn.Module] = []
        for i, (n_in, n_out) in enumerate(
            zip(_EMBEDDING_SIZES[:-1], _EMBEDDING_SIZES[1:], strict=True)
        ):
            head.append(nn.Linear(n_in, n_out))
            if final_relu or i < len(_EMBEDDING_SIZES) - 2:
                head.append(nn.ReLU())
        self.embeddings = nn.Sequential(*head)

    def forward(self, patches: torch.Tensor) -> torch.Tensor:
        """Embeddings of `[N, 96, 64]` (or `[N, 1, 96, 64]`) log-mel patches."""
        if patches.dim() == 3:
            patches = patches.unsqueeze(1)
        x = self.features(patches)  # [N, 512, 6, 4]
        # The weights come from TensorFlow, which flattens channels last: [N, 6, 4, 512].
        x = x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)
        return self.embeddings(x)


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


def load_vggish(
    path: str | os.PathLike | None = None,
    final_relu: bool = False,
    device: str | torch.device = "cpu",
) -> VGGish:
    """VGGish in eval mode with torchvggish's weights (`aacr setup vggish` gets them).

    `path` defaults to the asset cache (`$AACR_CACHE/vggish/vggish-10086976.pth`). A missing
    file raises `PretrainedUnavailable` naming the URL and command; a file with other keys or
    shapes raises `DataError` naming it.
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
    # torchvggish checkpoints saved with the postprocessor carry its PCA parameters: unused.
    state = {k: v for k, v in state.items() if not k.startswith("pproc.")}
    # Built on the meta device: random initialisation of 72 M parameters would take longer
    # than reading the file, and every value is replaced anyway.
    with torch.device("meta"):
        model = VGGish(final_relu=final_relu)
    expected = model.state_dict()
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
    model.load_state_dict({k: v.float() for k, v in state.items()}, assign=True)
    return model.eval().to(device)


_MODELS: dict[tuple[str, bool, str], VGGish] = {}


def _cached_model(config: VGGishConfig, device: str | torch.device) -> VGGish:
    path = weights_path().parent / config.weights
    key = (str(path.resolve()), config.final_relu, str(device))
    if key not in _MODELS:
        _MODELS[key] = load_vggish(path, final_relu=config.final_relu, device=device)
    return _MODELS[key]


def vggish_embeddings_batch(
    waveforms: Sequence[np.ndarray],
    config: VGGishConfig = VGGishConfig(),
    model: VGGish | None = None,
    device: str | torch.device = "cpu",
    patch_batch: int = 128,
) -> list[np.ndarray]:
    """VGGish embeddings `[P_i, 128]` (float32) of mono 16 kHz clips.

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
    stacked = torch.cat(patches)
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
    model: VGGish | None = None,
    device: str | torch.device = "cpu",
) -> np.ndarray:
    """VGGish embeddings `[P, 128]` of one mono 16 kHz clip."""
    return vggish_embeddings_batch([waveform], config, model=model, device=device)[0]

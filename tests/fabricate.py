"""Files the tests fabricate in the exact formats of upstream releases (never downloaded).

- `write_vggish_state_dict(path, seed)`: a random-weight stand-in for torchvggish's
  `vggish-10086976.pth` (the same keys, shapes, dtype and `torch.save` format).
- `vggish_parity_signal(sample_rate)`: the seeded test signal of the VGGish parity data.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

VGGISH_SHAPES = {
    # torchvggish 0.2's `VGG(make_layers(), postprocess=False).state_dict()`: the keys and
    # shapes of its release file vggish-10086976.pth (float32, no PCA parameters).
    "features.0.weight": (64, 1, 3, 3),
    "features.0.bias": (64,),
    "features.3.weight": (128, 64, 3, 3),
    "features.3.bias": (128,),
    "features.6.weight": (256, 128, 3, 3),
    "features.6.bias": (256,),
    "features.8.weight": (256, 256, 3, 3),
    "features.8.bias": (256,),
    "features.11.weight": (512, 256, 3, 3),
    "features.11.bias": (512,),
    "features.13.weight": (512, 512, 3, 3),
    "features.13.bias": (512,),
    "embeddings.0.weight": (4096, 12288),
    "embeddings.0.bias": (4096,),
    "embeddings.2.weight": (4096, 4096),
    "embeddings.2.bias": (4096,),
    "embeddings.4.weight": (128, 4096),
    "embeddings.4.bias": (128,),
}


def vggish_state_dict(seed: int = 0) -> dict[str, torch.Tensor]:
    """Random float32 VGGish weights, a pure function of `seed`.

    Weights are He-scaled (std sqrt(2 / fan_in)) and biases small, so activations stay O(1)
    through all 7 layers and the embeddings are neither all zero nor huge. The draws come
    from one CPU `torch.Generator` in the order of `VGGISH_SHAPES`, so the same seed gives
    the same numbers on every machine (the committed VGGish parity data relies on it).
    """
    generator = torch.Generator().manual_seed(seed)
    state = {}
    for key, shape in VGGISH_SHAPES.items():
        fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else 1
        scale = (2.0 / fan_in) ** 0.5 if len(shape) > 1 else 0.01
        state[key] = torch.randn(shape, generator=generator) * scale
    return state


def write_vggish_state_dict(path: str | os.PathLike, seed: int = 0) -> Path:
    """Write `vggish_state_dict(seed)` with `torch.save`, as torchvggish's release file is.

    About 290 MB (72 M float32 values), like the real file. Place it at
    `$AACR_CACHE/vggish/vggish-10086976.pth` for `aacr_lib.assets.require("vggish")`.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(vggish_state_dict(seed), path)
    return path


def vggish_parity_signal(sample_rate: int, seconds: float = 3.5, seed: int = 0) -> np.ndarray:
    """Seeded noise and tones, float32 in [-1, 1]: the input of the VGGish parity data.

    A 440 Hz tone with a slow tremolo, 1.5 kHz switching on after 1 s, a 100 Hz → 6 kHz
    chirp, a 7.3 kHz tone (in the top mel bands, where resamplers differ) and white noise
    (every band). Built from the formulas at `sample_rate` itself, not resampled.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(int(round(seconds * sample_rate))) / sample_rate
    y = 0.25 * (1.0 + 0.5 * np.sin(2 * np.pi * 0.7 * t)) * np.sin(2 * np.pi * 440.0 * t)
    y += 0.15 * np.sin(2 * np.pi * 1500.0 * t) * (t >= 1.0)
    y += 0.1 * np.sin(2 * np.pi * (100.0 + 0.5 * (6000.0 - 100.0) / seconds * t) * t)
    y += 0.05 * np.sin(2 * np.pi * 7300.0 * t)
    y += 0.05 * rng.standard_normal(t.size)
    return y.astype(np.float32)

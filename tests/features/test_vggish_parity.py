"""The torchvggish-based VGGish reproduces what the project's own port computed.

`data/vggish_reference.npz` was recorded by `data/make_vggish_reference.py` with the port
(commit 2863dd7: a float32 torch front end and its own network module). Its inputs are
regenerated here, not stored: `tests.fabricate.vggish_parity_signal(rate)` (3.5 s of seeded
noise and tones, synthesised at 16 kHz and at 44.1 kHz) and the random weights
`write_vggish_state_dict(seed=0)` (the `fake_vggish_weights` fixture puts them in the asset
cache). The stored outputs are the default `VGGishConfig`'s patches `[3, 96, 64]` and
`compute_features("vggish", ...)` embeddings `[3, 128]` (|values| up to 11.4).

Measured max abs differences (torchvggish's float64 NumPy front end against the port's
float32 torch one): patches 9.3e-6 (16 kHz) and 2.1e-5 (44.1 kHz), embeddings 1.3e-5 and
1.4e-5. The tolerances leave a few times that for other BLAS / FFT builds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from aacr_lib.features import registry
from aacr_lib.features.vggish import VGGishConfig, vggish_patches
from tests.fabricate import vggish_parity_signal

REFERENCE = Path(__file__).parent / "data" / "vggish_reference.npz"
RATES = (16000, 44100)
PATCH_ATOL = 1e-4
EMBEDDING_ATOL = 1e-4


@pytest.fixture(scope="module")
def reference() -> dict[str, np.ndarray]:
    with np.load(REFERENCE) as stored:
        return {key: stored[key] for key in stored.files}


def test_reference_is_what_the_docstring_says(reference):
    assert sorted(reference) == sorted(
        f"{what}_{rate}" for what in ("patches", "embeddings") for rate in RATES
    )
    for rate in RATES:
        assert reference[f"patches_{rate}"].shape == (3, 96, 64)
        embeddings = reference[f"embeddings_{rate}"]
        # Without the final ReLU the random-weight embeddings take both signs.
        assert embeddings.shape == (3, 128) and (embeddings < 0).any()
    assert REFERENCE.stat().st_size < 300_000


@pytest.mark.parametrize("rate", RATES)
def test_patches_reproduce_the_port(reference, rate):
    signal = vggish_parity_signal(rate)
    at_16k = registry.prepare_waveform(signal, VGGishConfig(), sample_rate=rate)
    patches = vggish_patches(at_16k).numpy()
    np.testing.assert_allclose(patches, reference[f"patches_{rate}"], atol=PATCH_ATOL, rtol=0)


@pytest.mark.slow
@pytest.mark.parametrize("rate", RATES)
def test_embeddings_reproduce_the_port(reference, fake_vggish_weights, rate):
    embeddings = registry.compute_features("vggish", vggish_parity_signal(rate), sample_rate=rate)
    expected = reference[f"embeddings_{rate}"]
    assert embeddings.shape == expected.shape and embeddings.dtype == np.float32
    np.testing.assert_allclose(embeddings, expected, atol=EMBEDDING_ATOL, rtol=0)

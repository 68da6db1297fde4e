"""The baseline CRNN: parameter count, variants, shapes, masking and the audio-text model."""

from __future__ import annotations

import pytest
import torch

from aacr_lib.models.retrieval import AudioTextModel, CRNNEncoder, count_parameters


def test_baseline_crnn_has_the_published_parameter_count():
    assert count_parameters(CRNNEncoder()) == 732_354


def test_variants_change_the_parameter_count_as_expected():
    # LSTM: 4 gates instead of 3, on a 128-d input with 150 units per direction.
    gru_params = 2 * 3 * (150 * 128 + 150 * 150 + 2 * 150)
    assert count_parameters(CRNNEncoder(rnn="lstm")) == 732_354 + gru_params // 3
    # The report's block order normalises each conv output (32 + 4 x 128 channels) instead of
    # each conv input (1 + 32 + 3 x 128 channels): 2 parameters per normalised channel.
    reordered = CRNNEncoder(block_order="conv_act_bn")
    assert count_parameters(reordered) == 732_354 + 2 * ((32 + 4 * 128) - (1 + 32 + 3 * 128))
    # VGGish's 128-d input leaves two frequency bins after the pools: a 256-d GRU input.
    vggish = CRNNEncoder(in_dim=128)
    assert vggish.rnn.input_size == 256


def test_output_shape_and_invalid_settings():
    encoder = CRNNEncoder(channels=(4, 8, 8, 8, 8), out_dim=20).eval()
    assert encoder(torch.randn(3, 40, 64)).shape == (3, 20)
    with pytest.raises(ValueError, match="even"):
        CRNNEncoder(out_dim=301)
    with pytest.raises(ValueError, match="rnn"):
        CRNNEncoder(rnn="transformer")
    with pytest.raises(ValueError, match=r"\[batch, time, 64\]"):
        encoder(torch.randn(2, 40, 32))


def test_lengths_exclude_padded_frames_from_the_mean():
    torch.manual_seed(0)
    encoder = CRNNEncoder(channels=(4, 8, 8, 8, 8), out_dim=20, up_sampling=False).eval()
    clip = torch.randn(1, 32, 64)
    # Loud padding frames: the masked mean must differ from the mean over every frame.
    padded = torch.cat([clip, torch.full((1, 32, 64), 50.0)], dim=1)
    with torch.no_grad():
        alone = encoder(clip)
        masked = encoder(padded, torch.tensor([32]))
        unmasked = encoder(padded)
    assert torch.allclose(alone, encoder(clip, torch.tensor([32])), atol=1e-6)
    assert not torch.allclose(masked, unmasked, atol=1e-3)


def test_audio_text_model_projections_and_normalisation():
    encoder = CRNNEncoder(channels=(4, 8, 8, 8, 8), out_dim=20)
    shared = AudioTextModel(encoder, 20, 20, projection="shared", projection_dim=12)
    assert shared.audio_head is shared.text_head
    audio, text = shared(torch.randn(2, 40, 64), torch.randn(2, 20))
    assert audio.shape == text.shape == (2, 12)
    assert torch.allclose(audio.norm(dim=-1), torch.ones(2), atol=1e-5)
    separate = AudioTextModel(encoder, 20, 384, projection="separate", projection_dim=16)
    assert separate.encode_text(torch.randn(3, 384)).shape == (3, 16)
    raw = AudioTextModel(encoder, 20, 20, normalize=False)
    assert not torch.allclose(raw.encode_text(3 * torch.ones(1, 20)).norm(), torch.tensor(1.0))
    with pytest.raises(ValueError, match="differ in size"):
        AudioTextModel(encoder, 20, 384)
    with pytest.raises(ValueError, match="shared projection"):
        AudioTextModel(encoder, 20, 384, projection="shared", projection_dim=8)


def test_input_pooling_averages_frames_before_the_cnn():
    torch.manual_seed(0)
    pooled = CRNNEncoder(channels=(4, 8, 8, 8, 8), out_dim=20, input_pool=4).eval()
    plain = CRNNEncoder(channels=(4, 8, 8, 8, 8), out_dim=20).eval()
    plain.load_state_dict(pooled.state_dict())  # the pool has no parameters
    frames = torch.randn(2, 66, 64)  # 66 = 16 x 4 + a 2-frame remainder, dropped
    averaged = frames[:, :64].reshape(2, 16, 4, 64).mean(2)
    with torch.no_grad():
        assert torch.allclose(pooled(frames), plain(averaged), atol=1e-6)
        lengths = torch.tensor([66, 40])
        assert torch.allclose(
            pooled(frames, lengths), plain(averaged, torch.tensor([16, 10])), atol=1e-6
        )
    assert pooled.min_frames == 16
    with pytest.raises(ValueError, match="at least 16 frames"):
        pooled(torch.randn(1, 12, 64))

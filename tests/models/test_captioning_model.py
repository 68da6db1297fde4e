"""The captioning model: paper-size parameter counts, every variant, faithful to the baseline."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch
from torch import nn
from transformers import BartForConditionalGeneration

from aacr_lib.errors import ConfigError, PretrainedUnavailable
from aacr_lib.models.captioning import (
    AdapterConfig,
    CaptioningModelConfig,
    CrnnEncoderConfig,
    bart_config,
    build_model,
    caption_loss,
    count_parameters,
)
from aacr_lib.models.captioning.pretrained import (
    load_organisers_checkpoint,
    map_organisers_state_dict,
)

VOCAB = 60
SMALL = CaptioningModelConfig(
    input_dim=12,
    d_model=16,
    encoder_layers=2,
    decoder_layers=2,
    attention_heads=2,
    ffn_dim=32,
    max_positions=64,
    crnn=CrnnEncoderConfig(channels=(4, 8, 8, 8, 8), pool_kernels=((2, 2), (2, 2), (1, 2))),
)


def test_paper_size_parameter_counts():
    # The real structure (built on the meta device), with the bart-base vocabulary.
    baseline = CaptioningModelConfig()
    assert count_parameters(baseline) == 139_519_488
    assert count_parameters(replace(baseline, encoder_layers=7, decoder_layers=7)) == 156_059_136


def test_paper_size_crnn_encoder_has_the_reported_size():
    model = build_model(CaptioningModelConfig(encoder="crnn"), 50265, device="meta")
    crnn = sum(p.numel() for p in model.crnn.parameters())
    assert crnn == 2_328_162  # the report's 2.33 M
    assert not any(name.startswith("bart.model.encoder.") for name, _ in model.named_parameters())


def _inputs(batch=3, frames=7, dim=12, length=10, seed=0):
    generator = torch.Generator().manual_seed(seed)
    features = torch.randn(batch, frames, dim, generator=generator)
    mask = torch.ones(batch, frames, dtype=torch.bool)
    mask[0, frames - 3 :] = False
    labels = torch.randint(4, VOCAB, (batch, length), generator=generator)
    labels[:, 0] = 0
    labels[:, 6] = 2
    labels[:, 7:] = 1  # <pad>
    return features, mask, labels, (labels != 1).long()


def test_baseline_forward_is_the_bare_transformers_model():
    torch.manual_seed(0)
    model = build_model(SMALL, VOCAB).eval()
    features, mask, labels, decoder_mask = _inputs()
    ours = caption_loss(model(features, labels, mask, decoder_mask), labels, pad_id=1)
    bare = model.bart(
        inputs_embeds=model.adapter(features),
        attention_mask=mask.long(),
        labels=labels,
        decoder_attention_mask=decoder_mask,
    ).loss
    torch.testing.assert_close(ours, bare)


def test_pad_tokens_in_the_loss_are_kept_by_default_and_maskable():
    logits = torch.randn(2, 5, VOCAB)
    labels = torch.tensor([[0, 9, 2, 1, 1], [0, 8, 7, 2, 1]])
    flat_logits, flat_labels = logits.reshape(-1, VOCAB), labels.reshape(-1)
    kept = nn.functional.cross_entropy(flat_logits, flat_labels)
    keep = flat_labels != 1
    masked = nn.functional.cross_entropy(flat_logits[keep], flat_labels[keep])
    torch.testing.assert_close(caption_loss(logits, labels, pad_id=1), kept)
    torch.testing.assert_close(caption_loss(logits, labels, pad_id=1, mask_pad=True), masked)


@pytest.mark.parametrize("mode", ["mean_all", "mean_last2"])
def test_encoder_output_aggregation(mode):
    torch.manual_seed(0)
    model = build_model(replace(SMALL, encoder_output=mode), VOCAB).eval()
    features, mask, _, _ = _inputs()
    states = model.bart.model.encoder(
        inputs_embeds=model.adapter(features), attention_mask=mask.long(), output_hidden_states=True
    ).hidden_states
    assert len(states) == SMALL.encoder_layers + 1  # the embedding output, then each layer
    expected = torch.stack(states).mean(0) if mode == "mean_all" else (states[-1] + states[-2]) / 2
    torch.testing.assert_close(model.encode(features, mask).last_hidden_state, expected)


@pytest.mark.parametrize("mode", ["last", "mean_last2"])
def test_training_and_generation_use_the_same_encoder_output(mode, monkeypatch):
    from aacr_lib.captioning.config import DecodingConfig
    from aacr_lib.captioning.decoding import generation_config

    model = build_model(replace(SMALL, encoder_output=mode), VOCAB).eval()
    features, mask, labels, decoder_mask = _inputs()
    calls = []
    original = model.encode
    monkeypatch.setattr(model, "encode", lambda *a, **k: calls.append(1) or original(*a, **k))
    model(features, labels, mask, decoder_mask)
    config = generation_config(DecodingConfig(max_length=8), model)
    ids = model.generate(features, config, mask=mask)
    assert len(calls) == 2
    expected = model.bart.generate(
        encoder_outputs=original(features, mask),
        attention_mask=mask.long(),
        generation_config=config,
    )
    assert torch.equal(ids, expected)


def test_padding_frames_do_not_change_a_clip():
    torch.manual_seed(0)
    model = build_model(SMALL, VOCAB).eval()
    features, mask, labels, decoder_mask = _inputs()
    alone = model(features[:1, :4], labels[:1], mask[:1, :4], decoder_mask[:1])
    padded = model(features[:1], labels[:1], mask[:1], decoder_mask[:1])  # 3 padded frames
    torch.testing.assert_close(alone, padded, rtol=1e-4, atol=1e-5)


def test_adapters():
    relu = build_model(replace(SMALL, adapter=AdapterConfig(layers=3)), VOCAB).adapter
    assert [type(m).__name__ for m in relu] == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    assert relu[0].in_features == 12 and relu[2].in_features == 16
    linear = build_model(
        replace(SMALL, adapter=AdapterConfig(layers=2, style="linear", hidden_dim=8)), VOCAB
    ).adapter
    assert [(m.in_features, m.out_features) for m in linear] == [(12, 8), (8, 16)]
    assert all(isinstance(m, nn.Linear) for m in linear)  # no activation in between


def test_paper_adapter2_matches_the_report():
    config = CaptioningModelConfig(adapter=AdapterConfig(layers=2, style="linear", hidden_dim=384))
    model = build_model(config, 50265, device="meta")
    assert [(m.in_features, m.out_features) for m in model.adapter] == [(128, 384), (384, 768)]


def test_crnn_encoder_runs_and_learns_shapes():
    model = build_model(replace(SMALL, encoder="crnn"), VOCAB)
    features, mask, labels, decoder_mask = _inputs(frames=5)
    hidden = model.encode(features, mask).last_hidden_state
    assert hidden.shape == (3, 5, SMALL.d_model)
    loss = caption_loss(model(features, labels, mask, decoder_mask), labels, 1)
    loss.backward()
    assert model.crnn.gru.weight_ih_l0.grad is not None


def test_extra_inputs_hook():
    model = build_model(replace(SMALL, extra_input_dim=3), VOCAB).eval()
    features, mask, _, _ = _inputs()
    extra = torch.randn(3, features.shape[1], 3)
    assert model.adapter[0].in_features == 15
    with_extra = model.encode(features, mask, extra).last_hidden_state
    other = model.encode(features, mask, extra + 1).last_hidden_state
    assert not torch.allclose(with_extra, other)
    with pytest.raises(ValueError, match="extra_inputs"):
        model.encode(features, mask)


@pytest.mark.parametrize(
    "change,match",
    [
        ({"attention_heads": 3}, "divisible"),
        ({"encoder": "crnn", "encoder_output": "mean_all"}, "encoder_output"),
        ({"adapter": AdapterConfig(layers=0)}, "d_model size"),
    ],
)
def test_invalid_configs_name_the_key(change, match):
    with pytest.raises(ConfigError, match=match):
        build_model(replace(SMALL, **change), VOCAB)


def test_bart_config_is_the_baseline():
    config = bart_config(CaptioningModelConfig(), 50265)
    assert (config.d_model, config.encoder_layers, config.decoder_layers) == (768, 6, 6)
    assert (config.encoder_attention_heads, config.encoder_ffn_dim) == (12, 3072)
    assert (config.dropout, config.attention_dropout, config.activation_dropout) == (0.1,) * 3
    assert config.activation_function == "gelu" and config.max_position_embeddings == 1024
    assert (config.pad_token_id, config.decoder_start_token_id) == (1, 2)


def test_organisers_checkpoint_keys_map_onto_our_model(tmp_path):
    torch.manual_seed(0)
    ours = build_model(SMALL, VOCAB)
    # the baseline's BARTAAC names: audio_adapt.* and bart_lm.*
    theirs = {
        (
            "audio_adapt." + k[len("adapter.") :]
            if k.startswith("adapter.")
            else "bart_lm." + k[5:]
        ): v
        for k, v in ours.state_dict().items()
    }
    mapped = map_organisers_state_dict(theirs)
    fresh = build_model(SMALL, VOCAB)
    fresh.load_state_dict(mapped)
    for key, value in ours.state_dict().items():
        assert torch.equal(value, fresh.state_dict()[key])
    assert isinstance(fresh.bart, BartForConditionalGeneration)


def test_organisers_checkpoint_missing_is_a_clear_error(tmp_path):
    with pytest.raises(PretrainedUnavailable, match="zenodo") as caught:
        load_organisers_checkpoint(root=tmp_path)
    assert "aacr setup dcase2022_baseline_checkpoint" in str(caught.value)


def test_organisers_checkpoint_file_in_the_asset_cache_loads_at_paper_size(tmp_path):
    # A file laid out like theirs: torch.save(BARTAAC.state_dict()), paper size, bart-base vocab.
    from aacr_lib import assets
    from aacr_lib.models.captioning.model import BART_BASE_VOCAB_SIZE
    from aacr_lib.models.captioning.pretrained import organisers_checkpoint_path

    torch.manual_seed(0)
    ours = build_model(CaptioningModelConfig(), BART_BASE_VOCAB_SIZE)
    theirs = {
        ("audio_adapt." + k[8:] if k.startswith("adapter.") else "bart_lm." + k[5:]): v
        for k, v in ours.state_dict().items()
        if not k.endswith("final_logits_bias")  # older transformers saved no such buffer
    }
    path = organisers_checkpoint_path(tmp_path)
    assert not assets.get("dcase2022_baseline_checkpoint").path(tmp_path)
    path.parent.mkdir(parents=True)
    torch.save(theirs, path)
    del theirs
    assert assets.get("dcase2022_baseline_checkpoint").path(tmp_path) == path.parent
    loaded = load_organisers_checkpoint(root=tmp_path)
    for name in (
        "adapter.0.weight",
        "bart.model.decoder.layers.5.fc2.weight",
        "bart.lm_head.weight",
    ):
        assert torch.equal(loaded.state_dict()[name], ours.state_dict()[name])


def test_organisers_checkpoint_with_another_layout_names_the_keys(tmp_path):
    path = tmp_path / "not_theirs.bin"
    torch.save({"encoder.weight": torch.zeros(2, 2)}, path)
    with pytest.raises(PretrainedUnavailable, match="unexpected layout.*encoder.weight"):
        load_organisers_checkpoint(path)

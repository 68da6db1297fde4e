"""The experiment registry, the profiles, and the report's numbers kept as data."""

from __future__ import annotations

import pytest

from aacr_lib.captioning.experiments import EXPERIMENTS, PROFILE_OVERLAYS, resolve_config
from aacr_lib.captioning.report_tables import METRICS, REPORT_TABLES, table_for_experiment
from aacr_lib.config import config_hash, parse_overrides
from aacr_lib.errors import ConfigError
from aacr_lib.models.captioning import count_parameters

REQUIRED = (
    "baseline",
    "crnn_encoder",
    "mean_all_hidden",
    "mean_last2_hidden",
    "adapter2",
    "layers7",
    "final",
)


def test_every_report_experiment_is_registered():
    assert set(REQUIRED) <= set(EXPERIMENTS)
    for name in REQUIRED:
        for profile in ("paper", "demo", "smoke"):
            resolve_config(name, profile)


def test_paper_profile_is_the_baseline():
    config = resolve_config("baseline", "paper")
    assert config.data.features == "vggish" and config.data.max_frames == 32
    assert config.training.epochs == 20 and config.training.lr == 1e-5
    assert (config.training.batch_size, config.training.grad_accumulation) == (4, 2)
    assert config.tokenizer.kind == "bart-base" and config.tokenizer.max_length == 64
    assert config.decoding.num_beams == 4 and config.decoding.max_length == 100
    assert config.loss.mask_pad is False


def test_demo_uses_the_offline_stand_ins():
    config = resolve_config("baseline", "demo")
    assert config.data.dataset == "clothomix"
    assert config.data.features == "logmel_pooled"
    assert config.tokenizer.kind == "bpe"


@pytest.mark.parametrize("profile", ["paper", "demo"])
def test_experiments_make_the_same_relative_change_in_every_profile(profile):
    base = resolve_config("baseline", profile).model
    layers7 = resolve_config("layers7", profile).model
    assert layers7.encoder_layers == base.encoder_layers + 1
    assert layers7.decoder_layers == base.decoder_layers + 1
    adapter2 = resolve_config("adapter2", profile).model.adapter
    assert (adapter2.layers, adapter2.style, adapter2.hidden_dim) == (
        2,
        "linear",
        base.d_model // 2,
    )
    final = resolve_config("final", profile).model
    assert final.encoder_layers == base.encoder_layers + 1
    assert final.adapter == adapter2 and final.encoder_output == "mean_last2"
    assert resolve_config("crnn_encoder", profile).model.encoder == "crnn"
    assert resolve_config("mean_all_hidden", profile).model.encoder_output == "mean_all"


def test_paper_layers7_has_the_reported_size():
    assert count_parameters(resolve_config("layers7", "paper").model) == 156_059_136


def test_overrides_are_the_last_layer_and_change_the_run_hash():
    base = resolve_config("baseline", "demo")
    changed = resolve_config(
        "baseline", "demo", parse_overrides(["training.epochs=3", "loss.mask_pad=true"])
    )
    assert changed.training.epochs == 3 and changed.loss.mask_pad is True
    assert config_hash(base) != config_hash(changed)
    assert config_hash(base) == config_hash(resolve_config("baseline", "demo"))


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: resolve_config("nope", "demo"), "unknown captioning experiment"),
        (lambda: resolve_config("baseline", "nope"), "unknown captioning profile"),
        (lambda: resolve_config("baseline", "demo", {"training": {"epoch": 3}}), "epochs"),
    ],
)
def test_unknown_names_are_clear_errors(call, match):
    with pytest.raises(ConfigError, match=match):
        call()


def test_profiles_are_listed():
    assert set(PROFILE_OVERLAYS) == {"clotho", "demo", "smoke"}
    # `paper` is another name of the clotho profile (`aacr train --profile paper`)
    assert resolve_config("final", "paper") == resolve_config("final", "clotho")


def test_report_tables_are_consistent():
    # SPIDEr is (CIDEr-D + SPICE) / 2 in every column: catches transcription slips.
    for table in REPORT_TABLES.values():
        assert set(table.scores) == set(METRICS)
        for index in range(len(table.epochs)):
            cider, spice = table.scores["cider_d"][index], table.scores["spice"][index]
            assert table.scores["spider"][index] == pytest.approx((cider + spice) / 2, abs=0.0016)
    assert REPORT_TABLES[1].scores["cider_d"] == (0.358,)
    assert table_for_experiment("final").number == 9
    assert table_for_experiment("final").at_epoch(20)["cider_d"] == 0.321

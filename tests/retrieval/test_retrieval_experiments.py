"""The experiment registry, profiles, offline requirements and `aacr train retrieval`."""

from __future__ import annotations

import pytest

from aacr_lib.cli import main
from aacr_lib.errors import ConfigError, PretrainedUnavailable
from aacr_lib.retrieval.display import format_metrics
from aacr_lib.retrieval.experiments import EXPERIMENTS, resolve_config
from aacr_lib.retrieval.report_tables import TABLE_3, TABLE_10, report_scores
from aacr_lib.retrieval.run import check_requirements, missing_requirements

ISSUE_EXPERIMENTS = {
    "baseline",
    "lstm",
    "vggish_features",
    "shared_space_512",
    "shared_space_1024",
    "sentence_transformer",
    "bce_exp_euclidean",
    "infonce",
    "caption_based",
    "report_baseline",
    "report_sentence_transformer",
    # the future-work issue (chapter 08): each row with the sound events of each source
    *(
        f"{row}_events_{source}"
        for row in ("baseline", "sentence_transformer")
        for source in ("tagger", "oracle", "panns")
    ),
}


def test_registry_has_every_experiment_and_each_changes_only_what_it_names():
    assert set(EXPERIMENTS) == ISSUE_EXPERIMENTS
    base = resolve_config("baseline", "paper")
    assert base.model.audio.rnn == "gru" and base.model.text.word2vec_source == "google_news"
    assert base.training.batch_size == 32 and base.training.lr == 1e-3
    assert base.training.seed == 16
    assert resolve_config("lstm", "paper").model.audio.rnn == "lstm"
    assert resolve_config("vggish_features", "paper").data.features == "vggish"
    shared = resolve_config("shared_space_1024", "demo").model.projection
    assert (shared.kind, shared.dim) == ("shared", 1024)
    sentence = resolve_config("sentence_transformer", "demo").model
    assert sentence.text.encoder == "sentence_transformer" and sentence.audio.out_dim == 384
    bce = resolve_config("bce_exp_euclidean", "demo")
    assert (bce.loss.name, bce.model.score, bce.model.normalize) == (
        "bce_exp_euclidean",
        "exp_neg_euclidean",
        False,
    )
    assert resolve_config("infonce", "demo").loss.name == "infonce"
    caption_based = resolve_config("caption_based", "demo")
    assert caption_based.method == "caption_based"
    # the report's "our model" captions the clips, not the DCASE baseline
    assert caption_based.caption_based.captioning_experiment == "final"
    # Demo: ClothoMix with the offline Word2Vec; the experiment overlay wins over the profile.
    demo = resolve_config("lstm", "demo", ["training.epochs=3"])
    assert demo.data.dataset == "clothomix" and demo.model.text.word2vec_source == "trained"
    assert demo.model.audio.rnn == "lstm" and demo.training.epochs == 3


def _settings(config, prefix=""):
    """A resolved config as {"section.key": value}."""
    from aacr_lib.config import to_dict

    flat = {}
    for key, value in (to_dict(config) if prefix == "" else config).items():
        if isinstance(value, dict):
            flat.update(_settings(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _differences(name, profile):
    base = _settings(resolve_config("baseline", profile))
    return {
        key: value
        for key, value in _settings(resolve_config(name, profile)).items()
        if value != base[key]
    }


REPORT_FORK = {
    "model.audio.block_order": "conv_act_bn",
    "model.audio.dropout": 0.5,
    "model.normalize": False,
    "loss.margin": 2.0,
    "training.batch_size": 64,
}


def test_report_baseline_is_the_reports_fork_at_both_profiles():
    # clotho: the fork's settings (task2_audio_retrieval/baseline.py), fp16 AMP as on its GPU
    assert _differences("report_baseline", "clotho") == {
        **REPORT_FORK,
        "training.mixed_precision": "fp16",
    }
    assert _differences("report_baseline", "paper") == _differences("report_baseline", "clotho")
    # demo: the same model and loss; the CPU-sized profile keeps its fp32
    assert _differences("report_baseline", "demo") == REPORT_FORK
    assert resolve_config("report_baseline", "smoke").training.mixed_precision == "fp32"
    # the plateau schedule stays the baseline's (0.1, 5, 0.01 abs), as in the fork
    fork = resolve_config("report_baseline", "clotho").training
    assert (fork.schedule, fork.plateau_factor, fork.plateau_patience) == ("plateau", 0.1, 5)


def test_report_sentence_transformer_is_the_reports_run_at_both_profiles():
    text_and_schedule = {
        "model.audio.out_dim": 384,
        "model.text.encoder": "sentence_transformer",
        "training.plateau_factor": 0.5,
    }
    assert _differences("report_sentence_transformer", "clotho") == {
        **REPORT_FORK,
        **text_and_schedule,
        "training.mixed_precision": "fp16",
        "training.epochs": 80,
        "training.plateau_patience": 3,
    }
    # demo: 80/50 of its 20 epochs; its patience of 2 is already below the report's 3
    assert _differences("report_sentence_transformer", "demo") == {
        **REPORT_FORK,
        **text_and_schedule,
        "training.epochs": 32,
    }
    assert resolve_config("report_sentence_transformer", "smoke").training.epochs == 1


def test_report_fork_settings_are_key_value_overrides():
    config = resolve_config(
        "report_baseline",
        "clotho",
        [
            "model.audio.block_order=bn_conv_act",
            "model.normalize=true",
            "loss.margin=1.5",
            "training.mixed_precision=bf16",
            "training.plateau_factor=0.5",
            "training.plateau_patience=3",
        ],
    )
    assert config.model.audio.block_order == "bn_conv_act" and config.model.normalize is True
    assert config.loss.margin == 1.5 and config.training.mixed_precision == "bf16"
    assert (config.training.plateau_factor, config.training.plateau_patience) == (0.5, 3)
    with pytest.raises(ConfigError, match="block_order"):
        resolve_config("baseline", "demo", ["model.audio.block_order=act_bn_conv"])
    with pytest.raises(ConfigError, match="mixed_precision"):
        resolve_config("baseline", "demo", ["training.mixed_precision=fp8"])


def test_unknown_names_and_keys_are_clear_errors():
    with pytest.raises(ConfigError, match="unknown retrieval experiment 'gru'"):
        resolve_config("gru")
    with pytest.raises(ConfigError, match="unknown retrieval profile"):
        resolve_config("baseline", "huge")
    with pytest.raises(ConfigError, match="unknown config key"):
        resolve_config("baseline", "demo", ["model.audio.layers=3"])


def test_offline_paper_profile_names_the_fix():
    config = resolve_config("baseline", "paper")
    with pytest.raises(PretrainedUnavailable, match="aacr setup word2vec_google_news"):
        check_requirements(config)
    # VGGish weights are looked for in the (empty, per-test) cache.
    reasons = missing_requirements(resolve_config("vggish_features", "demo"))
    assert any("VGGish" in str(reason) or "vggish" in str(reason) for reason in reasons)
    assert missing_requirements(resolve_config("baseline", "demo")) == []


def test_report_tables_cover_the_report_rows():
    assert [row.scores["r10"] for row in TABLE_3] == [0.19, 0.16]
    assert report_scores("sentence_transformer") == {
        "r1": 0.04,
        "r5": 0.16,
        "r10": 0.25,
        "map10": 0.09,
    }
    assert report_scores("infonce") is None
    # the report's own runs compare with the rows they reproduce
    assert report_scores("report_baseline") == report_scores("baseline")
    assert report_scores("report_sentence_transformer") == report_scores("sentence_transformer")
    for name in ("report_baseline", "report_sentence_transformer"):
        experiment = EXPERIMENTS[name]
        row = next(row for row in TABLE_10 if row.experiment == name)
        assert (experiment.report_table, experiment.report_row) == (10, row.label)
    assert {row.experiment for row in TABLE_10} <= ISSUE_EXPERIMENTS


def test_train_command_lists_and_prints_configs(capsys):
    assert main(["train", "retrieval", "--list"]) == 0
    listing = capsys.readouterr().out
    assert "shared_space_512" in listing and "infonce (new)" not in listing
    assert "InfoNCE (new)" in listing and "LSTM (report Table 10: LSTM)" in listing
    arguments = [
        "train",
        "retrieval",
        "--experiment",
        "lstm",
        "--print-config",
        "training.epochs=2",
    ]
    assert main(arguments) == 0
    out = capsys.readouterr().out
    assert "rnn: lstm" in out and "epochs: 2" in out
    text = format_metrics(
        {"r1": 0.1, "r5": 0.2, "r10": 0.3, "map10": 0.15, "ci": {}, "chance_r10": 0.1}
    )
    assert "R@10" in text and "chance R@10" in text


def test_paper_profile_offline_fails_before_creating_a_run(tmp_path, toy_dataset):
    from aacr_lib.retrieval.run import train_retrieval

    runs = tmp_path / "runs"
    with pytest.raises(PretrainedUnavailable, match="aacr setup word2vec_google_news"):
        train_retrieval("baseline", "paper", data_dir=toy_dataset, runs_root=runs)
    assert not runs.exists()

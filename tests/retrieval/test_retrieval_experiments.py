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
    assert resolve_config("caption_based", "demo").method == "caption_based"
    # Demo: ClothoMix with the offline Word2Vec; the experiment overlay wins over the profile.
    demo = resolve_config("lstm", "demo", ["training.epochs=3"])
    assert demo.data.dataset == "clothomix" and demo.model.text.word2vec_source == "trained"
    assert demo.model.audio.rnn == "lstm" and demo.training.epochs == 3


def test_unknown_names_and_keys_are_clear_errors():
    with pytest.raises(ConfigError, match="unknown retrieval experiment 'gru'"):
        resolve_config("gru")
    with pytest.raises(ConfigError, match="unknown retrieval profile"):
        resolve_config("baseline", "huge")
    with pytest.raises(ConfigError, match="unknown config key"):
        resolve_config("baseline", "demo", ["model.audio.layers=3"])


def test_offline_paper_profile_names_the_fix(monkeypatch, tmp_path):
    monkeypatch.setenv("GENSIM_DATA_DIR", str(tmp_path / "gensim"))
    config = resolve_config("baseline", "paper", ["model.text.allow_download=false"])
    with pytest.raises(PretrainedUnavailable, match="gensim.downloader"):
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


def test_paper_profile_offline_fails_before_creating_a_run(monkeypatch, tmp_path, toy_dataset):
    import gensim.downloader

    from aacr_lib.retrieval.run import train_retrieval

    def offline(*args, **kwargs):
        raise ValueError("unable to read local cache, connect to the Internet and retry")

    monkeypatch.setattr(gensim.downloader, "load", offline)
    monkeypatch.setenv("GENSIM_DATA_DIR", str(tmp_path / "gensim"))
    runs = tmp_path / "runs"
    with pytest.raises(PretrainedUnavailable, match="download failed.*gensim.downloader"):
        train_retrieval("baseline", "paper", data_dir=toy_dataset, runs_root=runs)
    assert not runs.exists()

"""The registry of retrieval experiments and the profiles they run at.

Resolution order: `RetrievalConfig` defaults (the DCASE 2022 baseline) -> profile overlay ->
experiment overlay -> `KEY=VALUE` overrides. Each experiment changes one thing of the baseline
(the report's Table 10 rows, plus the rows it proposed or never ran), so a difference between
two rows has one cause.

Profiles: `paper` (Clotho v2.1, Word2Vec GoogleNews, the baseline's sizes, 50 epochs as in the
report), `demo` (ClothoMix, a Word2Vec trained on the training captions, a narrower CRNN and
fewer epochs: minutes on a 2-core CPU) and `smoke` (the demo on tiny data, one step; tests).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aacr_lib.config import parse_overrides, resolve
from aacr_lib.errors import ConfigError
from aacr_lib.retrieval.config import RetrievalConfig

PAPER_PROFILE: dict[str, Any] = {"data": {"dataset": "clotho"}}

DEMO_PROFILE: dict[str, Any] = {
    "data": {"dataset": "clothomix"},
    "model": {
        # 160 ms frames (8 log-mel frames averaged) and narrower convolutions: the CRNN's cost
        # is linear in frames (its GRU steps through them one by one) and quadratic in channels.
        "audio": {"channels": [16, 32, 32, 32, 32], "input_pool": 8},
        "text": {"word2vec_source": "trained"},
    },
    "training": {
        "epochs": 6,
        # Each clip is encoded once per epoch for its five captions.
        "examples": "clips",
        "plateau_patience": 2,
        "early_stopping_patience": 3,
    },
}

SMOKE_PROFILE: dict[str, Any] = {
    **DEMO_PROFILE,
    "model": {
        **DEMO_PROFILE["model"],
        "text": {"word2vec_source": "trained", "word2vec_epochs": 2},
    },
    "training": {**DEMO_PROFILE["training"], "epochs": 1, "max_steps_per_epoch": 1},
}

PROFILES: dict[str, dict[str, Any]] = {
    "paper": PAPER_PROFILE,
    "demo": DEMO_PROFILE,
    "smoke": SMOKE_PROFILE,
}

PROFILE_DESCRIPTIONS = {
    "paper": "Clotho v2.1, Word2Vec GoogleNews-300, the baseline's CRNN, up to 50 epochs",
    "demo": (
        "ClothoMix, Word2Vec trained on the training captions, CRNN channels 16-32 over 160 ms "
        "frames, each clip encoded once per epoch for its five captions, up to 6 epochs"
    ),
    "smoke": "the demo profile on tiny data, one training step (tests only)",
}


@dataclass(frozen=True)
class Experiment:
    """A named change to the baseline.

    `report_row` is the row label of the report's Table 10 (None: not in the report);
    `needs` names assets the experiment cannot run without, beyond those of the baseline.
    """

    name: str
    title: str
    description: str
    overlay: Mapping[str, Any] = field(default_factory=dict)
    report_row: str | None = None
    needs: tuple[str, ...] = ()


EXPERIMENTS: dict[str, Experiment] = {
    experiment.name: experiment
    for experiment in (
        Experiment(
            "baseline",
            "Baseline",
            "DCASE 2022 baseline: log-mel CRNN (BiGRU), Word2Vec mean, dot product, triplet loss",
            report_row="Baseline",
        ),
        Experiment(
            "lstm",
            "LSTM",
            "the CRNN's bidirectional GRU replaced by an LSTM (report 6.2.1)",
            {"model": {"audio": {"rnn": "lstm"}}},
            report_row="LSTM",
        ),
        Experiment(
            "vggish_features",
            "VGGish features",
            "128-d VGGish embeddings (one per 0.96 s) instead of log-mel frames (report 6.2.2)",
            {"model": {"audio": {"features": "vggish"}}},
            report_row="VGGish features",
            needs=("vggish",),
        ),
        Experiment(
            "shared_space_512",
            "Shared space 512",
            "one Linear(300, 512) applied to audio and text embeddings (the report's code)",
            {"model": {"projection": {"kind": "shared", "dim": 512}}},
            report_row="Shared embedding space",
        ),
        Experiment(
            "shared_space_1024",
            "Shared space 1024",
            "one Linear(300, 1024) applied to both sides (the report's text, section 6.2.3)",
            {"model": {"projection": {"kind": "shared", "dim": 1024}}},
            report_row="Shared embedding space",
        ),
        Experiment(
            "sentence_transformer",
            "Sentence transformer",
            "frozen all-MiniLM-L6-v2 caption embeddings (384-d); CRNN output 384 (report 6.2.4)",
            {
                "model": {
                    "audio": {"out_dim": 384},
                    "text": {"encoder": "sentence_transformer"},
                }
            },
            report_row="Sentence Transformer",
        ),
        Experiment(
            "bce_exp_euclidean",
            "BCE on exp(-distance)",
            "binary cross-entropy on exp(-|a - t|), unnormalised embeddings: the report's "
            "section 6.2.5 proposal, never run there",
            {
                "model": {"normalize": False, "score": "exp_neg_euclidean"},
                "loss": {"name": "bce_exp_euclidean"},
            },
        ),
        Experiment(
            "infonce",
            "InfoNCE",
            "symmetric contrastive (InfoNCE) loss on cosine similarities, temperature 0.07: the "
            "loss of today's best systems, as a modern reference",
            {"model": {"score": "cosine"}, "loss": {"name": "infonce"}},
        ),
        Experiment(
            "caption_based",
            "Caption-based",
            "caption every clip with a trained captioning run, rank clips by the cosine between "
            "the query and the generated captions (all-MiniLM-L6-v2): the report's plan, 3.2",
            {"method": "caption_based"},
        ),
    )
}

# The report's Table 10 rows in its order, then the new rows.
TABLE_ORDER = tuple(EXPERIMENTS)


def get_experiment(name: str) -> Experiment:
    try:
        return EXPERIMENTS[name]
    except KeyError:
        raise ConfigError(
            f"unknown retrieval experiment {name!r}; choose one of {', '.join(EXPERIMENTS)}"
        ) from None


def profile_overlay(profile: str) -> dict[str, Any]:
    try:
        return PROFILES[profile]
    except KeyError:
        raise ConfigError(
            f"unknown retrieval profile {profile!r}; choose one of {', '.join(PROFILES)}"
        ) from None


def resolve_config(
    experiment: str = "baseline",
    profile: str = "demo",
    overrides: Iterable[str] | Mapping[str, Any] = (),
) -> RetrievalConfig:
    """The config of an experiment at a profile, with `KEY=VALUE` overrides on top."""
    overlay = overrides if isinstance(overrides, Mapping) else parse_overrides(overrides)
    return resolve(
        RetrievalConfig,
        profile_overlay(profile),
        dict(get_experiment(experiment).overlay),
        overlay,
    )

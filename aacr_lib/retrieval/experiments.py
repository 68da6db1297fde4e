"""The retrieval experiments and their sizes per profile, in the shared registry's shape.

Resolution (`aacr_lib.experiments.ExperimentSet.resolve`): `RetrievalConfig` defaults (the
DCASE 2022 baseline) -> profile overlay -> experiment overlay -> `KEY=VALUE` overrides. Each experiment changes one thing of the baseline
(the report's Table 10 rows, plus the rows it proposed or never ran), so a difference between
two rows has one cause.

Two rows are the report's runs as its code ran them rather than one-change rows:
`report_baseline` (the report's fork of the baseline, its Table 3 "Our Baseline" and Table 10
"Baseline") and `report_sentence_transformer` (its Table 10 "Sentence Transformer"); see
`report_fork`.

Profiles (`aacr_lib.profiles`): `clotho` (also called `paper`; Clotho v2.1, Word2Vec GoogleNews, the baseline's sizes, 50 epochs as in the
report), `demo` (ClothoMix, a Word2Vec trained on the training captions, a narrower CRNN and
fewer epochs: minutes on a 2-core CPU) and `smoke` (the demo on tiny data, one step; tests).
"""

from __future__ import annotations

from typing import Any

from aacr_lib.data.clothomix.generate import CLOTHOMIX_VERSION
from aacr_lib.experiments import Experiment, ExperimentSet, merge_overlays, name_tagger_run
from aacr_lib.retrieval.config import RetrievalConfig

CLOTHO_PROFILE: dict[str, Any] = {"data": {"dataset": "clotho"}}

DEMO_PROFILE: dict[str, Any] = {
    # Each clip is encoded once per epoch for its five captions.
    "data": {"dataset": "clothomix", "version": CLOTHOMIX_VERSION, "examples": "clips"},
    "model": {
        # 160 ms frames (8 log-mel frames averaged) and narrower convolutions: the CRNN's cost
        # is linear in frames (its GRU steps through them one by one) and quadratic in channels.
        "audio": {"channels": [16, 32, 32, 32, 32], "input_pool": 8},
        "text": {"word2vec_source": "trained"},
    },
    # Trained to a plateau: the baseline's ReduceLROnPlateau divides the learning rate by 10
    # after 2 epochs without a lower validation loss and training stops after 3 that do not
    # lower it by more than 2 % (a curve creeping down by less is flat); 20 at most.
    "training": {
        "epochs": 20,
        "plateau_patience": 2,
        "early_stopping_patience": 3,
        "early_stopping_min_delta": 0.02,
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

PROFILE_OVERLAYS: dict[str, dict[str, Any]] = {
    "clotho": CLOTHO_PROFILE,
    "demo": DEMO_PROFILE,
    "smoke": SMOKE_PROFILE,
}

PROFILE_DESCRIPTIONS = {
    "clotho": "Clotho v2.1, Word2Vec GoogleNews-300, the baseline's CRNN, up to 50 epochs",
    "demo": (
        "ClothoMix, Word2Vec trained on the training captions, CRNN channels 16-32 over 160 ms "
        "frames, each clip encoded once per epoch for its five captions, up to 20 epochs with early stopping "
        "(patience 3, on the validation loss)"
    ),
    "smoke": "the demo profile on tiny data, one training step (tests only)",
}


SENTENCE_TRANSFORMER: dict[str, Any] = {
    "model": {"audio": {"out_dim": 384}, "text": {"encoder": "sentence_transformer"}}
}

# The report's runs trained for 50 epochs (the baseline) and 80 (the sentence transformer).
REPORT_EPOCHS = 50
REPORT_SENTENCE_TRANSFORMER_EPOCHS = 80


def report_fork(base: RetrievalConfig) -> dict[str, Any]:
    """What the report's retrieval code (PatrickKollman/Deep-Learning-Final-Project,
    `task2_audio_retrieval/baseline.py`) changed in the baseline, in every one of its runs:
    conv blocks Conv -> LeakyReLU -> BatchNorm, dropout 0.5, batch 64, triplet margin 2.0, no L2
    normalisation of the embeddings (the March-2022 baseline it forked), fp16 AMP.

    fp16 AMP is a GPU setting: it is asked for where the profile trains on Clotho (the report's
    runs); the demo and smoke profiles are sized for a CPU, where fp16 autocast has no loss
    scaler (`training.make_accelerator` refuses it), and keep the profile's precision (fp32;
    `training.mixed_precision=bf16` for CPU autocast). On a CPU-only machine the clotho runs
    need `training.mixed_precision=fp32` or `bf16`. Batch 64 counts clips at the demo profile
    (`data.examples=clips`, five pairs each), pairs at clotho.

    What stays ours, in every experiment: the mean over a clip's own frames (the fork's mean
    ran over the zero-padded batch), a caption impostor that differs from the clip impostor
    (the fork drew the two independently), and the baseline config's early stopping (the fork
    ran every epoch and saved each; the report took the best, ours the best by validation
    loss).
    """
    on_clotho = base.data.dataset == "clotho"
    return {
        "model": {
            "audio": {"block_order": "conv_act_bn", "dropout": 0.5},
            "normalize": False,
        },
        "loss": {"margin": 2.0},
        "training": {
            "batch_size": 64,
            "mixed_precision": "fp16" if on_clotho else base.training.mixed_precision,
        },
    }


def _report_sentence_transformer(base: RetrievalConfig) -> dict[str, Any]:
    """The report's sentence-transformer run (`task2_audio_retrieval/sentence_transformer.py`):
    the fork, frozen all-MiniLM-L6-v2 captions (CRNN out 384) and ReduceLROnPlateau(0.5, 3)
    for 80 epochs. A profile with a shorter schedule than the baseline's (the demo) keeps its
    proportions: epochs x 80 / 50 and a patience no longer than its own."""
    training = base.training
    return merge_overlays(
        report_fork(base),
        SENTENCE_TRANSFORMER,
        {
            "training": {
                "epochs": max(
                    1, training.epochs * REPORT_SENTENCE_TRANSFORMER_EPOCHS // REPORT_EPOCHS
                ),
                "plateau_factor": 0.5,
                "plateau_patience": min(3, training.plateau_patience),
            }
        },
    )


# Where the events experiments' vectors come from: (source, what it is, assets it needs).
EVENT_SOURCES = (
    ("tagger", "from the ClothoMix-trained tagger, the demo's stand-in for PANNs", ()),
    ("oracle", "ClothoMix's true events: the upper bound", ()),
    (
        "panns",
        "from Cnn14_DecisionLevelMax, as the report proposed",
        ("panns_cnn14_decision_level_max",),
    ),
)


def _with_events(overlay: dict[str, Any], source: str) -> dict[str, Any]:
    return merge_overlays(overlay, {"data": {"events": {"source": source}}})


EXPERIMENTS: dict[str, Experiment] = {
    experiment.name: experiment
    for experiment in (
        Experiment(
            "baseline",
            "Baseline",
            "DCASE 2022 baseline: log-mel CRNN (BiGRU), Word2Vec mean, dot product, triplet loss",
            report_table=10,
            report_row="Baseline",
            report_section="5.2",
        ),
        Experiment(
            "lstm",
            "LSTM",
            "the CRNN's bidirectional GRU replaced by an LSTM (report 6.2.1)",
            {"model": {"audio": {"rnn": "lstm"}}},
            report_table=10,
            report_row="LSTM",
            report_section="6.2.1",
        ),
        Experiment(
            "vggish_features",
            "VGGish features",
            "128-d VGGish embeddings (one per 0.96 s) instead of log-mel frames (report 6.2.2)",
            {"data": {"features": "vggish"}},
            report_table=10,
            report_row="VGGish features",
            report_section="6.2.2",
            needs=("vggish",),
        ),
        Experiment(
            "shared_space_512",
            "Shared space 512",
            "one Linear(300, 512) applied to audio and text embeddings (the report's code)",
            {"model": {"projection": {"kind": "shared", "dim": 512}}},
            report_table=10,
            report_row="Shared embedding space",
            report_section="6.2.3",
        ),
        Experiment(
            "shared_space_1024",
            "Shared space 1024",
            "one Linear(300, 1024) applied to both sides (the report's text, section 6.2.3)",
            {"model": {"projection": {"kind": "shared", "dim": 1024}}},
            report_table=10,
            report_row="Shared embedding space",
            report_section="6.2.3",
        ),
        Experiment(
            "sentence_transformer",
            "Sentence transformer",
            "frozen all-MiniLM-L6-v2 caption embeddings (384-d); CRNN output 384 (report 6.2.4)",
            SENTENCE_TRANSFORMER,
            report_table=10,
            report_row="Sentence Transformer",
            report_section="6.2.4",
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
            report_section="6.2.5",
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
            "caption every clip with the final captioning model (report Table 9), rank clips by "
            "the cosine between the query and the generated captions (all-MiniLM-L6-v2): the "
            "report's plan, 3.2",
            {"method": "caption_based"},
            report_section="3.2",
        ),
        # The report's runs as its code ran them (see `report_fork`).
        Experiment(
            "report_baseline",
            "Baseline as the report ran it",
            "the report's fork of the baseline: Conv -> LeakyReLU -> BN blocks, dropout 0.5, "
            "batch 64, margin 2.0, no L2 normalisation, fp16 AMP at the clotho profile",
            report_fork,
            report_table=10,
            report_row="Baseline",
            report_section="5.2",
        ),
        Experiment(
            "report_sentence_transformer",
            "Sentence transformer as the report ran it",
            "the report's fork with frozen all-MiniLM-L6-v2 captions (CRNN out 384), "
            "ReduceLROnPlateau(0.5, 3), 80 epochs (8/5 of the profile's baseline epochs)",
            _report_sentence_transformer,
            report_table=10,
            report_row="Sentence Transformer",
            report_section="6.2.4",
        ),
        # The report's future work (section 7): the clip's sound-event vector beside its
        # audio embedding, for the baseline and the sentence-transformer rows.
        *(
            Experiment(
                f"{row}_events_{source}",
                f"{title} + {source} events",
                f"{title.lower()} with the clip's multi-hot sound-event vector ({what}) through a "
                "small branch added to the audio embedding",
                _with_events(overlay, source),
                report_section="7",
                needs=needs,
            )
            for row, title, overlay in (
                ("baseline", "Baseline", {}),
                ("sentence_transformer", "Sentence transformer", SENTENCE_TRANSFORMER),
            )
            for source, what, needs in EVENT_SOURCES
        ),
    )
}


EXPERIMENT_SET = ExperimentSet(
    "retrieval",
    RetrievalConfig,
    PROFILE_OVERLAYS,
    PROFILE_DESCRIPTIONS,
    EXPERIMENTS,
    finalize=name_tagger_run,
)
# The experiments of the report's sections 1-6 (chapters 06-07); section 7's are chapter 08's.
REPORT_EXPERIMENTS = tuple(name for name, e in EXPERIMENTS.items() if e.report_section != "7")
get_experiment = EXPERIMENT_SET.get
resolve_config = EXPERIMENT_SET.resolve

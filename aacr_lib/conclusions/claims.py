"""The report's claims as data: what it says, where, which of our runs test it, what it expects.

Each `Claim` names a system and a reference among a task's experiments
(`aacr_lib.captioning.experiments.EXPERIMENT_SET`, `aacr_lib.retrieval.experiments.EXPERIMENT_SET`)
or its systems (`SYSTEMS`: the organisers' checkpoint), the metric it is judged on and the
direction the report expects: "higher", "lower" or "no gain" (not better). Its evidence is the
report's own numbers, read from the transcribed tables (`captioning.report_tables`,
`retrieval.report_tables`), except the relative improvements of section 6.2.4, which are
transcribed here as the text gives them; `improvement_check` tests them against Table 10.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from aacr_lib.captioning import book as captioning_book
from aacr_lib.captioning.experiments import EXPERIMENT_SET as CAPTIONING_EXPERIMENTS
from aacr_lib.captioning.report_tables import report_table
from aacr_lib.errors import lookup
from aacr_lib.evaluation.captioning import METRIC_TITLES as CAPTIONING_METRIC_TITLES
from aacr_lib.retrieval import book as retrieval_book
from aacr_lib.retrieval.experiments import EXPERIMENT_SET as RETRIEVAL_EXPERIMENTS
from aacr_lib.retrieval.report_tables import METRIC_TITLES as RETRIEVAL_METRIC_TITLES
from aacr_lib.retrieval.report_tables import report_scores

TASKS = ("captioning", "retrieval")
DIRECTIONS = ("higher", "lower", "no gain")
KINDS = ("reported", "proposed")  # proposed: the report never ran it
CHAPTER = "09_conclusions"

# Systems that are scored like runs without being experiments of the registry.
ORGANISERS_CHECKPOINT = "organisers_checkpoint"
SYSTEMS = {"captioning": (ORGANISERS_CHECKPOINT,), "retrieval": ()}

EXPERIMENT_SETS = {"captioning": CAPTIONING_EXPERIMENTS, "retrieval": RETRIEVAL_EXPERIMENTS}
METRIC_TITLES = {"captioning": CAPTIONING_METRIC_TITLES, "retrieval": RETRIEVAL_METRIC_TITLES}
# What the chapter asks each task's `run_chapter` for: the labels of its results.
CHAPTER_LABELS = {
    "captioning": tuple(captioning_book.CHAPTER_RUNS[CHAPTER]),
    "retrieval": tuple(retrieval_book.CHAPTER_RUNS[CHAPTER]),
}
# The metric each task's claims are judged on unless the claim names another.
DEFAULT_METRICS = {"captioning": "cider_d", "retrieval": "r10"}

SCORE = "score"
RELATIVE_CHANGE = "relative change (%)"


@dataclass(frozen=True)
class ReportedValue:
    """One number the report gives for a claim: where (`source`), whose (`system`), which
    `metric`, and whether it is a score or a relative change in per cent."""

    source: str
    system: str
    metric: str
    value: float
    kind: str = SCORE


@dataclass(frozen=True)
class Claim:
    """One claim of the report and the comparison of our runs that tests it."""

    id: str
    section: str
    statement: str  # the report's words, quoted
    task: str
    experiment: str
    reference: str
    metric: str
    direction: str
    evidence: tuple[ReportedValue, ...]
    kind: str = "reported"
    note: str = ""  # what a reader needs to weigh the claim (the report's slips, our choices)
    metric_title: str = field(init=False)

    def __post_init__(self) -> None:
        for value, allowed, what in (
            (self.task, TASKS, "task"),
            (self.direction, DIRECTIONS, "direction"),
            (self.kind, KINDS, "kind"),
        ):
            if value not in allowed:
                raise ValueError(f"claim {self.id}: unknown {what} {value!r}; known: {allowed}")
        titles = METRIC_TITLES[self.task]
        if self.metric not in titles:
            raise ValueError(f"claim {self.id}: unknown {self.task} metric {self.metric!r}")
        object.__setattr__(self, "metric_title", titles[self.metric])


# ----------------------------------------------------------------------------- the report's numbers
def table_value(number: int, epoch: int | None, system: str, metric: str) -> ReportedValue:
    """A captioning table's score at one epoch (`epoch` None: a table without epochs)."""
    value = report_table(number).at_epoch(epoch)[metric]
    where = f"Table {number}" if epoch is None else f"Table {number}, epoch {epoch}"
    return ReportedValue(where, system, metric, value)


def table_10_value(system: str, metric: str) -> ReportedValue:
    """A retrieval experiment's Table 10 score."""
    scores = report_scores(system)
    if scores is None:
        raise ValueError(f"Table 10 has no row for {system}")
    return ReportedValue("Table 10", system, metric, scores[metric])


# Sections 6.2.4 and 7 (the same sentence): "The scores of R1, R5, R10, and mAP10 are improved
# by 50%, 77.8%, 56.3%, 80% respectively" (sentence transformer against the baseline).
SENTENCE_TRANSFORMER_IMPROVEMENTS = {"r1": 50.0, "r5": 77.8, "r10": 56.3, "map10": 80.0}
TABLE_10_DECIMALS = 2  # Table 10 prints two decimals


def relative_change(new: float, old: float) -> float:
    return (new - old) / old * 100.0


def improvement_check(
    reported: dict[str, float] = SENTENCE_TRANSFORMER_IMPROVEMENTS,
    system: str = "sentence_transformer",
    reference: str = "baseline",
) -> pd.DataFrame:
    """The report's relative improvements against those its own Table 10 gives.

    Per metric: the report's per cent, Table 10's two scores, the change they give, and the
    range of changes that scores rounded to Table 10's two decimals allow (each true score
    within half a unit of the last decimal of the printed one). "agrees" says whether the
    report's figure is the printed scores' change (to the figure's own precision), only within
    the rounding, or outside it.
    """
    half = 0.5 * 10.0**-TABLE_10_DECIMALS
    rows = []
    for metric, percent in reported.items():
        new = table_10_value(system, metric).value
        old = table_10_value(reference, metric).value
        printed = relative_change(new, old)
        low = relative_change(new - half, old + half)
        high = relative_change(new + half, old - half)
        decimals = len(f"{percent:g}".partition(".")[2])
        if abs(printed - percent) <= 0.5 * 10.0**-decimals + 1e-9:
            agrees = "yes"
        elif low <= percent <= high:
            agrees = "only within the rounding"
        else:
            agrees = "no"
        rows.append(
            {
                "metric": RETRIEVAL_METRIC_TITLES[metric],
                "the report (%)": percent,
                f"Table 10 {reference}": old,
                f"Table 10 {system}": new,
                "change of the printed scores (%)": printed,
                # the same difference over the new score: a slip the figure may come from
                "over the new score (%)": (new - old) / new * 100.0,
                "range the rounding allows (%)": f"{low:.0f} to {high:.0f}",
                "agrees": agrees,
            }
        )
    return pd.DataFrame(rows).set_index("metric")


def improvement_sentence(check: pd.DataFrame) -> str:
    """What `improvement_check` finds, as one sentence: which of the report's figures are not
    the change of its printed scores, and whether the rounding allows them."""
    off = check[check["agrees"] != "yes"]
    if off.empty:
        return "every figure is the change of the printed scores of Table 10"
    parts = []
    for metric, row in off.iterrows():
        old, new = (row[c] for c in check.columns if c.startswith("Table 10"))
        allowed = "within" if row["agrees"] != "no" else "outside"
        parts.append(
            f"{metric}: the report says {row['the report (%)']:+g} %, its Table 10 prints "
            f"{old:g} → {new:g} ({row['change of the printed scores (%)']:+.1f} %; over the new "
            f"score {row['over the new score (%)']:+.1f} %), {allowed} the "
            f"{row['range the rounding allows (%)']} % the rounding allows"
        )
    return "; ".join(parts)


# ----------------------------------------------------------------------------- the claims
TableEpoch = tuple[int, int | None]  # a captioning table and the epoch read (None: no epochs)


def _captioning_tables(
    system: str, at: TableEpoch, reference: str, reference_at: TableEpoch
) -> tuple[ReportedValue, ...]:
    """The report's CIDEr-D of `system` and of `reference`, each from its table and epoch."""
    return (
        table_value(*at, system, "cider_d"),
        table_value(*reference_at, reference, "cider_d"),
    )


def _table_10(system: str, reference: str, metric: str = "r10") -> tuple[ReportedValue, ...]:
    return table_10_value(system, metric), table_10_value(reference, metric)


SECTION_7_EVENTS = (
    "including sound event vectors as an additional input to our models would provide valuable "
    "semantic information that would improve performance"
)
EVENT_SOURCES = ("tagger", "oracle", "panns")
SENTENCE_TRANSFORMER_STATEMENT = (
    "The scores of R1, R5, R10, and mAP10 are improved by 50%, 77.8%, 56.3%, 80% respectively"
)


def _captioning_claims() -> list[Claim]:
    adding_layers = (
        "Adding layers to both the audio adapter and transformer provided a significant "
        "increase in performance"
    )
    claims = [
        Claim(
            "6.1.1:crnn_encoder",
            "6.1.1",
            "The CRNN most likely struggled on the Clotho dataset",
            "captioning",
            "crnn_encoder",
            "baseline",
            "cider_d",
            "lower",
            _captioning_tables("crnn_encoder", (4, 1), "baseline", (2, 1)),
        ),
        Claim(
            "6.1.2:mean_all_hidden",
            "6.1.2",
            "the average of all the hidden states may have performed worse",
            "captioning",
            "mean_all_hidden",
            "baseline",
            "cider_d",
            "lower",
            _captioning_tables("mean_all_hidden", (5, 2), "baseline", (2, 2)),
        ),
        Claim(
            "6.1.2:mean_last2_hidden",
            "6.1.2",
            "a minor improvement in performance to the baseline model",
            "captioning",
            "mean_last2_hidden",
            "baseline",
            "cider_d",
            "higher",
            _captioning_tables("mean_last2_hidden", (6, 3), "baseline", (2, 3)),
            note=report_table(6).notes[0],
        ),
        Claim(
            "6.1.3:adapter2",
            "6.1.3",
            adding_layers,
            "captioning",
            "adapter2",
            "baseline",
            "cider_d",
            "higher",
            _captioning_tables("adapter2", (7, 3), "baseline", (2, 3)),
        ),
        Claim(
            "6.1.3:layers7",
            "6.1.3",
            adding_layers,
            "captioning",
            "layers7",
            "baseline",
            "cider_d",
            "higher",
            _captioning_tables("layers7", (8, 3), "baseline", (2, 3)),
        ),
        Claim(
            "6.1.4:final:organisers_checkpoint",
            "6.1.4",
            "our final architecture could not reach the performance of the baseline model with "
            "pre-trained weights",
            "captioning",
            "final",
            ORGANISERS_CHECKPOINT,
            "cider_d",
            "lower",
            _captioning_tables("final", (9, 20), ORGANISERS_CHECKPOINT, (1, None)),
            note="section 7 words it as metrics that 'approached the baseline'",
        ),
        Claim(
            "6.1.4:final",
            "6.1.4",
            "producing scores that we’re better than the scores of the baseline model trained "
            "from scratch",
            "captioning",
            "final",
            "baseline",
            "cider_d",
            "higher",
            _captioning_tables("final", (9, 3), "baseline", (2, 3)),
            note="the report compares the early epochs; its Table 2 stops at epoch 3",
        ),
    ]
    claims += [
        Claim(
            f"7:final_events_{source}",
            "7",
            SECTION_7_EVENTS,
            "captioning",
            f"final_events_{source}",
            "final",
            "cider_d",
            "higher",
            (),
            kind="proposed",
        )
        for source in EVENT_SOURCES
    ]
    return claims


def _retrieval_claims() -> list[Claim]:
    shared = "As expected, we did indeed get an improvement, though not a lot"
    claims = [
        Claim(
            "6.2.1:lstm",
            "6.2.1",
            "we didn't observe any significant gains from using an LSTM",
            "retrieval",
            "lstm",
            "baseline",
            "r10",
            "no gain",
            _table_10("lstm", "baseline"),
        ),
        Claim(
            "6.2.2:vggish_features",
            "6.2.2",
            "the model performed a bit poorly compared to the baseline",
            "retrieval",
            "vggish_features",
            "baseline",
            "r10",
            "lower",
            _table_10("vggish_features", "baseline"),
        ),
        Claim(
            "6.2.3:shared_space_512",
            "6.2.3",
            shared,
            "retrieval",
            "shared_space_512",
            "baseline",
            "r10",
            "higher",
            _table_10("shared_space_512", "baseline"),
            note="the report's code projects to 512 dimensions, its text says 1024",
        ),
        Claim(
            "6.2.3:shared_space_1024",
            "6.2.3",
            shared,
            "retrieval",
            "shared_space_1024",
            "baseline",
            "r10",
            "higher",
            _table_10("shared_space_1024", "baseline"),
            note="the report's text projects to 1024 dimensions, its code to 512",
        ),
    ]
    claims += [
        Claim(
            f"6.2.4:sentence_transformer:{metric}",
            "6.2.4",
            SENTENCE_TRANSFORMER_STATEMENT,
            "retrieval",
            "sentence_transformer",
            "baseline",
            metric,
            "higher",
            (
                *_table_10("sentence_transformer", "baseline", metric),
                ReportedValue(
                    "section 6.2.4", "sentence_transformer", metric, percent, RELATIVE_CHANGE
                ),  # fmt: skip
            ),
        )
        for metric, percent in SENTENCE_TRANSFORMER_IMPROVEMENTS.items()
    ]
    claims += [
        Claim(
            "6.2.4:report_sentence_transformer",
            "6.2.4",
            SENTENCE_TRANSFORMER_STATEMENT,
            "retrieval",
            "report_sentence_transformer",
            "report_baseline",
            "r10",
            "higher",
            _table_10("report_sentence_transformer", "report_baseline"),
            note="both rows as the report's code ran them (its fork of the baseline)",
        ),
        Claim(
            "6.2.5:bce_exp_euclidean",
            "6.2.5",
            "We think this loss could be better than the dot product",
            "retrieval",
            "bce_exp_euclidean",
            "baseline",
            "r10",
            "higher",
            (),
            kind="proposed",
            note="the report: 'there wasn't sufficient time to test this in practice'",
        ),
        Claim(
            "3.2:caption_based",
            "3.2",
            "we would use our model from the previous audio captioning task to first create "
            "captions for all audio files in our database",
            "retrieval",
            "caption_based",
            "baseline",
            "r10",
            "higher",
            (),
            kind="proposed",
            note="the report states the plan, not its effect: judged as a replacement that "
            "should beat the baseline",
        ),
    ]
    claims += [
        Claim(
            f"7:{row}_events_{source}",
            "7",
            SECTION_7_EVENTS,
            "retrieval",
            f"{row}_events_{source}",
            row,
            "r10",
            "higher",
            (),
            kind="proposed",
        )
        for row in ("baseline", "sentence_transformer")
        for source in EVENT_SOURCES
    ]
    return claims


CLAIMS: tuple[Claim, ...] = (*_captioning_claims(), *_retrieval_claims())


def claim(claim_id: str) -> Claim:
    """The claim of that id (`CLAIMS`)."""
    return lookup({c.id: c for c in CLAIMS}, claim_id, "claim")

"""The claims judged from our runs: the ledger table and the values of the chapter's summary.

`judge_claims` takes what the chapter's runs gave (`captioning.book.run_chapter` and
`retrieval.book.run_chapter`, label → `ExperimentResult`; the captioning results also hold the
organisers' checkpoint under `claims.ORGANISERS_CHECKPOINT`) and asks each task's display for
the paired difference of each claim: `captioning.display.paired_differences` (paired bootstrap
over evaluation clips) and `retrieval.display.paired_differences` (paired jackknife over
queries). `judge.judge` turns each difference into a verdict; the rest only formats.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from aacr_lib.captioning import display as captioning_display
from aacr_lib.conclusions.claims import CLAIMS, RELATIVE_CHANGE, Claim, ReportedValue
from aacr_lib.conclusions.judge import CONTRADICTED, INCONCLUSIVE, NA, SUPPORTED, judge
from aacr_lib.errors import AacrError, ConfigError
from aacr_lib.evaluation.bootstrap import DEFAULT_CONFIDENCE, PairedDifference
from aacr_lib.experiments import ExperimentResult
from aacr_lib.retrieval import display as retrieval_display

Results = Mapping[str, ExperimentResult]


@dataclass(frozen=True)
class JudgedClaim:
    """A claim, the titles of its two systems, our paired difference and the verdict; `reason`
    says why the verdict is n/a (empty otherwise)."""

    claim: Claim
    system_title: str
    reference_title: str
    difference: PairedDifference | None
    verdict: str
    reason: str = ""

    @property
    def label(self) -> str:
        """ "6.1.1 · CRNN encoder vs DCASE 2022 baseline (CIDEr-D)": a row of the forest plot."""
        c = self.claim
        return f"{c.section} · {self.system_title} vs {self.reference_title} ({c.metric_title})"


def _missing_run(result: ExperimentResult) -> str:
    return f"{result.title} has no run ({result.reason or 'no run'})"


def _difference(claim: Claim, system: ExperimentResult, reference: ExperimentResult,
                data_dir: Any) -> PairedDifference | None:  # fmt: skip
    """The claim's paired difference from its task's display (None when a run is missing)."""
    subset = {claim.experiment: system, claim.reference: reference}
    if claim.task == "captioning":
        differences = captioning_display.paired_differences(
            subset, data_dir, reference=claim.reference, metric=claim.metric
        )
    else:
        differences = retrieval_display.paired_differences(
            subset,
            reference=claim.reference,
            pairs={claim.experiment: claim.reference},
            metric=claim.metric,
        )
    return differences[claim.experiment]


def _results_of(claim: Claim, results: Results) -> tuple[ExperimentResult, ExperimentResult]:
    missing = [label for label in (claim.experiment, claim.reference) if label not in results]
    if missing:
        raise ConfigError(
            f"claim {claim.id} needs the {claim.task} results of {', '.join(missing)}; the "
            f"chapter's runs have {', '.join(results) or 'none'}"
        )
    return results[claim.experiment], results[claim.reference]


def judge_claim(claim: Claim, results: Results, data_dir: str | Path | None = None) -> JudgedClaim:
    """One claim judged from its task's results (label → `ExperimentResult`); `data_dir` holds
    the captioning references (the captioning claims need it)."""
    system, reference = _results_of(claim, results)
    titles = (system.title, reference.title)
    missing = [_missing_run(r) for r in (system, reference) if r.run is None]
    if missing:
        return JudgedClaim(claim, *titles, None, NA, "; ".join(missing))
    if claim.task == "captioning" and data_dir is None:
        raise ConfigError(f"claim {claim.id}: captioning claims need the data directory")
    try:
        difference = _difference(claim, system, reference, data_dir)
    except AacrError as exc:  # a run without its outputs, runs on other splits, no Java
        return JudgedClaim(claim, *titles, None, NA, str(exc))
    verdict = judge(difference, claim.direction)
    reason = "" if verdict != NA else "the paired difference has no interval (too few items)"
    return JudgedClaim(claim, *titles, difference, verdict, reason)


def judge_claims(
    captioning: Results,
    retrieval: Results,
    data_dir: str | Path | None,
    claims: Sequence[Claim] = CLAIMS,
) -> list[JudgedClaim]:
    """Every claim judged from the chapter's runs of its task, in the order of `claims`."""
    results = {"captioning": captioning, "retrieval": retrieval}
    return [judge_claim(claim, results[claim.task], data_dir) for claim in claims]


# ----------------------------------------------------------------------------- the ledger table
def _scores_text(values: Sequence[ReportedValue]) -> str:
    """ "Table 4, epoch 1: 0.031 vs Table 2, epoch 1: 0.103"; one source named once
    ("Table 10: 0.15 vs 0.16")."""
    if len({v.source for v in values}) == 1:
        return f"{values[0].source}: {' vs '.join(f'{v.value:g}' for v in values)}"
    return " vs ".join(f"{v.source}: {v.value:g}" for v in values)


def evidence_text(claim: Claim) -> str:
    """The report's numbers for a claim, the system's first: "Table 4, epoch 1: 0.031 vs
    Table 2, epoch 1: 0.103 (CIDEr-D)", then any relative change it states ("section 6.2.4:
    +50 %"); "never run" for a proposal."""
    if not claim.evidence:
        return "never run" if claim.kind == "proposed" else "no number"
    scores = [v for v in claim.evidence if v.kind != RELATIVE_CHANGE]
    parts = [f"{_scores_text(scores)} ({claim.metric_title})"] if scores else []
    parts += [f"{v.source}: {v.value:+g} %" for v in claim.evidence if v.kind == RELATIVE_CHANGE]
    return "; ".join(parts)


def difference_text(difference: PairedDifference | None) -> str:
    """ "+0.123 [+0.050, +0.190]": the difference and its interval; "n/a" without one."""
    if difference is None:
        return NA
    low, high = difference.interval
    return f"{difference.difference:+.3f} [{low:+.3f}, {high:+.3f}]"


def ledger_table(judged: Sequence[JudgedClaim]) -> pd.DataFrame:
    """One row per claim (index: its id): the report's words, section and kind, what is
    compared and expected, the report's numbers, our paired difference (system minus reference)
    with its 95 % interval and the number of seeds behind it, the verdict and, for n/a, why."""
    confidence = f"{DEFAULT_CONFIDENCE:.0%}"
    ours = f"ours: Δ [{confidence} interval]"
    rows = []
    for item in judged:
        c = item.claim
        rows.append(
            {
                "claim": c.id,
                "the report says": f"“{c.statement}”",
                "section": c.section,
                "kind": c.kind,
                "compared": f"{item.system_title} vs {item.reference_title}",
                "metric": c.metric_title,
                "expected": c.direction,
                "the report's evidence": evidence_text(c),
                ours: difference_text(item.difference),
                "seeds": NA if item.difference is None else item.difference.seeds,
                "verdict": item.verdict,
                "note": "; ".join(part for part in (item.reason, c.note) if part),
            }
        )
    columns = ["claim", "the report says", "section", "kind", "compared", "metric", "expected",
               "the report's evidence", ours, "seeds", "verdict", "note"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns).set_index("claim")


# ----------------------------------------------------------------------------- the summary
def verdict_counts(judged: Sequence[JudgedClaim]) -> dict[str, int]:
    counts = {verdict: 0 for verdict in (SUPPORTED, CONTRADICTED, INCONCLUSIVE, NA)}
    for item in judged:
        counts[item.verdict] += 1
    return counts


def verdict_table(judged: Sequence[JudgedClaim]) -> pd.DataFrame:
    """How many claims got each verdict: one row per kind (reported, proposed) and "all"."""
    rows = {
        kind: verdict_counts([j for j in judged if j.claim.kind == kind])
        for kind in ("reported", "proposed")
    }
    rows["all"] = verdict_counts(judged)
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "claims"
    return frame


def largest_effect(judged: Sequence[JudgedClaim], task: str) -> JudgedClaim | None:
    """The claim of `task` whose difference is largest in size (None: no difference)."""
    measured = [
        j
        for j in judged
        if j.claim.task == task
        and j.difference is not None
        and not math.isnan(j.difference.difference)
    ]
    return max(measured, key=lambda j: abs(j.difference.difference), default=None)


def effect_sentence(item: JudgedClaim | None, task: str) -> str:
    """ "Final architecture vs DCASE 2022 baseline (section 6.1.4, expected higher): CIDEr-D
    +0.123 [+0.050, +0.190] over one seed, supported"; n/a when nothing was measured."""
    if item is None:
        return f"n/a (no {task} claim has both runs)"
    c = item.claim
    seeds = item.difference.seeds
    over = f"{seeds} seeds" if seeds != 1 else "one seed"
    return (
        f"{item.system_title} vs {item.reference_title} (section {c.section}, expected "
        f"{c.direction}): {c.metric_title} {difference_text(item.difference)} over {over}, "
        f"{item.verdict}"
    )


def summary_values(judged: Sequence[JudgedClaim]) -> dict[str, Any]:
    """The values the chapter's summary glues: how many claims, of each kind, of each verdict
    (`verdict_table` splits them by kind), and per task the largest effect as a sentence with
    its difference, interval and verdict."""
    counts = verdict_counts(judged)
    values: dict[str, Any] = {
        "claims_total": len(judged),
        "claims_reported": sum(j.claim.kind == "reported" for j in judged),
        "claims_proposed": sum(j.claim.kind == "proposed" for j in judged),
        "claims_supported": counts[SUPPORTED],
        "claims_contradicted": counts[CONTRADICTED],
        "claims_inconclusive": counts[INCONCLUSIVE],
        "claims_na": counts[NA],
    }
    for task in ("captioning", "retrieval"):
        largest = largest_effect(judged, task)
        values[f"largest_{task}"] = effect_sentence(largest, task)
        values[f"largest_{task}_verdict"] = NA if largest is None else largest.verdict
    return values


def summary_text(values: Mapping[str, Any]) -> str:
    """The summary as one Markdown paragraph (for a terminal or a test; the chapter glues the
    same values into its own prose)."""
    return (
        f"Of the {values['claims_total']} claims ({values['claims_reported']} the report ran, "
        f"{values['claims_proposed']} it only proposed), our runs support "
        f"{values['claims_supported']}, contradict {values['claims_contradicted']} and leave "
        f"{values['claims_inconclusive']} inconclusive; {values['claims_na']} are n/a. "
        f"The largest captioning effect: {values['largest_captioning']}. The largest retrieval "
        f"effect: {values['largest_retrieval']}."
    )

"""The claims ledger as data: every claim names registered experiments and metrics, the claims
the brief of chapter 09 asks for are there, and the report's numbers agree with each claim."""

from __future__ import annotations

import pytest

from aacr_lib.captioning.report_tables import table_for_experiment
from aacr_lib.conclusions.claims import (
    CHAPTER_LABELS,
    CLAIMS,
    EXPERIMENT_SETS,
    METRIC_TITLES,
    ORGANISERS_CHECKPOINT,
    RELATIVE_CHANGE,
    SCORE,
    SYSTEMS,
    Claim,
    ReportedValue,
    claim,
    improvement_check,
    improvement_sentence,
)
from aacr_lib.retrieval.report_tables import report_scores


@pytest.mark.parametrize("item", CLAIMS, ids=[c.id for c in CLAIMS])
def test_each_claim_names_registered_experiments_and_a_known_metric(item):
    registry = EXPERIMENT_SETS[item.task]
    for name in (item.experiment, item.reference):
        assert name in registry.names() or name in SYSTEMS[item.task], name
        # the chapter's runs hold it (the organisers' checkpoint is scored beside them)
        assert name in CHAPTER_LABELS[item.task] or name == ORGANISERS_CHECKPOINT, name
    assert item.metric in METRIC_TITLES[item.task]
    assert item.statement and item.section


def test_claim_ids_are_unique_and_found():
    ids = [c.id for c in CLAIMS]
    assert len(ids) == len(set(ids))
    assert claim("6.2.1:lstm").experiment == "lstm"


EXPECTED = {
    # (task, system, reference, metric, direction, kind)
    ("captioning", "crnn_encoder", "baseline", "cider_d", "lower", "reported"),
    ("captioning", "mean_all_hidden", "baseline", "cider_d", "lower", "reported"),
    ("captioning", "mean_last2_hidden", "baseline", "cider_d", "higher", "reported"),
    ("captioning", "adapter2", "baseline", "cider_d", "higher", "reported"),
    ("captioning", "layers7", "baseline", "cider_d", "higher", "reported"),
    ("captioning", "final", ORGANISERS_CHECKPOINT, "cider_d", "lower", "reported"),
    ("captioning", "final", "baseline", "cider_d", "higher", "reported"),
    ("retrieval", "lstm", "baseline", "r10", "no gain", "reported"),
    ("retrieval", "vggish_features", "baseline", "r10", "lower", "reported"),
    ("retrieval", "shared_space_512", "baseline", "r10", "higher", "reported"),
    ("retrieval", "shared_space_1024", "baseline", "r10", "higher", "reported"),
    *(
        ("retrieval", "sentence_transformer", "baseline", metric, "higher", "reported")
        for metric in ("r1", "r5", "r10", "map10")
    ),
    ("retrieval", "bce_exp_euclidean", "baseline", "r10", "higher", "proposed"),
    ("retrieval", "caption_based", "baseline", "r10", "higher", "proposed"),
    *(
        ("captioning", f"final_events_{source}", "final", "cider_d", "higher", "proposed")
        for source in ("tagger", "oracle", "panns")
    ),
    *(
        ("retrieval", f"{row}_events_{source}", row, "r10", "higher", "proposed")
        for row in ("baseline", "sentence_transformer")
        for source in ("tagger", "oracle", "panns")
    ),
}


def test_the_ledger_holds_every_claim_of_sections_6_and_7():
    found = {(c.task, c.experiment, c.reference, c.metric, c.direction, c.kind) for c in CLAIMS}
    assert EXPECTED <= found, EXPECTED - found


def _has_report_numbers(item: Claim) -> bool:
    if item.task == "captioning":
        return table_for_experiment(item.experiment) is not None
    return report_scores(item.experiment) is not None


@pytest.mark.parametrize("item", CLAIMS, ids=[c.id for c in CLAIMS])
def test_a_proposal_is_what_the_report_never_ran(item):
    assert (item.kind == "proposed") == (not _has_report_numbers(item))
    assert (item.kind == "proposed") == (not item.evidence)


@pytest.mark.parametrize(
    "item", [c for c in CLAIMS if c.evidence], ids=[c.id for c in CLAIMS if c.evidence]
)
def test_the_reports_numbers_go_the_way_its_claim_says(item):
    """The system's number first, the reference's second, on the claim's metric; their order
    is the claim's direction (a relative change, where given, has the same sign)."""
    scores = [v for v in item.evidence if v.kind == SCORE]
    system, reference = scores
    assert (system.system, reference.system) == (item.experiment, item.reference)
    assert system.metric == reference.metric == item.metric
    if item.direction == "higher":
        assert system.value > reference.value
    elif item.direction == "lower":
        assert system.value < reference.value
    else:
        assert system.value <= reference.value
    for change in (v for v in item.evidence if v.kind == RELATIVE_CHANGE):
        assert (change.value > 0) == (item.direction == "higher")


def test_a_claim_refuses_an_unknown_metric_or_direction():
    with pytest.raises(ValueError, match="unknown captioning metric"):
        Claim("x", "6.1.1", "words", "captioning", "crnn_encoder", "baseline", "r10", "lower", ())
    with pytest.raises(ValueError, match="unknown direction"):
        Claim("x", "6.1.1", "words", "captioning", "crnn_encoder", "baseline", "cider_d", "up", ())


def test_the_reports_percentages_against_its_table_10():
    check = improvement_check()
    assert list(check.index) == ["R@1", "R@5", "R@10", "mAP@10"]
    # 77.8, 56.3 and 80 % are the changes of the printed scores; R@1's 50 % is not (0.02 →
    # 0.04 is +100 %), though scores rounded to two decimals allow it
    assert list(check["agrees"]) == ["only within the rounding", "yes", "yes", "yes"]
    assert check.loc["R@1", "change of the printed scores (%)"] == pytest.approx(100.0)
    assert check.loc["R@1", "over the new score (%)"] == pytest.approx(50.0)
    sentence = improvement_sentence(check)
    assert sentence.startswith("R@1: the report says +50 %") and "R@10" not in sentence


def test_a_percentage_outside_the_rounding_is_flagged():
    check = improvement_check({"r10": 120.0, "r5": 77.8})
    assert list(check["agrees"]) == ["no", "yes"]
    assert "outside" in improvement_sentence(check)
    assert improvement_sentence(improvement_check({"r5": 77.8})).startswith("every figure")


def test_a_reported_value_keeps_its_source():
    value = ReportedValue("Table 10", "lstm", "r10", 0.15)
    assert value.kind == SCORE and value.source == "Table 10"

"""Claims judged from fabricated run directories, through the chapter's own path
(`ledger.judge_claims` → the tasks' `display.paired_differences` → `judge`): the verdict
follows the runs, a claim without its runs is n/a with the reason, and the table, the summary
and the forest plot show what was judged."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from aacr_lib.conclusions import ledger  # noqa: E402
from aacr_lib.conclusions.claims import ORGANISERS_CHECKPOINT, claim  # noqa: E402
from aacr_lib.conclusions.judge import CONTRADICTED, NA, SUPPORTED  # noqa: E402
from aacr_lib.conclusions.plots import plot_forest  # noqa: E402
from aacr_lib.errors import ConfigError  # noqa: E402
from tests.fabricate_runs import (  # noqa: E402
    RIGHT_CAPTIONS,
    WRONG_CAPTIONS,
    captioning_result,
    missing,
    retrieval_result,
    write_evaluation_split,
)

SENTENCE_TRANSFORMER = claim("6.2.4:sentence_transformer:r10")  # expects higher
LSTM = claim("6.2.1:lstm")  # expects no gain
CRNN = claim("6.1.1:crnn_encoder")  # expects lower
FINAL_VS_CHECKPOINT = claim("6.1.4:final:organisers_checkpoint")
RETRIEVAL_CLAIMS = [SENTENCE_TRANSFORMER, LSTM]


def retrieval_set(root, sentence_transformer: str, lstm: str) -> dict:
    """A baseline that ranks at random, and the two systems ranking as asked."""
    return {
        "baseline": retrieval_result(root, "baseline", "Baseline", "random"),
        "sentence_transformer": retrieval_result(
            root, "sentence_transformer", "Sentence transformer", sentence_transformer, seed=1
        ),
        "lstm": retrieval_result(root, "lstm", "LSTM", lstm, seed=0),
    }


def test_a_retrieval_verdict_flips_when_the_runs_change(tmp_path):
    # first set: the sentence transformer ranks perfectly, the LSTM as the baseline does
    first = retrieval_set(tmp_path / "first", sentence_transformer="perfect", lstm="random")
    judged = ledger.judge_claims({}, first, None, claims=RETRIEVAL_CLAIMS)
    assert [j.verdict for j in judged] == [SUPPORTED, SUPPORTED]
    assert judged[0].difference.difference > 0 and judged[1].difference.difference == 0
    # second set: the sentence transformer ranks at random, the LSTM perfectly
    second = retrieval_set(tmp_path / "second", sentence_transformer="random", lstm="perfect")
    judged = ledger.judge_claims({}, second, None, claims=RETRIEVAL_CLAIMS)
    # random against random: another seed's ranking, not reliably better
    assert judged[0].verdict != SUPPORTED
    assert judged[1].verdict == CONTRADICTED  # a gain beyond doubt contradicts "no gain"
    # and a sentence transformer worse beyond doubt contradicts "higher"
    third = {
        "baseline": retrieval_result(tmp_path / "third", "baseline", "Baseline", "perfect"),
        "sentence_transformer": first["baseline"],
    }
    (judged,) = ledger.judge_claims({}, third, None, claims=[SENTENCE_TRANSFORMER])
    assert judged.verdict == CONTRADICTED and judged.difference.interval[1] < 0


@pytest.mark.java
def test_a_captioning_verdict_flips_when_the_runs_change(tmp_path):
    data = write_evaluation_split(tmp_path / "data")

    def judged_crnn(root, crnn_captions, baseline_captions):
        captioners = {
            "crnn_encoder": captioning_result(root, "crnn_encoder", "CRNN", crnn_captions),
            "baseline": captioning_result(root, "baseline", "Baseline", baseline_captions),
        }
        (judged,) = ledger.judge_claims(captioners, {}, data, claims=[CRNN])
        return judged

    worse = judged_crnn(tmp_path / "first", WRONG_CAPTIONS, RIGHT_CAPTIONS)
    assert worse.verdict == SUPPORTED and worse.difference.interval[1] < 0
    better = judged_crnn(tmp_path / "second", RIGHT_CAPTIONS, WRONG_CAPTIONS)
    assert better.verdict == CONTRADICTED and better.difference.interval[0] > 0
    assert better.difference.seeds >= 1


def test_a_claim_without_its_run_is_na_with_the_reason(tmp_path):
    captioners = {
        "final": missing("final", "Final architecture", "not trained yet"),
        ORGANISERS_CHECKPOINT: missing(
            ORGANISERS_CHECKPOINT, "organisers' checkpoint", "trained on Clotho VGGish features"
        ),
    }
    (judged,) = ledger.judge_claims(captioners, {}, tmp_path, claims=[FINAL_VS_CHECKPOINT])
    assert judged.verdict == NA and judged.difference is None
    assert "not trained yet" in judged.reason and "Clotho VGGish" in judged.reason


def test_a_run_without_its_outputs_is_na_with_the_reason(tmp_path):
    runs = retrieval_set(tmp_path, sentence_transformer="perfect", lstm="random")
    (runs["lstm"].run.path / "submission.csv").unlink()
    (judged,) = ledger.judge_claims({}, runs, None, claims=[LSTM])
    assert judged.verdict == NA and "no ranking to score" in judged.reason


def test_a_claim_whose_system_was_not_asked_for_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="needs the retrieval results of lstm"):
        ledger.judge_claims({}, {"baseline": missing("baseline", "B", "x")}, None, [LSTM])


@pytest.fixture
def judged(tmp_path):
    runs = retrieval_set(tmp_path, sentence_transformer="perfect", lstm="random")
    runs["vggish_features"] = missing("vggish_features", "VGGish features", "no VGGish weights")
    claims = [*RETRIEVAL_CLAIMS, claim("6.2.2:vggish_features")]
    return ledger.judge_claims({}, runs, None, claims=claims)


def test_the_ledger_table_shows_the_reports_numbers_ours_and_the_verdict(judged):
    table = ledger.ledger_table(judged)
    assert list(table.index) == [j.claim.id for j in judged]
    ours = "ours: Δ [95% interval]"
    assert list(table.columns) == ["the report says", "section", "kind", "compared", "metric",
                                   "expected", "the report's evidence", ours, "seeds",
                                   "verdict", "note"]  # fmt: skip
    row = table.loc[SENTENCE_TRANSFORMER.id]
    assert row["the report's evidence"] == ("Table 10: 0.25 vs 0.16 (R@10); section 6.2.4: +56.3 %")
    difference = judged[0].difference
    low, high = difference.interval
    assert row[ours] == f"{difference.difference:+.3f} [{low:+.3f}, {high:+.3f}]"
    assert row["seeds"] == difference.seeds and row["verdict"] == SUPPORTED
    assert row["compared"] == "Sentence transformer vs Baseline"
    vggish = table.loc["6.2.2:vggish_features"]
    assert vggish[ours] == "n/a" and vggish["seeds"] == "n/a" and vggish["verdict"] == NA
    assert vggish["note"] == "VGGish features has no run (no VGGish weights)"


def test_the_summary_counts_the_verdicts_and_names_the_largest_effect(judged):
    values = ledger.summary_values(judged)
    assert values["claims_total"] == 3 and values["claims_reported"] == 3
    assert values["claims_supported"] == 2 and values["claims_na"] == 1
    assert values["claims_contradicted"] == values["claims_inconclusive"] == 0
    table = ledger.verdict_table(judged)
    assert list(table.index) == ["reported", "proposed", "all"]
    assert list(table.columns) == [SUPPORTED, CONTRADICTED, "inconclusive", NA]
    assert table.loc["reported", SUPPORTED] == 2 and table.loc["reported", NA] == 1
    assert table.loc["proposed"].sum() == 0 and table.loc["all"].sum() == 3
    # the sentence transformer's gain is the largest (the LSTM's difference is zero)
    assert values["largest_retrieval"].startswith("Sentence transformer vs Baseline (section")
    assert values["largest_retrieval"].endswith(", supported")
    assert values["largest_retrieval_verdict"] == SUPPORTED
    assert values["largest_captioning"].startswith("n/a")
    text = ledger.summary_text(values)
    assert "Of the 3 claims" in text and "support 2" in text


def test_the_forest_plot_has_a_row_per_claim(judged):
    figure = plot_forest(judged)
    (axis,) = figure.axes
    labels = [tick.get_text() for tick in axis.get_yticklabels()]
    assert labels == [j.label for j in reversed(judged)]
    assert "6.2.2 · VGGish features vs Baseline (R@10)" in labels
    assert any(text.get_text() == "n/a" for text in axis.texts)  # the row without runs

"""The report's claims judged from our runs (chapter 09).

- `claims`: the claims as data (`Claim`: the report's words, section, the comparison of our
  runs that tests it, the expected direction, the report's own numbers), and the check of the
  report's relative improvements against its Table 10;
- `judge`: the verdict on one claim from one paired difference (pure);
- `ledger`: every claim judged through the tasks' `display.paired_differences`, the ledger
  table and the summary's values;
- `plots`: the forest plot of the differences.
"""

from aacr_lib.conclusions.claims import CLAIMS, Claim, ReportedValue, improvement_check
from aacr_lib.conclusions.judge import judge
from aacr_lib.conclusions.ledger import (
    JudgedClaim,
    judge_claims,
    ledger_table,
    summary_text,
    summary_values,
    verdict_table,
)
from aacr_lib.conclusions.plots import plot_forest

__all__ = [
    "CLAIMS",
    "Claim",
    "JudgedClaim",
    "ReportedValue",
    "improvement_check",
    "judge",
    "judge_claims",
    "ledger_table",
    "plot_forest",
    "summary_text",
    "summary_values",
    "verdict_table",
]

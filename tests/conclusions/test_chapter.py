"""Chapter 09 glues every name its text uses: the literal glue() calls and the keys of
`ledger.summary_values`, which its code cell glues in a loop."""

from __future__ import annotations

import json
import re

from aacr_lib.conclusions import ledger
from aacr_lib.conclusions.claims import CLAIMS
from aacr_lib.conclusions.judge import NA
from tests.conftest import REPO_ROOT

CHAPTER = REPO_ROOT / "notebooks" / "09_conclusions.ipynb"
GLUE_ROLE = re.compile(r"\{glue(?::\w*)?\}`([^`:]+)(?::[^`]*)?`")
GLUE_CALL = re.compile(r"\bglue\(\s*[\"']([^\"']+)[\"']")


def test_every_glued_name_of_the_text_is_glued_by_the_chapter():
    cells = json.loads(CHAPTER.read_text())["cells"]
    sources = {kind: [] for kind in ("code", "markdown")}
    for cell in cells:
        sources[cell["cell_type"]].append("".join(cell["source"]))
    used = {name for text in sources["markdown"] for name in GLUE_ROLE.findall(text)}
    literal = {name for text in sources["code"] for name in GLUE_CALL.findall(text)}
    assert any("ledger.summary_values(judged)" in text for text in sources["code"])
    no_runs = [ledger.JudgedClaim(c, c.experiment, c.reference, None, NA, "no run") for c in CLAIMS]
    summary = set(ledger.summary_values(no_runs))
    assert used and used <= literal | summary, used - literal - summary
    assert {"profile", "dataset"} <= literal  # the chapter names what produced it

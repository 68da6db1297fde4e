"""What the chapters import before they train or decode: no transformers.

Each chapter kernel imports the task books and displays, and `aacr book` plans every chapter's
runs in its main process; reopening finished runs and showing their tables needs no model code.
transformers (and the BART network on top of it) costs seconds per process, so it is imported
only by the modules that build a model: training, decoding, inference.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# what a chapter's first cell and `aacr book`'s planning import
CHAPTER_MODULES = (
    "aacr_lib.book",
    "aacr_lib.captioning.book",
    "aacr_lib.captioning.display",
    "aacr_lib.captioning.experiments",
    "aacr_lib.retrieval.book",
    "aacr_lib.retrieval.display",
    "aacr_lib.tagging.book",
    "aacr_lib.conclusions.ledger",
    "aacr_lib.literature.display",
)
MODEL_MODULES = ("transformers", "aacr_lib.models.captioning.network")


def loaded_after(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running `code`."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("module", CHAPTER_MODULES)
def test_a_chapter_module_loads_no_model_code(module):
    loaded = loaded_after(f"import {module}")
    assert module in loaded
    assert not [name for name in MODEL_MODULES if name in loaded], (
        f"importing {module} loads the model code; import it inside the function that needs it"
    )


def test_the_probe_sees_model_code_when_it_is_imported():
    # the test above would pass for any module if the probe could not see an import
    assert "transformers" in loaded_after("import aacr_lib.captioning.run")


def test_reopening_a_finished_captioning_run_loads_no_model_code(tmp_path):
    from aacr_lib.captioning.experiments import resolve_config
    from aacr_lib.profiles import notebook_context
    from aacr_lib.runs import RunDir, create_run, run_path

    context = notebook_context("demo", None, str(tmp_path), "cpu", True)
    config = resolve_config(
        "baseline", context.run_profile, None, context.overrides_for("captioning")
    )
    create_run("captioning", "baseline", config, 0, "cpu", tmp_path)
    run = RunDir(run_path("captioning", "baseline", config, tmp_path))
    run.write_metrics({"cider_d": 0.5})
    run.finish()
    code = (
        "from aacr_lib.captioning import book\n"
        "from aacr_lib.profiles import notebook_context\n"
        f"context = notebook_context('demo', None, {str(tmp_path)!r}, 'cpu', True)\n"
        "result = book.run_experiment(context, 'baseline')\n"
        f"assert result.reused and str(result.run.path) == {str(run.path)!r}, result\n"
    )
    assert "transformers" not in loaded_after(code)

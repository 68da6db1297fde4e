"""No number is typed into the book's prose: every markdown cell of every notebook and every page
of `book/` follows `aacr_lib.prose`'s rule, and every glued number is computed above its text."""

from __future__ import annotations

import json
import re

import pytest

from aacr_lib.prose import unmarked_numbers
from tests.conftest import REPO_ROOT

NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))
PAGES = sorted((REPO_ROOT / "book").glob("*.md"))

HOW_TO_FIX = (
    "glue the number from the run or the library (myst_nb.glue in a code cell above, "
    "{glue:text}`name` in the text), write a small count as a word, or quote it with its source"
)
# {glue}`key`, {glue:}`key`, {glue:text}`key:.3f`: the key is what comes before the format
_GLUE_ROLE = re.compile(r"\{glue(?::\w*)?\}`([^`:]+)(?::[^`]*)?`")
_GLUE_CALL = re.compile(r"\bglue\(\s*[\"']([^\"']+)[\"']")
_ANY_GLUE_CALL = re.compile(r"\bglue\(")


def _cells(notebook):
    return json.loads(notebook.read_text())["cells"]


def test_there_is_prose_to_check():
    assert NOTEBOOKS and PAGES


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_notebook_prose_has_no_typed_numbers(notebook):
    found = [
        f"cell {index}: {number}"
        for index, cell in enumerate(_cells(notebook))
        if cell["cell_type"] == "markdown"
        for number in unmarked_numbers("".join(cell["source"]))
    ]
    assert not found, f"{notebook.name}, {HOW_TO_FIX}:\n" + "\n".join(found)


@pytest.mark.parametrize("page", PAGES, ids=[path.name for path in PAGES])
def test_book_page_has_no_typed_numbers(page):
    found = unmarked_numbers(page.read_text())
    assert not found, f"book/{page.name}, {HOW_TO_FIX}:\n" + "\n".join(found)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_every_glued_name_is_computed_in_a_code_cell_above_its_text(notebook):
    # A glue() whose name is not a literal (a loop over a library's dict) may glue any name:
    # from there on only the executed notebook can tell (tests/test_notebooks.py runs it).
    glued: set[str] = set()
    named_at_run_time = False
    missing = []
    for index, cell in enumerate(_cells(notebook)):
        source = "".join(cell["source"])
        if cell["cell_type"] == "code":
            glued.update(_GLUE_CALL.findall(source))
            named_at_run_time |= len(_GLUE_CALL.findall(source)) < len(
                _ANY_GLUE_CALL.findall(source)
            )
        elif cell["cell_type"] == "markdown" and not named_at_run_time:
            missing += [
                f"cell {index}: {key}" for key in _GLUE_ROLE.findall(source) if key not in glued
            ]
    assert not missing, f"{notebook.name}: glued names used before any glue() call:\n" + "\n".join(
        missing
    )

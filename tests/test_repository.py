"""Repository hygiene that CI enforces: clean notebooks, the conda file in sync, the README."""

from __future__ import annotations

import json
import re
import subprocess

import tomllib
import yaml

from aacr_lib.book import discover_notebooks
from tests.conftest import REPO_ROOT

PARAMETER_NAMES = ["profile", "data_root", "runs_root", "device", "smoke", "overrides"]


def test_notebooks_are_committed_without_outputs():
    dirty = []
    for path in sorted((REPO_ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        for index, cell in enumerate(cells):
            if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count")):
                dirty.append(f"{path.name} cell {index}")
    assert not dirty, f"strip outputs before committing: {dirty}"


def test_every_notebook_starts_with_the_parameters_cell():
    for path in discover_notebooks(REPO_ROOT):
        cells = json.loads(path.read_text())["cells"]
        code = [cell for cell in cells if cell["cell_type"] == "code"]
        first = code[0]
        assert "parameters" in first["metadata"].get("tags", []), path.name
        names = [line.split("=")[0].strip() for line in "".join(first["source"]).splitlines()]
        assert names == PARAMETER_NAMES, path.name


def test_every_numbered_notebook_is_in_the_table_of_contents():
    toc = (REPO_ROOT / "_toc.yml").read_text()
    for path in discover_notebooks(REPO_ROOT):
        assert f"notebooks/{path.stem}" in toc, f"{path.name} missing from _toc.yml"


def test_environment_yml_lists_the_same_requirements_as_pyproject():
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    wanted = set(project["dependencies"]) | set(project["optional-dependencies"]["dev"])
    environment = yaml.safe_load((REPO_ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in environment["dependencies"] if isinstance(d, dict))
    listed = {entry for entry in pip_section if not entry.startswith("-e")}
    assert listed == wanted


def test_readme_names_the_two_setup_commands():
    readme = (REPO_ROOT / "README.md").read_text()
    assert "make book" in readme and "make test" in readme
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert "\nbook:" in makefile and "\ntest:" in makefile


def test_nothing_in_the_repository_refers_to_files_outside_it():
    """A clone is self-contained: no path climbs out of the repository, no pointer to notes
    that only existed beside the checkout (the report is cited through book/references.bib)."""
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    outside = re.compile(r"\.\./shared|\.\./seed|reference notes|/work/|/home/|/root/")
    offenders = []
    for name in tracked:
        path = REPO_ROOT / name
        if path.suffix in {".py", ".md", ".ipynb", ".yml", ".yaml", ".toml", ".bib", ".cfg"} or (
            path.name in ("Makefile",)
        ):
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                if outside.search(line) and "test_nothing_in_the_repository" not in line:
                    offenders.append(f"{name}:{number}: {line.strip()[:80]}")
    offenders = [o for o in offenders if not o.startswith("tests/test_repository.py")]
    assert not offenders, "\n".join(offenders)


def test_the_report_is_cited_through_the_bibliography():
    bibliography = (REPO_ROOT / "book" / "references.bib").read_text()
    entry = bibliography.split("gomes2022report", 1)[1].split("\n}", 1)[0]
    for field in ("title", "author", "institution", "year"):
        assert f"{field} =" in entry
    assert "{cite}`gomes2022report`" in (REPO_ROOT / "book" / "intro.md").read_text()

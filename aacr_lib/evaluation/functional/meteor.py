"""METEOR 1.5 (the jar shipped by `pycocoevalcap`), one JVM for the whole corpus.

The protocol is the official wrapper's: one `SCORE ||| ref_1 ||| ... ||| hyp` line per clip
returns that clip's sufficient statistics; one `EVAL ||| stats_1 ||| ... ||| stats_N` line returns
the N per-clip scores and then the corpus score. The JVM loads its paraphrase table for a few
seconds when it starts, so `MeteorProcess` can be started early and scored later.

`meteor_from_stats` recomputes the score from sufficient statistics in Python (Meteor's
`MeteorScorer.computeMetrics` and `MeteorStats.addStats`, English ranking parameters). The
reported numbers always come from the JVM; the Python formula serves the bootstrap, which needs
the corpus score of thousands of resampled corpora.

`shared_meteor` keeps one JVM per Python process and Java runtime alive between calls: a
notebook or training run that scores many systems pays the paraphrase-table load (about ten
seconds) once instead of once per call. The JVM holds no state between `SCORE`/`EVAL` batches,
so reusing it gives the same numbers as a fresh one.
"""

from __future__ import annotations

import atexit
import contextlib
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence

import numpy as np

from aacr_lib.errors import AacrError
from aacr_lib.evaluation.java import METEOR_JAVA, JavaRuntime, find_java
from aacr_lib.evaluation.resources import pycocoevalcap_file

METEOR_JAR = "meteor/meteor-1.5.jar"
METEOR_MEMORY = "-Xmx2G"  # as the official wrapper

# Meteor 1.5, language "en", task "rank" (the default): alpha, beta, gamma, delta and the weights
# of the exact, stem, synonym and paraphrase modules (edu.cmu.meteor.util.Constants).
ALPHA, BETA, GAMMA, DELTA = 0.85, 0.20, 0.60, 0.75
MODULE_WEIGHTS = np.array([1.0, 0.6, 0.8, 0.6])
N_STATS = 23  # test/ref length, test/ref function words, 4 x 4 stage matches, chunks, word matches


class MeteorError(AacrError):
    """The METEOR JVM died or answered something unexpected."""


class MeteorProcess:
    """A running METEOR JVM. Use as a context manager, or call `close()`."""

    def __init__(self, java: JavaRuntime | None = None) -> None:
        self.java = java or find_java(METEOR_JAVA)
        jar = pycocoevalcap_file(METEOR_JAR)
        command = [str(self.java.executable), "-jar", METEOR_MEMORY, str(jar)]
        command += ["-", "-", "-stdio", "-l", "en", "-norm"]
        self.started_at = time.perf_counter()
        self.ready_seconds: float | None = None  # launch -> first answer (JVM + paraphrase table)
        self._process = subprocess.Popen(
            command,
            cwd=jar.parent,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self._stderr: list[bytes] = []
        self._stderr_thread = threading.Thread(target=self._drain_stderr, daemon=True)
        self._stderr_thread.start()

    def _drain_stderr(self) -> None:
        assert self._process.stderr is not None
        for line in self._process.stderr:
            self._stderr.append(line)
            del self._stderr[:-20]

    def _readline(self) -> str:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            self._process.wait(timeout=30)
            detail = b"".join(self._stderr).decode(errors="replace").strip().splitlines()[-3:]
            raise MeteorError(
                f"the METEOR JVM ({self.java.describe()}) exited with code "
                f"{self._process.returncode}: " + " | ".join(detail)
            )
        return line.decode("utf-8").strip()

    def _write_all(self, lines: list[str], failures: list[BaseException]) -> None:
        assert self._process.stdin is not None
        try:
            for line in lines:
                self._process.stdin.write(line.encode("utf-8"))
            self._process.stdin.flush()
        except BaseException as exc:  # a dead JVM: reported by the reader
            failures.append(exc)

    def score(
        self, candidates: Sequence[str], references: Sequence[Sequence[str]]
    ) -> tuple[float, np.ndarray, list[str]]:
        """Corpus score, per-clip scores and per-clip statistics lines."""
        if len(candidates) != len(references):
            raise ValueError("candidates and references differ in length")
        if not candidates:
            return float("nan"), np.zeros(0), []
        lines = []
        for hypothesis, refs in zip(candidates, references, strict=True):
            # exactly the official wrapper's line
            hypothesis = hypothesis.replace("|||", "").replace("  ", " ")
            lines.append(" ||| ".join(("SCORE", " ||| ".join(refs), hypothesis)) + "\n")
        # A writer thread keeps both pipes moving: the JVM answers while we still send.
        failures: list[BaseException] = []
        writer = threading.Thread(target=self._write_all, args=(lines, failures), daemon=True)
        writer.start()
        stats = []
        for i in range(len(lines)):
            stats.append(self._readline())
            if i == 0 and self.ready_seconds is None:
                self.ready_seconds = time.perf_counter() - self.started_at
        writer.join()
        eval_line = "EVAL ||| " + " ||| ".join(stats) + "\n"
        failures.clear()
        self._write_all([eval_line], failures)
        try:
            per_clip = np.array([float(self._readline()) for _ in stats])
            corpus = float(self._readline())
        except ValueError as exc:
            raise MeteorError(f"METEOR answered a non-number: {exc}") from exc
        return corpus, per_clip, stats

    def alive(self) -> bool:
        return self._process.poll() is None

    def close(self) -> None:
        if self._process.poll() is None:
            try:
                assert self._process.stdin is not None
                self._process.stdin.close()
            except OSError:
                pass
            self._process.kill()
            self._process.wait()

    def __enter__(self) -> MeteorProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


_shared: dict[str, MeteorProcess] = {}
_shared_lock = threading.Lock()


def close_shared_meteor() -> None:
    """Stop the JVMs kept by `shared_meteor` (also run at interpreter exit)."""
    with _shared_lock:
        for process in _shared.values():
            process.close()
        _shared.clear()


atexit.register(close_shared_meteor)


def _running_shared(java: JavaRuntime) -> MeteorProcess:
    """The live shared JVM for `java`, started when missing or dead (hold `_shared_lock`)."""
    key = str(java.executable)
    process = _shared.get(key)
    if process is None or not process.alive():
        process = _shared[key] = MeteorProcess(java)
    return process


def prestart_shared_meteor(java: JavaRuntime | None = None) -> None:
    """Start this process's shared METEOR JVM now and return at once.

    It loads its paraphrase table while the caller works (a training run scored with METEOR
    at the end), so the first evaluation does not wait for it. Without Java nothing happens
    here; the evaluation itself reports the problem.
    """
    try:
        java = java or find_java(METEOR_JAVA)
        with _shared_lock:
            _running_shared(java)
    except (AacrError, OSError):
        return


@contextlib.contextmanager
def shared_meteor(java: JavaRuntime | None = None) -> Iterator[MeteorProcess]:
    """This process's long-lived METEOR JVM for `java`, started on first use.

    One caller at a time holds it (a lock). A JVM that died, or failed while in use, is dropped,
    and the next call starts a fresh one.
    """
    java = java or find_java(METEOR_JAVA)
    key = str(java.executable)
    with _shared_lock:
        process = _running_shared(java)
        try:
            yield process
        except BaseException:
            process.close()
            _shared.pop(key, None)
            raise


def meteor(
    candidates: Sequence[str],
    references: Sequence[Sequence[str]],
    java: JavaRuntime | None = None,
) -> tuple[float, np.ndarray]:
    """METEOR 1.5 of tokenized candidates against tokenized references: (corpus, per clip)."""
    with MeteorProcess(java) as process:
        corpus, per_clip, _ = process.score(candidates, references)
    return corpus, per_clip


def parse_stats(lines: Sequence[str]) -> np.ndarray:
    """METEOR statistics lines -> array (N, 23)."""
    array = np.array([[float(x) for x in line.split()] for line in lines], dtype=float)
    if array.size and array.shape[1] != N_STATS:
        raise MeteorError(f"METEOR statistics have {array.shape[1]} fields, expected {N_STATS}")
    return array.reshape(len(lines), N_STATS)


def _stage_matches(stats: np.ndarray) -> tuple[np.ndarray, ...]:
    stages = stats[..., 4:20].reshape(*stats.shape[:-1], 4, 4)
    # per module: test content, reference content, test function, reference function
    return stages[..., 0], stages[..., 1], stages[..., 2], stages[..., 3]


def _is_perfect(stats: np.ndarray) -> np.ndarray:
    """Meteor's 'test = reference' case: every word matched in a single chunk."""
    test_content, ref_content, test_function, ref_function = _stage_matches(stats)
    test_total = (test_content + test_function).sum(-1)
    ref_total = (ref_content + ref_function).sum(-1)
    return (test_total == stats[..., 0]) & (ref_total == stats[..., 1]) & (stats[..., 20] == 1)


def aggregable_stats(stats: np.ndarray) -> np.ndarray:
    """Per-clip statistics whose plain sum is Meteor's corpus aggregate (`addStats`).

    `addStats` skips the chunk count of a clip matched perfectly; zero it here so that any
    (weighted) sum of rows aggregates like Meteor.
    """
    out = np.array(stats, dtype=float, copy=True)
    out[..., 20] = np.where(_is_perfect(out), 0.0, out[..., 20])
    return out


def meteor_from_stats(stats: np.ndarray) -> np.ndarray:
    """Meteor scores of statistics rows (..., 23), as `MeteorScorer.computeMetrics`."""
    stats = np.asarray(stats, dtype=float)
    test_len, ref_len, test_fw, ref_fw = (stats[..., i] for i in range(4))
    test_content, ref_content, test_function, ref_function = _stage_matches(stats)
    chunks, test_word_matches, ref_word_matches = stats[..., 20], stats[..., 21], stats[..., 22]
    test_weighted_len = DELTA * (test_len - test_fw) + (1 - DELTA) * test_fw
    ref_weighted_len = DELTA * (ref_len - ref_fw) + (1 - DELTA) * ref_fw
    test_weighted = (test_content * MODULE_WEIGHTS * DELTA).sum(-1)
    test_weighted = test_weighted + (test_function * MODULE_WEIGHTS * (1 - DELTA)).sum(-1)
    ref_weighted = (ref_content * MODULE_WEIGHTS * DELTA).sum(-1)
    ref_weighted = ref_weighted + (ref_function * MODULE_WEIGHTS * (1 - DELTA)).sum(-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = test_weighted / test_weighted_len
        recall = ref_weighted / ref_weighted_len
        f_mean = 1.0 / (((1.0 - ALPHA) / precision) + (ALPHA / recall))
        frag = np.where(
            _is_perfect(stats), 0.0, chunks / ((test_word_matches + ref_word_matches) / 2)
        )
        score = f_mean * (1.0 - GAMMA * np.power(frag, BETA))
    return np.where(np.isnan(score), 0.0, np.maximum(score, 0.0))

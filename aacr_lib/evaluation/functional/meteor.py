"""METEOR 1.5 (the jar shipped by `pycocoevalcap`), one JVM for the whole corpus.

The protocol is the official wrapper's: one `SCORE ||| ref_1 ||| ... ||| hyp` line per clip
returns that clip's sufficient statistics; one `EVAL ||| stats_1 ||| ... ||| stats_N` line returns
the N per-clip scores and then the corpus score. All `SCORE` lines go down the pipe at once (a
writer thread), where the official wrapper waits for each answer.

`meteor_from_stats` recomputes the score from sufficient statistics in Python (Meteor's
`MeteorScorer.computeMetrics` and `MeteorStats.addStats`, English ranking parameters). The
reported numbers always come from the JVM; the Python formula serves the bootstrap, which needs
the corpus score of thousands of resampled corpora.

Paraphrase table. Loading the full table (5.3 million entries) is most of what METEOR costs:
about eight seconds of CPU at every start. Meteor's paraphrase matcher only ever uses an entry
whose every word equals a word of the two sentences being aligned (it compares word ids, and a
word the table lacks gets -1, which no entry has); an entry with any other word never matches,
and dropping it changes no alignment, statistic or score (Meteor ships `FilterParaphrase` for the
same purpose). So `MeteorProcess` is given the table cut to the words that can occur in the
corpus being scored (`FilteredParaphrases`; a few thousand entries, loaded in milliseconds).
`ParaphraseIndex` holds the table as word ids; it is built once (10-30 s: 14 s of CPU here) into
`$AACR_CACHE/meteor_paraphrase/` and reused by every later process.

Which words can occur: with `-norm` Meteor normalises then lower-cases each sentence and splits
it on whitespace. Normalisation only inserts spaces, maps `` ` ‘ ’ `` to `'`, `“ ” ''` to `"`,
`–` and `--` to `-`, and drops the dots of an abbreviation (`u.s.` -> `us`); so every word it
makes is a substring of a space-separated piece of the line after those replacements, with or
without its dots. `ParaphraseIndex.corpus_words` keeps every such substring that is a word of
the table: a superset of what can match, which is all exactness needs. A line with an upper-case
letter (never the case after the PTB tokenizer's `-lowerCase`) gets the full table, as Java's
locale-dependent lower-casing is not reproduced here.

`shared_meteor` keeps one JVM per Python process and Java runtime alive between calls: a
notebook or training run that scores many systems starts it once. It is kept while its table
covers the corpus (the full table, from `prestart_shared_meteor`, covers every corpus; a cut one
is replaced by one cut for both corpora). The JVM holds no state between `SCORE`/`EVAL` batches,
so reusing it gives the same numbers as a fresh one.
"""

from __future__ import annotations

import atexit
import contextlib
import gzip
import os
import re
import subprocess
import tempfile
import threading
import time
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aacr_lib.errors import AacrError
from aacr_lib.evaluation.java import METEOR_JAVA, SHORT_RUN_FLAGS, JavaRuntime, find_java
from aacr_lib.evaluation.resources import pycocoevalcap_file
from aacr_lib.paths import cache_root

METEOR_JAR = "meteor/meteor-1.5.jar"
PARAPHRASE_TABLE = "meteor/data/paraphrase-en.gz"
METEOR_MEMORY = "-Xmx2G"  # as the official wrapper
PARAPHRASE_INDEX_DIR = "meteor_paraphrase"  # under the cache root (`AACR_CACHE`)
_INDEX_FORMAT = 1

# Meteor 1.5, language "en", task "rank" (the default): alpha, beta, gamma, delta and the weights
# of the exact, stem, synonym and paraphrase modules (edu.cmu.meteor.util.Constants).
ALPHA, BETA, GAMMA, DELTA = 0.85, 0.20, 0.60, 0.75
MODULE_WEIGHTS = np.array([1.0, 0.6, 0.8, 0.6])
N_STATS = 23  # test/ref length, test/ref function words, 4 x 4 stage matches, chunks, word matches


class MeteorError(AacrError):
    """The METEOR JVM died or answered something unexpected."""


def score_lines(candidates: Sequence[str], references: Sequence[Sequence[str]]) -> list[str]:
    """The `SCORE` line of each clip, exactly the official wrapper's."""
    if len(candidates) != len(references):
        raise ValueError("candidates and references differ in length")
    lines = []
    for hypothesis, refs in zip(candidates, references, strict=True):
        hypothesis = hypothesis.replace("|||", "").replace("  ", " ")
        lines.append(" ||| ".join(("SCORE", " ||| ".join(refs), hypothesis)) + "\n")
    return lines


# --- the paraphrase table, cut to a corpus --------------------------------------------------

# java.util.StringTokenizer's delimiters (Meteor splits table lines with it); BufferedReader's
# line breaks (\n, \r, \r\n) are what Python's universal newlines split on.
_TABLE_DELIMITERS = str.maketrans({"\t": " ", "\f": " "})
_SINGLE_QUOTES = re.compile("[`‘’]")
_DOUBLE_QUOTES = re.compile("[“”]|''")


def _normalised_variants(piece: str) -> set[str]:
    """`piece` and what Meteor's normaliser can turn it into, up to inserted spaces."""
    quotes = _DOUBLE_QUOTES.sub('"', _SINGLE_QUOTES.sub("'", piece))
    dashes = quotes.replace("–", "-").replace("--", "-")
    variants = {piece, quotes, dashes}
    return variants | {variant.replace(".", "") for variant in variants}


@dataclass(frozen=True)
class FilteredParaphrases:
    """The paraphrase table cut to `words` (gzipped table text, in the table's order)."""

    words: frozenset[str]
    n_entries: int
    gzipped: bytes

    def covers(self, words: frozenset[str] | None) -> bool:
        return words is not None and words <= self.words


@dataclass(frozen=True, eq=False)
class ParaphraseIndex:
    """METEOR's paraphrase table as word ids: phrases, and entries grouped by runs of the same
    reference phrase (the table is sorted by it)."""

    words: list[str]
    word_ids: dict[str, int]
    max_word_length: int
    phrase_offsets: np.ndarray  # (n_phrases + 1,) into phrase_words
    phrase_words: np.ndarray  # word ids
    group_phrase: np.ndarray  # (n_groups,) the reference phrase of each run of entries
    group_offsets: np.ndarray  # (n_groups + 1,) the first entry of each run
    entry_paraphrase: np.ndarray  # (n_entries,) the paraphrase of each entry

    @property
    def n_entries(self) -> int:
        return len(self.entry_paraphrase)

    def __post_init__(self) -> None:
        # for `filtered`: each phrase's word count and first word (none for an empty phrase)
        lengths = np.diff(self.phrase_offsets)
        starts = np.minimum(self.phrase_offsets[:-1], max(len(self.phrase_words) - 1, 0))
        first = self.phrase_words[starts] if len(self.phrase_words) else np.zeros_like(lengths)
        object.__setattr__(self, "_phrase_lengths", lengths)
        object.__setattr__(self, "_first_words", first)

    @classmethod
    def build(cls, table: str | os.PathLike) -> ParaphraseIndex:
        """Read the gzipped table (entries of three lines: probability, reference phrase,
        paraphrase) as Meteor's `ParaphraseTransducer` reads it."""
        phrase_ids: dict[str, int] = {}
        references, paraphrases = array("i"), array("i")
        odd_delimiters = False  # a tab or form feed: StringTokenizer splits there too
        carry, pending = "", []
        # newline=None: Python's universal newlines are BufferedReader.readLine's line breaks
        with gzip.open(table, "rt", encoding="utf-8", newline=None) as handle:
            while True:
                chunk = handle.read(1 << 24)
                odd_delimiters = odd_delimiters or "\t" in chunk or "\f" in chunk
                if chunk:
                    lines = (carry + chunk).split("\n")
                    carry = lines.pop()  # the start of a line that the next chunk ends
                else:  # the end: a last line without "\n", if any
                    lines, carry = ([carry] if carry else []), ""
                lines = pending + lines if pending else lines
                whole = len(lines) - len(lines) % 3
                pending = lines[whole:]
                add = phrase_ids.setdefault
                references.extend([add(line, len(phrase_ids)) for line in lines[1:whole:3]])
                paraphrases.extend([add(line, len(phrase_ids)) for line in lines[2:whole:3]])
                if not chunk:
                    break
        if pending:
            raise MeteorError(f"{table}: the last entry of the paraphrase table is cut")
        word_ids: dict[str, int] = {}
        add = word_ids.setdefault
        offsets, phrase_words = array("q", [0]), array("I")
        for phrase in phrase_ids:  # in id order
            if odd_delimiters:
                phrase = phrase.translate(_TABLE_DELIMITERS)
            phrase_words.extend([add(w, len(word_ids)) for w in phrase.split(" ") if w])
            offsets.append(len(phrase_words))
        entry_reference = np.frombuffer(references, dtype=np.int32)
        starts = np.flatnonzero(np.diff(entry_reference)) + 1
        group_offsets = np.concatenate([[0], starts, [len(entry_reference)]]).astype(np.int64)
        word_dtype = np.uint16 if len(word_ids) <= np.iinfo(np.uint16).max + 1 else np.uint32
        offset_dtype = np.int32 if len(phrase_words) <= np.iinfo(np.int32).max else np.int64
        return cls(
            words=list(word_ids),
            word_ids=word_ids,
            max_word_length=max((len(w) for w in word_ids), default=0),
            phrase_offsets=np.frombuffer(offsets, dtype=np.int64).astype(offset_dtype),
            phrase_words=np.frombuffer(phrase_words, dtype=np.uint32).astype(word_dtype),
            group_phrase=entry_reference[group_offsets[:-1]].copy(),
            group_offsets=group_offsets,
            entry_paraphrase=np.frombuffer(paraphrases, dtype=np.int32).copy(),
        )

    def save(self, path: Path, source: os.stat_result) -> None:
        """Write the index (atomically: a concurrent reader sees the old file or the new one)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        words = "\n".join(self.words).encode("utf-8")
        handle, tmp = tempfile.mkstemp(prefix=path.name, suffix=".part", dir=path.parent)
        try:
            with os.fdopen(handle, "wb") as out:
                np.savez(
                    out,
                    meta=np.array([_INDEX_FORMAT, source.st_size, source.st_mtime_ns]),
                    words=np.frombuffer(words, dtype=np.uint8),
                    phrase_offsets=self.phrase_offsets,
                    phrase_words=self.phrase_words,
                    group_phrase=self.group_phrase,
                    group_offsets=self.group_offsets,
                    entry_paraphrase=self.entry_paraphrase,
                )
            os.chmod(tmp, 0o644)  # as a plain file, not mkstemp's owner-only
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)

    @classmethod
    def load(cls, path: Path, source: os.stat_result) -> ParaphraseIndex | None:
        """The saved index, or None when missing, unreadable or made from another table."""
        try:
            with np.load(path, allow_pickle=False) as saved:
                meta = saved["meta"].tolist()
                if meta != [_INDEX_FORMAT, source.st_size, source.st_mtime_ns]:
                    return None
                words = saved["words"].tobytes().decode("utf-8").split("\n")
                arrays = {
                    name: saved[name]
                    for name in (
                        "phrase_offsets",
                        "phrase_words",
                        "group_phrase",
                        "group_offsets",
                        "entry_paraphrase",
                    )
                }
        except (OSError, ValueError, KeyError, UnicodeDecodeError):
            return None
        word_ids = {w: i for i, w in enumerate(words)}
        return cls(words, word_ids, max((len(w) for w in words), default=0), **arrays)

    def corpus_words(self, lines: Iterable[str]) -> frozenset[str] | None:
        """Every table word that Meteor can see in `lines` (a superset), or None when the
        lines need Java's lower-casing (then only the full table is exact)."""
        pieces: set[str] = set()
        for line in lines:
            text = line.removeprefix("SCORE")  # the command, not scored
            if text != text.lower():
                return None
            pieces.update(text.split(" "))
        longest, word_ids = self.max_word_length, self.word_ids
        found: set[str] = set()
        for piece in pieces:
            for variant in _normalised_variants(piece):
                n = len(variant)
                for i in range(n):
                    for j in range(i + 1, min(n, i + longest) + 1):
                        if variant[i:j] in word_ids:
                            found.add(variant[i:j])
        return frozenset(found)

    def filtered(self, words: frozenset[str]) -> FilteredParaphrases:
        """The entries whose reference phrase and paraphrase are made of `words` only."""
        offsets = self.phrase_offsets
        known = np.zeros(len(self.words), dtype=bool)
        known[[self.word_ids[w] for w in words if w in self.word_ids]] = True
        lengths, first_words = self._phrase_lengths, self._first_words
        # the few phrases whose first word is known (or that have none), then all their words
        candidates = np.flatnonzero((lengths == 0) | known[first_words])
        sizes = lengths[candidates]
        before = np.cumsum(sizes) - sizes  # where each candidate's words start among them all
        positions = np.arange(int(sizes.sum())) + np.repeat(offsets[candidates] - before, sizes)
        all_known = np.ones(len(candidates), dtype=bool)
        filled = sizes > 0
        if filled.any():
            all_known[filled] = np.logical_and.reduceat(
                known[self.phrase_words[positions]], before[filled]
            )
        phrase_ok = np.zeros(len(lengths), dtype=bool)
        phrase_ok[candidates[all_known]] = True
        groups = np.flatnonzero(phrase_ok[self.group_phrase])
        starts, sizes = self.group_offsets[groups], np.diff(self.group_offsets)[groups]
        first = np.cumsum(sizes) - sizes  # where each group's entries start among the taken
        entries = np.arange(int(sizes.sum())) + np.repeat(starts - first, sizes)
        paraphrases = self.entry_paraphrase[entries]
        keep = phrase_ok[paraphrases]
        kept_references = np.repeat(self.group_phrase[groups], sizes)[keep]
        kept_paraphrases = paraphrases[keep]
        texts: dict[int, str] = {}

        def text(phrase: int) -> str:
            if phrase not in texts:
                ids = self.phrase_words[offsets[phrase] : offsets[phrase + 1]]
                texts[phrase] = " ".join(self.words[i] for i in ids.tolist())
            return texts[phrase]

        # Meteor reads the probability line and ignores it
        body = "".join(
            f"0\n{text(r)}\n{text(p)}\n"
            for r, p in zip(kept_references.tolist(), kept_paraphrases.tolist(), strict=True)
        )
        gzipped = gzip.compress(body.encode("utf-8"), compresslevel=1, mtime=0)
        return FilteredParaphrases(frozenset(words), len(kept_paraphrases), gzipped)


_indexes: dict[tuple[str, int, int], ParaphraseIndex] = {}  # by table, whatever the cache
_indexes_lock = threading.Lock()


def paraphrase_index(root: str | os.PathLike | None = None) -> ParaphraseIndex:
    """The index of the installed paraphrase table: kept in this process once had, else
    loaded from `{root}/meteor_paraphrase/` (`root`: the cache root, default `AACR_CACHE`),
    else built (10-30 s, once per table) and saved there."""
    table = pycocoevalcap_file(PARAPHRASE_TABLE)
    source = table.stat()
    key = (str(table), source.st_size, source.st_mtime_ns)
    with _indexes_lock:
        index = _indexes.get(key)
        if index is None:
            path = cache_root(root) / PARAPHRASE_INDEX_DIR / "paraphrase-en.npz"
            index = ParaphraseIndex.load(path, source)
            if index is None:
                index = ParaphraseIndex.build(table)
                with contextlib.suppress(OSError):  # a read-only cache: built again next time
                    index.save(path, source)
            _indexes[key] = index
    return index


# --- the JVM -------------------------------------------------------------------------------


class MeteorProcess:
    """A running METEOR JVM. Use as a context manager, or call `close()`.

    `paraphrases`: the table cut to a corpus (only that corpus is scored exactly); None: the
    full table.
    """

    def __init__(
        self, java: JavaRuntime | None = None, paraphrases: FilteredParaphrases | None = None
    ) -> None:
        self.java = java or find_java(METEOR_JAVA)
        self.paraphrases = paraphrases
        jar = pycocoevalcap_file(METEOR_JAR)
        # a cut table: a JVM of a few seconds (`SHORT_RUN_FLAGS`); the full table: the official
        # command (C2 pays off over its long load)
        flags = SHORT_RUN_FLAGS if paraphrases is not None else ()
        command = [str(self.java.executable), "-jar", METEOR_MEMORY, *flags, str(jar)]
        command += ["-", "-", "-stdio", "-l", "en", "-norm"]
        self._table: str | None = None
        if paraphrases is not None:
            handle, self._table = tempfile.mkstemp(prefix="aacr-meteor-", suffix=".gz")
            with os.fdopen(handle, "wb") as out:
                out.write(paraphrases.gzipped)
            command += ["-a", self._table]
        self.started_at = time.perf_counter()
        self.ready_seconds: float | None = None  # launch -> first answer (JVM + its tables)
        try:
            self._process = subprocess.Popen(
                command,
                cwd=jar.parent,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        except BaseException:
            self._remove_table()
            raise
        self._stderr: list[bytes] = []
        self._stderr_thread = threading.Thread(target=self._drain_stderr, daemon=True)
        self._stderr_thread.start()

    def covers(self, words: frozenset[str] | None) -> bool:
        """Whether this JVM's table scores exactly a corpus with these table words (None: a
        corpus that needs the full table)."""
        return self.paraphrases is None or self.paraphrases.covers(words)

    def _remove_table(self) -> None:
        if self._table is not None:
            with contextlib.suppress(OSError):  # still open elsewhere (Windows): at close
                os.unlink(self._table)
                self._table = None

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
            self._process.stdin.write("".join(lines).encode("utf-8"))
            self._process.stdin.flush()
        except BaseException as exc:  # a dead JVM: reported by the reader
            failures.append(exc)

    def score(
        self, candidates: Sequence[str], references: Sequence[Sequence[str]]
    ) -> tuple[float, np.ndarray, list[str]]:
        """Corpus score, per-clip scores and per-clip statistics lines."""
        lines = score_lines(candidates, references)
        if not lines:
            return float("nan"), np.zeros(0), []
        # A writer thread keeps both pipes moving: the JVM answers while we still send.
        failures: list[BaseException] = []
        writer = threading.Thread(target=self._write_all, args=(lines, failures), daemon=True)
        writer.start()
        stats = [self._readline()]
        if self.ready_seconds is None:
            self.ready_seconds = time.perf_counter() - self.started_at
            self._remove_table()  # read at start-up
        stats += [self._readline() for _ in range(len(lines) - 1)]
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
        self._remove_table()

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


def _index_or_none(root: str | os.PathLike | None) -> ParaphraseIndex | None:
    """The paraphrase index, or None when it cannot be had (a table it cannot read: then
    METEOR gets the full table)."""
    try:
        return paraphrase_index(root)
    except (AacrError, OSError, ValueError, EOFError, UnicodeDecodeError):
        return None


def _corpus_words(
    lines: Sequence[str] | None, root: str | os.PathLike | None
) -> tuple[ParaphraseIndex | None, frozenset[str] | None]:
    """The paraphrase index and the table words of `lines` (None: the full table is needed,
    or the index cannot be had)."""
    index = None if lines is None else _index_or_none(root)
    if lines is None or index is None:
        return None, None
    return index, index.corpus_words(lines)


def prepare_paraphrase_index(
    root: str | os.PathLike | None = None, java: JavaRuntime | None = None
) -> None:
    """Get the paraphrase index ready now (load it, or build it on first use), so that cutting
    the table for a corpus later is quick. Nothing to do when this process's shared JVM for
    `java` already has the full table."""
    if java is not None:
        process = _shared.get(str(java.executable))
        if process is not None and process.paraphrases is None and process.alive():
            return
    _index_or_none(root)


def _table_for(
    index: ParaphraseIndex | None, words: frozenset[str] | None
) -> FilteredParaphrases | None:
    return None if index is None or words is None else index.filtered(words)


def _running_shared(
    java: JavaRuntime, lines: Sequence[str] | None, root: str | os.PathLike | None
) -> MeteorProcess:
    """The live shared JVM for `java` if its table covers `lines`, else a new one whose table
    covers them and what the old one covered (hold `_shared_lock`)."""
    key = str(java.executable)
    process = _shared.get(key)
    if process is not None and not process.alive():
        process.close()
        process = None
    if process is not None and process.paraphrases is None:
        return process  # the full table covers every corpus
    index, words = _corpus_words(lines, root)
    if process is not None:
        if process.covers(words):
            return process
        process.close()
        if words is not None and process.paraphrases is not None:
            words = words | process.paraphrases.words
    process = _shared[key] = MeteorProcess(java, _table_for(index, words))
    return process


def prestart_shared_meteor(java: JavaRuntime | None = None) -> None:
    """Start this process's shared METEOR JVM (full paraphrase table) now and return at once.

    It loads its paraphrase table while the caller works (a training run scored with METEOR
    at the end), so the first evaluation does not wait for it. Without Java nothing happens
    here; the evaluation itself reports the problem.
    """
    try:
        java = java or find_java(METEOR_JAVA)
        with _shared_lock:
            _running_shared(java, None, None)
    except (AacrError, OSError):
        return


@contextlib.contextmanager
def shared_meteor(
    java: JavaRuntime | None = None,
    lines: Sequence[str] | None = None,
    root: str | os.PathLike | None = None,
) -> Iterator[MeteorProcess]:
    """This process's long-lived METEOR JVM for `java`, able to score `lines` (`SCORE` lines;
    None: any corpus, the full table), started on first use (`root`: the cache root of the
    paraphrase index, default `AACR_CACHE`).

    One caller at a time holds it (a lock). A JVM that died, or failed while in use, is dropped,
    and the next call starts a fresh one.
    """
    java = java or find_java(METEOR_JAVA)
    key = str(java.executable)
    with _shared_lock:
        process = _running_shared(java, lines, root)
        try:
            yield process
        except BaseException:
            process.close()
            _shared.pop(key, None)
            raise


def fresh_meteor(
    java: JavaRuntime | None = None,
    lines: Sequence[str] | None = None,
    root: str | os.PathLike | None = None,
) -> MeteorProcess:
    """A new METEOR JVM able to score `lines` (None: any corpus), for the caller to close."""
    return MeteorProcess(java, _table_for(*_corpus_words(lines, root)))


def meteor(
    candidates: Sequence[str],
    references: Sequence[Sequence[str]],
    java: JavaRuntime | None = None,
) -> tuple[float, np.ndarray]:
    """METEOR 1.5 of tokenized candidates against tokenized references: (corpus, per clip)."""
    with fresh_meteor(java, score_lines(candidates, references)) as process:
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

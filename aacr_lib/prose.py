"""Numbers typed into prose: the book's rule that every number in its text comes from a run.

A number written into a chapter's text by hand goes stale the moment a run changes, so the prose
of the book (notebook markdown cells, `book/*.md`) holds no digits except where they are not a
measured or configured quantity. `unmarked_numbers` lists every other number, with a little
context. Allowed:

- **references**: "section 6.1.3", "sections 6.1.1-6.1.3", "Table 4", "Tables 4-8", "Figure 2",
  "chapter 05", "chapters 03–05", "equation 3", DCASE's "task 6b" (the word, then numbers joined
  by `-`, `–`, `,`, "and", "or", "to");
- **years**, 1900–2099 ("DCASE 2022", "2022–2025");
- **names and identifiers**: digits in a word that starts with a letter or `@`, hyphens and dots
  included (VGGish, Cnn14, all-MiniLM-L6-v2, Clotho v2.1, R@10, mAP@10, BLEU-4, F1). "16 kHz" or
  "16kHz" is a number, a word that starts with a digit;
- **markup**: a heading's section number ("## 2. BLEU"), an ordered list's item numbers, HTML
  comments, link targets (`[text](target)`), bare URLs, target labels (`(label)=`);
- **code and math**: inline code, MyST roles with their content ({cite}`…`, {glue:text}`…`,
  {ref}`…`), `$…$` and `$$…$$` math, fenced code blocks; a fenced MyST directive ("```{note}")
  is prose apart from its option lines (`:width: 80%`), except `code-cell`, `code-block`, `code`,
  `math` and `literalinclude`, which are code;
- **quotations**: blockquote lines (`> …`), when the quote or the first line after it names its
  source with a {cite} role.

Every other number (a score, a percentage, a count, a size, a setting) is flagged: glue it from
the run or the library's constants (`myst_nb.glue` in a code cell above, {glue:text}`name:.3f`
in the text), write a small count as a word, or quote the report or the literature with its
source.
"""

from __future__ import annotations

import re

CONTEXT_CHARS = 25

CODE_DIRECTIVES = frozenset({"code-cell", "code-block", "code", "math", "literalinclude"})

_REFERENCE_WORDS = r"sections?|tables?|figures?|figs?\.|chapters?|equations?|eqs?\.|tasks?"
_REFERENCE_NUMBER = r"\d+(?:\.\d+)*[a-zA-Z]?\b"
_REFERENCE = re.compile(
    rf"\b(?:{_REFERENCE_WORDS})\s+({_REFERENCE_NUMBER}"
    rf"(?:\s*(?:,|-|–|—|\band\b|\bor\b|\bto\b)\s*{_REFERENCE_NUMBER})*)",
    re.IGNORECASE,
)
_YEAR = re.compile(r"(?:19|20)\d\d")
# a word: letters, digits, `_` and `@`, with hyphens, dashes, dots (and commas between digits)
# inside it
_WORD = re.compile(r"[\w@]+(?:(?:[-–.]+|(?<=\d),(?=\d))[\w@]+)*")
_DIGITS = re.compile(r"\d")

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,}|:{3,})\s*(\{([\w:-]+)\})?.*$")
_DIRECTIVE_OPTION = re.compile(r"^\s*:[\w-]+:")
_BLOCKQUOTE = re.compile(r"^\s{0,3}>")
_CITE = re.compile(r"\{cite(?::\w+)?\}`")
_HEADING_NUMBER = re.compile(r"^(\s{0,3}#{1,6}\s+)(\d+(?:\.\d+)*\.?)(?=\s)", re.MULTILINE)
_LIST_NUMBER = re.compile(r"^(\s*)(\d+[.)])(?=\s)", re.MULTILINE)
_TARGET_LABEL = re.compile(r"^\s*\([\w:./-]+\)=\s*$", re.MULTILINE)
_MASKED = (
    re.compile(r"<!--.*?-->", re.DOTALL),  # HTML comments
    re.compile(r"(?:\{[\w:.-]+\})?(`+)(?:(?!\1).)+?\1", re.DOTALL),  # inline code, MyST roles
    re.compile(r"\$\$.+?\$\$", re.DOTALL),  # display math
    re.compile(r"\$(?:[^$\n]|\n(?![ \t]*\n))+?\$"),  # inline math, within a paragraph
    re.compile(r"\]\([^)]*\)"),  # link targets
    re.compile(r"<https?://[^>]*>|https?://\S+"),  # autolinks and bare URLs
)


def unmarked_numbers(markdown: str) -> list[str]:
    """Every number of `markdown` that the rule above does not allow, as `'0.321' in '…context…'`
    (in order of appearance)."""
    text = _mask_quotations(_mask_fences(markdown))
    for pattern in _MASKED:
        text = pattern.sub(_blank, text)
    text = _TARGET_LABEL.sub(_blank, text)
    text = _HEADING_NUMBER.sub(lambda m: m.group(1) + _blank(m.group(2)), text)
    text = _LIST_NUMBER.sub(lambda m: m.group(1) + _blank(m.group(2)), text)
    text = _REFERENCE.sub(lambda m: _blank_group(m, 1), text)
    found = []
    for word in _WORD.finditer(text):
        if _DIGITS.search(word.group()) and not _allowed(word.group()):
            found.append(_with_context(markdown, word.start(), word.end()))
    return found


def _allowed(word: str) -> bool:
    if not word[0].isdigit():
        return True  # a name or identifier: Cnn14, BLEU-4, R@10, v2.1
    return all(_YEAR.fullmatch(part) for part in re.split(r"[-–]", word))


def _blank(match_or_text) -> str:
    """Spaces in place of a masked span, newlines kept: positions still point into the input."""
    text = match_or_text if isinstance(match_or_text, str) else match_or_text.group()
    return re.sub(r"[^\n]", " ", text)


def _blank_group(match: re.Match, group: int) -> str:
    whole, offset = match.group(), match.start()
    start, end = (position - offset for position in match.span(group))
    return whole[:start] + _blank(whole[start:end]) + whole[end:]


def _mask_fences(markdown: str) -> str:
    """Blank fenced code; in a prose directive blank only the fence lines and option lines."""
    lines = markdown.split("\n")
    open_fences: list[tuple[str, bool]] = []  # (fence, is code) from the outermost in
    for index, line in enumerate(lines):
        fence = _FENCE.match(line)
        in_code = bool(open_fences) and open_fences[-1][1]
        if fence and open_fences and _closes(line, open_fences[-1][0]):
            open_fences.pop()
            lines[index] = _blank(line)
        elif fence and not in_code:
            name = fence.group(3)
            is_code = name is None or name in CODE_DIRECTIVES
            open_fences.append((fence.group(1), is_code))
            lines[index] = _blank(line) if is_code else _blank_directive_name(line, fence)
        elif in_code or (open_fences and _DIRECTIVE_OPTION.match(line)):
            lines[index] = _blank(line)
    return "\n".join(lines)


def _closes(line: str, fence: str) -> bool:
    stripped = line.strip()
    return stripped[:1] == fence[0] and set(stripped) == {fence[0]} and len(stripped) >= len(fence)


def _blank_directive_name(line: str, fence: re.Match) -> str:
    """A directive's opening line: the fence and `{name}` are markup, its argument is prose."""
    end = fence.end(2)
    return _blank(line[:end]) + line[end:]


def _mask_quotations(markdown: str) -> str:
    """Blank the blockquotes that name their source with {cite}, in the quote or in the first
    line after it that is not blank."""
    lines = markdown.split("\n")
    index = 0
    while index < len(lines):
        if not _BLOCKQUOTE.match(lines[index]):
            index += 1
            continue
        end = index
        while end < len(lines) and _BLOCKQUOTE.match(lines[end]):
            end += 1
        following = next((line for line in lines[end:] if line.strip()), "")
        if _CITE.search("\n".join([*lines[index:end], following])):
            lines[index:end] = [_blank(line) for line in lines[index:end]]
        index = end
    return "\n".join(lines)


def _with_context(markdown: str, start: int, end: int) -> str:
    before = markdown[max(0, start - CONTEXT_CHARS) : start]
    after = markdown[end : end + CONTEXT_CHARS]
    context = " ".join(f"{before}{markdown[start:end]}{after}".split())
    return f"{markdown[start:end]!r} in '…{context}…'"

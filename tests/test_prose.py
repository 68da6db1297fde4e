"""The rule of `aacr_lib.prose`: which numbers prose may hold, and which it flags."""

from __future__ import annotations

import pytest

from aacr_lib.prose import unmarked_numbers

ALLOWED = {
    "section": "as in section 6.1.3 of the report",
    "section range": "the report's sections 6.1.1-6.1.3",
    "section list": "its sections 6.1.1, 6.1.2 and 6.1.3",
    "table": "see Table 4.",
    "table range": "Tables 4-8 and tables 9 to 10",
    "figure": "the report's Figure 2",
    "chapter": "the final architecture (chapter 05)",
    "chapter range": "chapters 03–05",
    "dcase task": "the DCASE 2022 Task 6A baseline and task 6b",
    "year": "published in 2022",
    "year range": "the challenges of 2022–2025",
    "heading number": "## 2. BLEU-1..4\n\n### 6.1.3 Increasing the size",
    "ordered list": "1. first\n2. second",
    "names": "VGGish, Cnn14_DecisionLevelMax, all-MiniLM-L6-v2, Clotho v2.1, Word2Vec, fp16",
    "metric names": "R@1, R@10, mAP@10, mAP@16, BLEU-4, F1 and L2-normalised embeddings",
    "licence identifier": "the bank is CC-BY-SA-3.0",
    "inline code": "pads to `tokenizer.max_length=24`",
    "fenced code": "Run\n\n```bash\naacr book --jobs 2\n```\n",
    "cite role": "the report {cite}`gomes2022report` and {cite:t}`eren2021audio`",
    "glue roles": "CIDEr-D {glue:text}`cider:.3f` and {glue:}`table_3` and {glue}`x`",
    "ref role": "see {ref}`section-2`",
    "link target": "on [Zenodo](https://doi.org/10.5281/zenodo.6352699)",
    "bare url": "at https://zenodo.org/record/6352699 online",
    "html comment": "text <!-- was 0.321 --> more",
    "math": r"a penalty $\exp(1 - r/c)$ and $$\sum_{n=1}^{4} w_n$$",
    "math over a line break": "the penalty $\\gamma (c /\nm)^3$ here",
    "target label": "(section-2)=\n## Results",
    "quotation with its source": (
        '> "the results can be seen in Table 9: 0.321"\n> — {cite}`gomes2022report`, section 6.1.4'
    ),
    "quotation, source right after": '> "a CIDEr of 0.358"\n\n{cite}`gomes2022report`, Table 1',
    "directive option": "```{figure} curve.png\n:width: 80%\n\nThe learning curve.\n```",
    "code directive": "```{code-cell} python\nx = 0.5\n```",
    "number as a word": "five captions and three seeds",
}

FLAGGED = {
    "score": ("(CIDEr-D 0.321 against 0.358)", ["0.321", "0.358"]),
    "percentage": ("about 17.5 % of the recordings", ["17.5"]),
    "percentage glued to its sign": ("its 95% interval", ["95"]),
    "large count": ("139,519,488 parameters", ["139,519,488"]),
    "size": ("pads every caption to 64 tokens", ["64"]),
    "small count": ("3 seeds", ["3"]),
    "unit": ("16 kHz audio", ["16"]),
    "unit glued to the number": ("16kHz audio", ["16kHz"]),
    "scientific notation": ("learning rate 1e-5", ["1e-5"]),
    "hyphenated count": ("a 6-layer decoder", ["6-layer"]),
    "date": ("the 2015-12-09 release", ["2015-12-09"]),
    "number in a heading": ("## Table 8: 7 + 7 layers", ["7", "7"]),
    "version after a name": ("METEOR 1.5", ["1.5"]),
    "table list runs out": ("Table 4 has 12 rows", ["12"]),
    "quotation without a source": ('> "it scored 0.321"\n\nno source here', ["0.321"]),
    "directive body is prose": ("```{note}\nTrained for 20 epochs.\n```", ["20"]),
    "link text": ("[20 epochs](https://example.org)", ["20"]),
}


@pytest.mark.parametrize("text", ALLOWED.values(), ids=ALLOWED.keys())
def test_allowed_forms_pass(text):
    assert unmarked_numbers(text) == []


@pytest.mark.parametrize(("text", "numbers"), FLAGGED.values(), ids=FLAGGED.keys())
def test_typed_numbers_are_flagged(text, numbers):
    found = unmarked_numbers(text)
    assert [entry.split(" in ")[0] for entry in found] == [repr(n) for n in numbers]


def test_each_finding_names_the_number_with_its_context():
    text = "The report's final model reached a CIDEr-D of 0.321 after the last epoch."
    (finding,) = unmarked_numbers(text)
    assert finding.startswith("'0.321' in '…") and "CIDEr-D of 0.321 after" in finding


def test_context_comes_from_the_text_as_written():
    # masked spans (code, roles) keep their place: the context quotes the original text
    text = "`code` and {cite}`x` then 42 words"
    (finding,) = unmarked_numbers(text)
    assert "{cite}`x` then 42 words" in finding

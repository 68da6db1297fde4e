"""The report's captioning numbers (Tables 1, 2 and 4–9), as data the book prints beside ours.

Transcribed from the report (section 5.1 and 6.1). The report labels METEOR "METEOR_1" and
SPIDEr "SPICE_r"; here every metric uses the evaluation module's keys. Its per-epoch tables were
produced by the team's runs on Clotho v2.1 with VGGish features, one epoch per invocation
(optimiser and learning-rate schedule restarted each epoch; the team's code,
github.com/PatrickKollman/Deep-Learning-Final-Project, which the report links in section 6).
"""

from __future__ import annotations

from dataclasses import dataclass, field

METRICS = (
    "bleu_1",
    "bleu_2",
    "bleu_3",
    "bleu_4",
    "meteor",
    "rouge_l",
    "cider_d",
    "spice",
    "spider",
)


@dataclass(frozen=True)
class ReportTable:
    """One table of the report: scores per metric, one value per listed epoch."""

    number: int
    title: str
    experiment: str | None
    epochs: tuple[int | None, ...]
    scores: dict[str, tuple[float, ...]]
    notes: tuple[str, ...] = field(default_factory=tuple)

    def at_epoch(self, epoch: int | None) -> dict[str, float]:
        index = self.epochs.index(epoch)
        return {metric: values[index] for metric, values in self.scores.items()}


def _table(number, title, experiment, epochs, rows, notes=()) -> ReportTable:
    scores = {metric: tuple(row) for metric, row in zip(METRICS, rows, strict=True)}
    return ReportTable(number, title, experiment, tuple(epochs), scores, tuple(notes))


REPORT_TABLES: dict[int, ReportTable] = {
    table.number: table
    for table in (
        _table(
            1,
            "Pre-trained baseline (the organisers' checkpoint)",
            None,
            (None,),
            [[0.555], [0.358], [0.239], [0.156], [0.164], [0.364], [0.358], [0.109], [0.233]],
            ("the organisers' trained weights (Zenodo 10.5281/zenodo.6352699), Clotho evaluation",),
        ),
        _table(
            2,
            "Baseline trained from scratch",
            "baseline",
            (1, 2, 3),
            [
                [0.479, 0.494, 0.506],
                [0.272, 0.322, 0.331],
                [0.155, 0.216, 0.219],
                [0.069, 0.132, 0.135],
                [0.122, 0.138, 0.140],
                [0.314, 0.347, 0.346],
                [0.103, 0.212, 0.237],
                [0.069, 0.090, 0.093],
                [0.086, 0.151, 0.165],
            ],
        ),
        _table(
            4,
            "CRNN encoder",
            "crnn_encoder",
            (1,),
            [[0.318], [0.142], [0.065], [0.022], [0.100], [0.253], [0.031], [0.035], [0.033]],
        ),
        _table(
            5,
            "Hidden state averaging (all hidden states)",
            "mean_all_hidden",
            (1, 2),
            [
                [0.480, 0.486],
                [0.260, 0.315],
                [0.144, 0.211],
                [0.058, 0.127],
                [0.121, 0.134],
                [0.312, 0.341],
                [0.087, 0.198],
                [0.060, 0.088],
                [0.074, 0.143],
            ],
        ),
        _table(
            6,
            "2 hidden states averaged",
            "mean_last2_hidden",
            (1, 2, 3),
            [
                [0.474, 0.497, 0.508],
                [0.268, 0.323, 0.333],
                [0.153, 0.217, 0.221],
                [0.069, 0.132, 0.136],
                [0.119, 0.138, 0.143],
                [0.313, 0.348, 0.349],
                [0.100, 0.212, 0.244],
                [0.067, 0.090, 0.094],
                [0.084, 0.151, 0.169],
            ],
            ("the report's text calls this Table 10 (a slip: Table 10 is retrieval)",),
        ),
        _table(
            7,
            "2-layer audio adapter",
            "adapter2",
            (1, 2, 3),
            [
                [0.497, 0.501, 0.509],
                [0.278, 0.324, 0.336],
                [0.155, 0.216, 0.225],
                [0.071, 0.131, 0.139],
                [0.124, 0.136, 0.141],
                [0.322, 0.343, 0.348],
                [0.106, 0.213, 0.248],
                [0.070, 0.091, 0.093],
                [0.088, 0.152, 0.171],
            ],
        ),
        _table(
            8,
            "7-layer encoder/decoder",
            "layers7",
            (1, 2, 3),
            [
                [0.503, 0.500, 0.507],
                [0.280, 0.325, 0.337],
                [0.159, 0.217, 0.226],
                [0.070, 0.132, 0.141],
                [0.125, 0.139, 0.141],
                [0.324, 0.346, 0.351],
                [0.118, 0.220, 0.248],
                [0.072, 0.091, 0.091],
                [0.095, 0.156, 0.170],
            ],
        ),
        _table(
            9,
            "Final architecture",
            "final",
            (1, 2, 3, 20),
            [
                [0.492, 0.499, 0.511, 0.553],
                [0.283, 0.325, 0.336, 0.357],
                [0.172, 0.218, 0.225, 0.236],
                [0.086, 0.131, 0.139, 0.147],
                [0.128, 0.139, 0.141, 0.159],
                [0.330, 0.343, 0.349, 0.361],
                [0.120, 0.216, 0.245, 0.321],
                [0.070, 0.094, 0.092, 0.104],
                [0.095, 0.155, 0.168, 0.213],
            ],
            (
                "SPICE at epoch 3 is printed 0.92 in the report; 0.092 is meant "
                "(SPIDEr 0.168 = (0.245 + 0.092) / 2)",
            ),
        ),
    )
}


def report_table(number: int) -> ReportTable:
    try:
        return REPORT_TABLES[number]
    except KeyError:
        known = ", ".join(str(n) for n in REPORT_TABLES)
        raise KeyError(f"the report has no captioning table {number}; known: {known}") from None


def table_for_experiment(experiment: str) -> ReportTable | None:
    """The report table that an experiment reproduces (None when there is none)."""
    for table in REPORT_TABLES.values():
        if table.experiment == experiment:
            return table
    return None

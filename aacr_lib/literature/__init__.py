"""Published results on Clotho and the book's runs placed among them (the literature chapter).

`published` reads the package data `published_results.csv` (DCASE baselines and top systems,
each value with its source; `SOURCES.md` describes the sources) into typed, checked rows;
`display` makes the chapter's table, figure and summary, with the report's own numbers and the
book's runs labelled by the profile and dataset that produced them.
"""

from aacr_lib.literature.display import (
    BookSystems,
    book_systems,
    plot_results,
    results_table,
    sources_table,
    standing_markdown,
)
from aacr_lib.literature.published import (
    PUBLISHED_RESULTS_FILE,
    PublishedResult,
    PublishedResultsError,
    load_published_results,
)

__all__ = [
    "PUBLISHED_RESULTS_FILE",
    "BookSystems",
    "PublishedResult",
    "PublishedResultsError",
    "book_systems",
    "load_published_results",
    "plot_results",
    "results_table",
    "sources_table",
    "standing_markdown",
]

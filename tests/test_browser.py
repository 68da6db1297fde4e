"""The book in a real browser: headless Chromium opens every page of the smoke book.

On each page built from the executed notebooks (`tests.book_build`): no error output or
traceback, every image decodes, every audio player's source loads, every link inside the book
leads to an existing page and its `#anchor` exists; and the search page finds a chapter by a
word of its title. The book is served over HTTP on the loopback, as a reader's browser gets it.
Each check is first shown to fail on a page broken on purpose, in a tiny book built here.

Debian's `chromium` and `chromium-driver` are used as they are (Selenium is pointed at them, so
it downloads nothing); without them the tests are skipped and say what to install, unless
`AACR_REQUIRE_BROWSER` is set (CI sets it once the browser is installed): then they fail, so a
green CI means the book was opened in the browser.
"""

from __future__ import annotations

import base64
import functools
import http.server
import os
import re
import shutil
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlsplit, urlunsplit

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from aacr_lib.book import build_html, execute_book

pytest_plugins = ["tests.book_build"]

BROWSER = "chromium"
DRIVER = "chromedriver"
INSTALL_HINT = "apt-get install chromium chromium-driver (Debian packages)"
REQUIRE_VARIABLE = "AACR_REQUIRE_BROWSER"
# Headless and root-safe. Without the background-networking flags Chromium stalls on a
# network that reaches no update, sync or component server.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)
MEDIA_TIMEOUT_MS = 20_000  # for one image or one audio player to load or fail
# What papermill and MyST-NB put in a page when a cell failed: the error output (rendered as a
# traceback block) and papermill's marker cells above the notebook and the failing cell.
ERROR_OUTPUT_SELECTOR = ".output.traceback, .output.error, #papermill-error-cell"
ERROR_TEXTS = ("Traceback (most recent call last)", "An Exception was encountered")


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    missing = [name for name in (BROWSER, DRIVER) if shutil.which(name) is None]
    if missing:
        return f"{' and '.join(missing)} not on PATH: {INSTALL_HINT}"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed: pip install -e '.[dev]'"
    return None


def test_without_a_browser_the_reason_names_the_packages(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    reason = missing_browser()
    assert reason.startswith("chromium and chromedriver not on PATH")
    assert "apt-get install chromium chromium-driver" in reason


@pytest.fixture(scope="session")
def chromium(tmp_path_factory):
    reason = missing_browser()
    if reason and os.environ.get(REQUIRE_VARIABLE):
        pytest.fail(f"{REQUIRE_VARIABLE} is set but the browser cannot run: {reason}")
    if reason:
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which(BROWSER)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    # the driver's path is given, so Selenium Manager (which would download one) never runs
    driver = webdriver.Chrome(service=Service(shutil.which(DRIVER)), options=options)
    driver.set_page_load_timeout(120)
    driver.set_script_timeout(2 * MEDIA_TIMEOUT_MS / 1000 + 30)
    yield driver
    driver.quit()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass


class QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # the browser drops connections it no longer needs (a page left while it loads)
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@contextmanager
def serve(directory: Path) -> Iterator[str]:
    """`directory` over HTTP on the loopback, in a thread; yields the base URL (ends in "/")."""
    handler = functools.partial(QuietHandler, directory=str(directory))
    server = QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def book_pages(html_root: Path) -> list[Path]:
    """Every HTML page of a built book (Sphinx's `_static`, `_sources`, ... folders are not
    pages), found in the build: chapters added or removed need no change here."""
    return sorted(
        path
        for path in html_root.rglob("*.html")
        if not any(part.startswith("_") for part in path.relative_to(html_root).parts)
    )


# Runs in the page (Selenium's async script: the last argument is the callback). Waits for each
# image and audio player to load or fail, then reports what a reader would see.
INSPECT_PAGE = r"""
const done = arguments[arguments.length - 1];
const [timeoutMs, errorSelector, errorTexts] = arguments;
const settled = (events) => new Promise((resolve) => {
  const timer = setTimeout(() => resolve("timeout"), timeoutMs);
  for (const [target, name] of events)
    target.addEventListener(name, () => { clearTimeout(timer); resolve(name); }, {once: true});
});
const short = (url) => (url || "").slice(0, 120);
async function inspect() {
  while (document.readyState !== "complete" || !document.body)
    await new Promise((resolve) => setTimeout(resolve, 50));
  // a redirect stub (Jupyter Book's index.html): the browser is about to leave it
  const refresh = document.querySelector('meta[http-equiv="refresh" i]');
  if (refresh) return {location: location.href, refresh: refresh.getAttribute("content")};
  const images = await Promise.all(Array.from(document.images).map(async (img) => {
    if (!img.complete) await settled([[img, "load"], [img, "error"]]);
    return {src: short(img.getAttribute("src")), ok: img.complete && img.naturalWidth > 0};
  }));
  const audios = await Promise.all(Array.from(document.querySelectorAll("audio")).map(
    async (audio) => {
      const sources = Array.from(audio.querySelectorAll("source"));
      if (audio.readyState < 1) {
        // a <source> that fails fires "error" on itself, not on the player
        const waiting = settled([[audio, "loadedmetadata"], [audio, "error"],
                                 ...sources.map((source) => [source, "error"])]);
        audio.preload = "metadata";
        audio.load();
        await waiting;
      }
      return {
        src: short(sources.length ? sources[0].getAttribute("src") : audio.getAttribute("src")),
        error: audio.error ? audio.error.code : null,
        networkState: audio.networkState,
        readyState: audio.readyState,
        duration: Number.isFinite(audio.duration) ? audio.duration : null,
      };
    }));
  // text of the whole page, folded (closed <details>) outputs included, scripts left out
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
    acceptNode: (node) => ["SCRIPT", "STYLE"].includes(node.parentElement.tagName)
      ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT,
  });
  let text = "";
  while (walker.nextNode()) text += walker.currentNode.nodeValue;
  // a traceback's last line names the exception (the <pre>: not the copy button's label)
  const lastLine = (node) => (node.querySelector("pre") || node).textContent.trim()
    .split("\n").pop().trim().slice(0, 200);
  const errors = Array.from(document.querySelectorAll(errorSelector)).map(
    (node) => `${node.id || node.className}: ${lastLine(node)}`);
  for (const marker of errorTexts) if (text.includes(marker)) errors.push(`text "${marker}"`);
  const ids = Array.from(document.querySelectorAll("[id]")).map((node) => node.id);
  ids.push(...Array.from(document.querySelectorAll("a[name]")).map((node) => node.name));
  return {
    location: location.href,
    title: (document.querySelector("h1") || {textContent: ""}).textContent,
    images, audios, errors, ids,
    links: [...new Set(Array.from(document.querySelectorAll("a[href]")).map((a) => a.href))],
  };
}
inspect().then(done, (error) => done({failure: String(error)}));
"""


@dataclass
class PageReport:
    url: str
    title: str = ""
    images: list[dict] = field(default_factory=list)
    audios: list[dict] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    redirect: str | None = None  # where a redirect stub sends the reader (also in `links`)

    @property
    def broken_images(self) -> list[str]:
        return [image["src"] for image in self.images if not image["ok"]]

    @property
    def broken_audio(self) -> list[str]:
        """Players whose source did not load: an error, no usable source (a failed <source>
        leaves `audio.error` null but the network state at NETWORK_NO_SOURCE), or no duration."""
        return [
            f"{audio['src']} (error {audio['error']}, network state {audio['networkState']}, "
            f"ready state {audio['readyState']}, duration {audio['duration']})"
            for audio in self.audios
            if audio["error"] is not None
            or audio["networkState"] == 3
            or audio["readyState"] < 1
            or not audio["duration"]
        ]


def inspect_page(driver, url: str) -> PageReport:
    from selenium.common.exceptions import JavascriptException

    driver.get(url)
    try:
        found = _inspect(driver)
    except JavascriptException:  # a redirect unloaded the page while the script ran
        found = _inspect(driver)
    assert "failure" not in found, f"{url}: the inspection script failed: {found['failure']}"
    landed = found["location"]
    if "refresh" in found or page_url(landed) != page_url(url):
        # only where it leads counts: checked as a link, its page inspected on its own
        stated = re.search(r"url\s*=\s*(\S+)", found.get("refresh") or "", re.IGNORECASE)
        target = urljoin(url, stated.group(1)) if stated else landed
        return PageReport(url, links=[target], redirect=target)
    return PageReport(
        url,
        found["title"].strip(),
        found["images"],
        found["audios"],
        found["errors"],
        found["links"],
        set(found["ids"]),
    )


def _inspect(driver) -> dict:
    return driver.execute_async_script(
        INSPECT_PAGE, MEDIA_TIMEOUT_MS, ERROR_OUTPUT_SELECTOR, list(ERROR_TEXTS)
    )


def page_url(url: str) -> str:
    """`url` without fragment and query, a folder's index page spelled out."""
    scheme, netloc, path, _, _ = urlsplit(urldefrag(url).url)
    return urlunsplit((scheme, netloc, path + ("index.html" if path.endswith("/") else ""), "", ""))


def dead_links(reports: dict[str, PageReport], base_url: str) -> list[str]:
    """Links inside the book (under `base_url`) to a missing file, or to an `#anchor` that
    the opened target page does not have. `reports`: every page of the book, by URL. Files
    other than pages (images, sources, downloads) are asked for over HTTP."""
    status: dict[str, str | None] = {url: None for url in reports}

    def fetch_problem(url: str) -> str | None:
        if url not in status:
            try:
                with urllib.request.urlopen(url, timeout=30) as response:
                    status[url] = None if response.status == 200 else f"HTTP {response.status}"
            except urllib.error.HTTPError as error:
                status[url] = f"HTTP {error.code}"
        return status[url]

    problems = []
    for page, report in reports.items():
        for link in report.links:
            if not link.startswith(base_url):
                continue  # outside the book: not reachable from this closed network anyway
            target, anchor = page_url(link), unquote(urldefrag(link).fragment)
            where = f"{page.removeprefix(base_url)}: {link.removeprefix(base_url)}"
            problem = fetch_problem(target)
            if problem:
                problems.append(f"{where}: {problem}")
            elif anchor and target in reports and anchor not in reports[target].ids:
                problems.append(f"{where}: no element with id {anchor!r} on the page")
    return problems


SEARCH_FINISHED = r"""
const done = arguments[arguments.length - 1];
const timeoutMs = arguments[0];
const start = Date.now();
(function poll() {
  const results = document.getElementById("search-results");
  const title = results && results.querySelector("h2");
  const status = results && results.querySelector("p.search-summary");
  // Sphinx's searchtools sets the title to "Search Results" once every result is listed
  if (title && status && title.textContent.trim() === "Search Results") {
    done({links: Array.from(results.querySelectorAll("ul.search li a")).map((a) => a.href),
          status: status.textContent});
  } else if (Date.now() - start > timeoutMs) {
    done({failure: `no search results after ${timeoutMs} ms: ${results && results.innerHTML}`});
  } else setTimeout(poll, 100);
})();
"""


def search(driver, base_url: str, word: str) -> list[str]:
    """The pages (URLs without anchors) that the book's own search page lists for `word`."""
    driver.get(urljoin(base_url, f"search.html?q={word}"))
    found = driver.execute_async_script(SEARCH_FINISHED, MEDIA_TIMEOUT_MS)
    assert "failure" not in found, found["failure"]
    return sorted({page_url(link) for link in found["links"]})


def title_word(title: str) -> str:
    """The longest word of a page title, for a search that should find that page."""
    words = re.findall(r"[A-Za-z]{4,}", title)
    assert words, f"no word to search for in the title {title!r}"
    return max(words, key=len)


def page_problems(report: PageReport, base_url: str) -> list[str]:
    name = report.url.removeprefix(base_url)
    return (
        [f"{name}: error output {error}" for error in report.errors]
        + [f"{name}: image does not decode: {src}" for src in report.broken_images]
        + [f"{name}: audio does not load: {audio}" for audio in report.broken_audio]
    )


# --------------------------------------------------------------------------- the smoke book
@pytest.mark.slow
def test_every_page_of_the_smoke_book_works_in_a_browser(chromium, smoke_book_html, capsys):
    # `chromium` first: without a browser the test skips before the book is built
    pages = book_pages(smoke_book_html)
    assert any(page.parent.name == "notebooks" for page in pages), pages
    with serve(smoke_book_html) as base_url:
        reports = {}
        for page in pages:
            url = urljoin(base_url, page.relative_to(smoke_book_html).as_posix())
            reports[url] = inspect_page(chromium, url)
        links = dead_links(reports, base_url)
        # each chapter is found by the longest word of its title
        chapters = [r for r in reports.values() if "/notebooks/" in r.url and r.title]
        searched = {}
        for chapter in chapters:
            word = title_word(chapter.title)
            searched[chapter.url] = (word, search(chromium, base_url, word))
    internal = [link for r in reports.values() for link in r.links if link.startswith(base_url)]
    with capsys.disabled():
        print(
            f"\nbrowser: {len(reports)} pages, "
            f"{sum(len(r.images) for r in reports.values())} images, "
            f"{sum(len(r.audios) for r in reports.values())} audio players, "
            f"{len(internal)} internal links ({sum('#' in link for link in internal)} to an "
            f"anchor), {sum(r.redirect is not None for r in reports.values())} redirect stub(s); "
            f"searched {len(searched)} chapters by a title word"
        )
    problems = [problem for r in reports.values() for problem in page_problems(r, base_url)]
    problems += links
    problems += [
        f"search for {word!r} did not list {url.removeprefix(base_url)}: {found}"
        for url, (word, found) in searched.items()
        if url not in found
    ]
    assert not problems, "\n".join(problems)
    # the report's book has figures and sound examples: the checks above saw real ones
    assert any(r.images for r in reports.values()), "no image on any page"
    assert any(r.audios for r in reports.values()), "no audio player on any page"
    assert searched, "no chapter page with a title"


# --------------------------------------------------------------------------- each check fails
SOUND_CHAPTER = "01_sounds"
BROKEN_CHAPTER = "02_broken"
SEARCH_WORD = "xylophone"


def _write_notebook(path: Path, title: str, *sources: str, markdown: str = "") -> None:
    notebook = new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    notebook.cells = [new_markdown_cell(f"# {title}\n\n{markdown}")]
    notebook.cells += [new_code_cell(source) for source in sources]
    nbformat.write(notebook, str(path))


@pytest.fixture(scope="session")
def tiny_book_site(tmp_path_factory, chromium) -> Iterator[str]:
    """A two-chapter book run by the library's own pipeline (papermill, Jupyter Book), so its
    pages carry the real markup of a figure, an audio player and a failed cell; served with
    pages broken on purpose beside them (base URL of the site)."""
    root = tmp_path_factory.mktemp("tiny-book")
    (root / "notebooks").mkdir()
    (root / "book").mkdir()
    (root / "book" / "intro.md").write_text("# Tiny book\n")
    (root / "_config.yml").write_text(
        'title: tiny\nexecute:\n  execute_notebooks: "off"\nonly_build_toc_files: true\n'
    )
    (root / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nchapters:\n"
        f"  - file: notebooks/{SOUND_CHAPTER}\n  - file: notebooks/{BROKEN_CHAPTER}\n"
    )
    _write_notebook(
        root / "notebooks" / f"{SOUND_CHAPTER}.ipynb",
        f"A {SEARCH_WORD} chapter",
        "import matplotlib.pyplot as plt\nplt.plot([0, 1], [1, 0])\nplt.show()",
        "import numpy as np\nfrom IPython.display import Audio\n"
        "Audio(np.sin(np.linspace(0, 800, 8000)), rate=8000)",
        markdown=f"See [the next chapter]({BROKEN_CHAPTER}.ipynb) and [below](#a-section).\n\n"
        "## A section\n",
    )
    _write_notebook(
        root / "notebooks" / f"{BROKEN_CHAPTER}.ipynb",
        "A failing chapter",
        "raise ValueError('planted failure')",
    )
    results = execute_book(root, {}, echo=False)
    assert [result.status for result in results] == ["executed", "failed"], results
    html_root = build_html(root).parent
    chapter_dir = html_root / "notebooks"
    sound_page = (chapter_dir / f"{SOUND_CHAPTER}.html").read_text(encoding="utf-8")
    image = re.search(r'<img [^>]*src="(\.\./_images/[^"]+\.png)"', sound_page).group(1)
    audio = re.search(r'<source src="(data:audio/wav;base64,[^"]+)"', sound_page).group(1)
    not_a_wave = base64.b64encode(b"RIFF this is not a wave file" * 20).decode()
    broken = {
        "broken_image": [(image, "../_images/no-such-figure.png")],
        "undecodable_image": [(image, "data:image/png;base64," + not_a_wave)],
        "broken_audio": [(audio, "data:audio/wav;base64," + not_a_wave)],
        "dead_links": [
            (
                "</article>",
                '<a href="no_such_chapter.html">gone</a>'
                f'<a href="{SOUND_CHAPTER}.html#no-such-section">gone too</a>'
                '<a href="#nowhere-here">and here</a></article>',
            )
        ],
    }
    for name, replacements in broken.items():
        page = sound_page
        for old, new in replacements:
            assert old in page, old
            page = page.replace(old, new)
        (chapter_dir / f"{name}.html").write_text(page, encoding="utf-8")
    (chapter_dir / "redirect_to_nowhere.html").write_text(
        '<meta http-equiv="Refresh" content="0; url=no_such_chapter.html" />'
    )
    with serve(html_root) as base_url:
        yield base_url


def tiny_page(base_url: str, name: str) -> str:
    return urljoin(base_url, f"notebooks/{name}.html")


@pytest.mark.slow
def test_a_sound_chapter_passes_every_check(chromium, tiny_book_site):
    report = inspect_page(chromium, tiny_page(tiny_book_site, SOUND_CHAPTER))
    assert len(report.images) == 1 and len(report.audios) == 1, report
    assert report.audios[0]["duration"] == pytest.approx(1.0)  # 8000 samples at 8 kHz
    assert page_problems(report, tiny_book_site) == []
    assert dead_links({report.url: report}, tiny_book_site) == []


@pytest.mark.slow
def test_a_failed_cell_is_an_error_on_its_page(chromium, tiny_book_site):
    report = inspect_page(chromium, tiny_page(tiny_book_site, BROKEN_CHAPTER))
    assert any(
        "traceback" in error and error.endswith("ValueError: planted failure")
        for error in report.errors
    ), report.errors
    assert any(error.startswith("papermill-error-cell") for error in report.errors)
    assert 'text "Traceback (most recent call last)"' in report.errors
    assert page_problems(report, tiny_book_site)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["broken_image", "undecodable_image"])
def test_an_image_that_does_not_decode_is_found(chromium, tiny_book_site, name):
    report = inspect_page(chromium, tiny_page(tiny_book_site, name))
    assert len(report.broken_images) == 1 and not report.broken_audio and not report.errors


@pytest.mark.slow
def test_an_audio_player_whose_source_does_not_load_is_found(chromium, tiny_book_site):
    report = inspect_page(chromium, tiny_page(tiny_book_site, "broken_audio"))
    assert len(report.broken_audio) == 1 and not report.broken_images and not report.errors
    assert report.audios[0]["networkState"] == 3  # NETWORK_NO_SOURCE; `audio.error` stays null


@pytest.mark.slow
def test_links_to_a_missing_page_or_anchor_are_found(chromium, tiny_book_site):
    urls = [tiny_page(tiny_book_site, name) for name in ("dead_links", SOUND_CHAPTER)]
    reports = {url: inspect_page(chromium, url) for url in urls}
    problems = dead_links(reports, tiny_book_site)
    assert len(problems) == 3, problems
    assert "notebooks/no_such_chapter.html: HTTP 404" in problems[0]
    assert "no element with id 'no-such-section'" in problems[1]
    assert "no element with id 'nowhere-here'" in problems[2]


@pytest.mark.slow
def test_search_lists_the_chapter_with_the_word_and_nothing_for_an_absent_one(
    chromium, tiny_book_site
):
    word = title_word(inspect_page(chromium, tiny_page(tiny_book_site, SOUND_CHAPTER)).title)
    assert word == SEARCH_WORD
    assert tiny_page(tiny_book_site, SOUND_CHAPTER) in search(chromium, tiny_book_site, word)
    assert search(chromium, tiny_book_site, "zyzzyvaquux") == []


@pytest.mark.slow
def test_a_redirect_stub_is_checked_as_a_link_to_its_target(chromium, tiny_book_site):
    index = inspect_page(chromium, tiny_book_site + "index.html")  # Jupyter Book's own stub
    assert index.redirect == urljoin(tiny_book_site, "book/intro.html")
    stub = inspect_page(chromium, tiny_page(tiny_book_site, "redirect_to_nowhere"))
    assert stub.redirect == tiny_page(tiny_book_site, "no_such_chapter")
    assert dead_links({index.url: index}, tiny_book_site) == []
    assert dead_links({stub.url: stub}, tiny_book_site) == [
        "notebooks/redirect_to_nowhere.html: notebooks/no_such_chapter.html: HTTP 404"
    ]

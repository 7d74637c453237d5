"""Data, ground truth and measurements for vector indexes, as ann-benchmarks defines them.

- `clustered(n, d, n_queries, seed)`: a seeded synthetic set with cluster
  structure (Gaussian blobs of different spreads), queries drawn the same way;
- `exact_neighbours`: the float64 ground truth (ids and contract distances);
- `recall_at_k`: ann-benchmarks' recall with its distance epsilon: a returned
  id counts when its true (float64) distance is at most the true k-th
  distance + EPSILON, so ties at the k-th distance are not punished;
- `measure`: build time, index memory, single-query and batched QPS and
  recall@10 of one parameter setting; `pareto_frontier` of (recall, QPS) points.

Used by the suite's tests and benchmarks and by `aigc-bench ann-bench`.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass

import numpy as np

EPSILON = 1e-3  # ann-benchmarks' default distance epsilon for recall


def clustered(n: int, d: int, n_queries: int = 100, seed: int = 0, n_clusters: int | None = None):
    """(base float32 [n, d], queries float32 [n_queries, d]): points around
    n_clusters random centres (default n // 100, at least 8) with per-cluster spread."""
    rng = np.random.default_rng(seed)
    n_clusters = n_clusters or max(8, n // 100)
    centres = rng.standard_normal((n_clusters, d))  # [c, d]
    spread = rng.uniform(0.3, 0.8, n_clusters)  # [c]

    def draw(m):
        c = rng.integers(0, n_clusters, m)
        return (centres[c] + rng.standard_normal((m, d)) * spread[c, None]).astype(np.float32)

    return draw(n), draw(n_queries)


def true_distances(queries, base, metric: str) -> np.ndarray:
    """[q, n] contract distances in float64 (see the contract: l2 squared, ip/cosine 1 - similarity)."""
    q = np.asarray(queries, np.float64)
    x = np.asarray(base, np.float64)
    if metric == "cosine":
        q = q / np.linalg.norm(q, axis=1, keepdims=True)
        x = x / np.linalg.norm(x, axis=1, keepdims=True)
    if metric == "l2":
        return ((q[:, None, :] - x[None, :, :]) ** 2).sum(-1) if q.shape[0] * x.shape[0] * x.shape[1] < 2e7 else np.maximum(
            (q * q).sum(1)[:, None] - 2 * q @ x.T + (x * x).sum(1)[None, :], 0.0
        )
    return 1.0 - q @ x.T


def exact_neighbours(queries, base, metric: str, k: int = 10, block: int = 256):
    """Float64 ground truth: (ids int64 [q, k], distances float64 [q, k]), ties broken by id."""
    ids, dist = [], []
    for s in range(0, len(queries), block):
        d = true_distances(queries[s : s + block], base, metric)
        order = np.argsort(d, axis=1, kind="stable")[:, :k]
        ids.append(order)
        dist.append(np.take_along_axis(d, order, 1))
    return np.concatenate(ids), np.concatenate(dist)


def returned_true_distances(queries, base, ids, metric: str) -> np.ndarray:
    """The float64 distance of each returned id (inf for the padding id -1)."""
    out = np.full(ids.shape, np.inf)
    for i, row in enumerate(ids):
        valid = row >= 0
        out[i, valid] = true_distances(queries[i : i + 1], base[row[valid]], metric)[0]
    return out


def recall_at_k(queries, base, ids, truth_dist, metric: str, k: int = 10, epsilon: float = EPSILON) -> float:
    """ann-benchmarks' recall@k: the fraction of the k returned ids whose true distance
    is within `epsilon` of the true k-th nearest distance."""
    got = returned_true_distances(queries, base, ids[:, :k], metric)
    threshold = truth_dist[:, k - 1 : k] + epsilon
    return float(np.mean(np.sum(got <= threshold, axis=1) / k))


# ---------------------------------------------------------------------------- measurements


@dataclass
class Point:
    algorithm: str
    params: dict
    recall: float
    qps_single: float
    qps_batch: float
    build_seconds: float
    memory_bytes: int
    n: int
    dim: int
    metric: str

    def as_dict(self):
        return asdict(self)


def _qps(fn, n_queries: int, min_seconds: float) -> float:
    """Queries per second of fn() answering n_queries, repeated for at least min_seconds."""
    fn()  # warm up (JIT, caches)
    start, rounds = time.perf_counter(), 0
    while True:
        fn()
        rounds += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return rounds * n_queries / elapsed


def measure_setting(name: str, module, index, base, queries, truth_dist, metric, params: dict, build_seconds: float, k: int = 10, min_seconds: float = 0.3) -> Point:
    """One (recall, QPS) point of a built index at search parameters `params`."""
    if params:
        module.set_search_params(index, **params)
    ids, _ = module.batch_search(index, queries, k)
    recall = recall_at_k(queries, base, ids, truth_dist, metric, k)

    def single():
        for q in queries:
            module.search(index, q, k)

    qps_single = _qps(single, len(queries), min_seconds)
    qps_batch = _qps(lambda: module.batch_search(index, queries, k), len(queries), min_seconds)
    return Point(name, dict(params), recall, qps_single, qps_batch, build_seconds, int(module.memory_bytes(index)), len(base), base.shape[1], metric)


def timed_build(module, base, metric, build_params: dict):
    start = time.perf_counter()
    index = module.build(base, metric, **build_params)
    return index, time.perf_counter() - start


def pareto_frontier(points: list[Point], qps: str = "qps_single") -> list[Point]:
    """The points no other point beats on both recall and QPS, by increasing recall."""
    best, frontier = -1.0, []
    for p in sorted(points, key=lambda p: (-p.recall, -getattr(p, qps))):
        if getattr(p, qps) > best:
            frontier.append(p)
            best = getattr(p, qps)
    return sorted(frontier, key=lambda p: p.recall)


def qps_at_recall(points: list[Point], target: float, qps: str = "qps_single") -> float | None:
    """The best QPS among points reaching `target` recall (None when none does)."""
    reaching = [getattr(p, qps) for p in points if p.recall >= target]
    return max(reaching) if reaching else None


# ---------------------------------------------------------------------------- the sweep

# (label, module, build parameters (n -> dict), search parameter name, values swept)
def sweep_plan(n: int) -> list[tuple]:
    nlist = max(1, round(math.sqrt(n)))
    efs = [10, 16, 24, 32, 48, 64, 96, 128, 192, 256]
    probes = [p for p in (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48) if p <= nlist]
    return [
        ("ours brute force", "impls.numpy.ann_bruteforce", {}, None, [None]),
        ("faiss Flat", "impls.faiss.ann_bruteforce", {}, None, [None]),
        ("ours HNSW (numba)", "impls.numba.ann_hnsw", {"M": 16, "ef_construction": 100}, "ef_search", efs),
        ("hnswlib", "impls.hnswlib.ann_hnsw", {"M": 16, "ef_construction": 100}, "ef_search", efs),
        ("faiss HNSW", "impls.faiss.ann_hnsw", {"M": 16, "ef_construction": 100}, "ef_search", efs),
        ("ours IVF", "impls.numpy.ann_ivf", {"nlist": nlist}, "nprobe", probes),
        ("faiss IVFFlat", "impls.faiss.ann_ivf", {"nlist": nlist}, "nprobe", probes),
        ("ours LSH", "impls.numpy.ann_lsh", {"n_tables": 16}, "n_tables", [1, 2, 4, 8, 16]),
        ("ChromaDB HNSW", "impls.chroma.ann_hnsw", {"M": 16, "ef_construction": 100}, "ef_search", [16, 64, 256]),
    ]


def run_sweep(base, queries, metric: str = "cosine", algorithms=None, min_seconds: float = 0.3, progress: bool = True, k: int = 10) -> list[Point]:
    """Every algorithm's recall/QPS points (single-threaded: BLAS, faiss and hnswlib limited to 1 thread)."""
    import importlib

    from threadpoolctl import threadpool_limits
    from tqdm import tqdm

    plan = [p for p in sweep_plan(len(base)) if algorithms is None or p[0] in algorithms]
    _, truth_dist = exact_neighbours(queries, base, metric, k)
    steps = sum(len(values) + 1 for *_, values in plan)
    points: list[Point] = []
    with threadpool_limits(1), tqdm(total=steps, desc="ann sweep", unit="step", disable=not progress) as bar:
        try:
            import faiss

            faiss.omp_set_num_threads(1)
        except ImportError:
            pass
        for label, module_name, build_params, knob, values in plan:
            bar.set_postfix_str(f"{label}: build")
            module = importlib.import_module(module_name)
            index, seconds = timed_build(module, base, metric, build_params)
            bar.update(1)
            for value in values:
                bar.set_postfix_str(f"{label}: {knob}={value}" if knob else label)
                params = {knob: value} if knob else {}
                points.append(measure_setting(label, module, index, base, queries, truth_dist, metric, params, seconds, k, min_seconds))
                bar.update(1)
            del index
    return points


def growth(sizes, dim: int, n_queries: int, metric: str = "cosine", progress: bool = True) -> list[dict]:
    """Build time and single-query QPS against corpus size, at fixed parameters."""
    import importlib

    from threadpoolctl import threadpool_limits
    from tqdm import tqdm

    chosen = [
        ("ours brute force", "impls.numpy.ann_bruteforce", {}, {}),
        ("ours HNSW (numba)", "impls.numba.ann_hnsw", {"M": 16, "ef_construction": 100}, {"ef_search": 64}),
        ("hnswlib", "impls.hnswlib.ann_hnsw", {"M": 16, "ef_construction": 100}, {"ef_search": 64}),
        ("ours IVF", "impls.numpy.ann_ivf", None, None),
        ("faiss IVFFlat", "impls.faiss.ann_ivf", None, None),
    ]
    rows = []
    with threadpool_limits(1), tqdm(total=len(sizes) * len(chosen), desc="growth", disable=not progress) as bar:
        for n in sizes:
            base, queries = clustered(n, dim, n_queries, seed=1)
            _, truth_dist = exact_neighbours(queries, base, metric)
            for label, module_name, build_params, search_params in chosen:
                nlist = max(1, round(math.sqrt(n)))
                build_params = {"nlist": nlist} if build_params is None else build_params
                search_params = {"nprobe": max(1, nlist // 8)} if search_params is None else search_params
                module = importlib.import_module(module_name)
                index, seconds = timed_build(module, base, metric, build_params)
                p = measure_setting(label, module, index, base, queries, truth_dist, metric, search_params, seconds, min_seconds=0.2)
                rows.append(p.as_dict())
                bar.update(1)
    return rows


TARGETS = (
    # (our algorithm, peer, recall at which QPS is compared, the ratio the issue asks for)
    ("ours HNSW (numba)", "hnswlib", 0.95, 0.5),
    ("ours IVF", "faiss IVFFlat", 0.95, 0.5),
    ("ours brute force", "faiss Flat", 0.99, 1 / 1.5),
)


def target_ratios(points: list[Point]) -> list[dict]:
    """Our single-query QPS over the peer's at the same recall floor, against the target ratio."""
    out = []
    for ours, peer, recall, wanted in TARGETS:
        a = qps_at_recall([p for p in points if p.algorithm == ours], recall)
        b = qps_at_recall([p for p in points if p.algorithm == peer], recall)
        ratio = a / b if a and b else None
        out.append({"ours": ours, "peer": peer, "recall": recall, "ours_qps": a, "peer_qps": b, "ratio": ratio,
                    "target_ratio": wanted, "met": None if ratio is None else ratio >= wanted})
    return out


def write_outputs(points: list[Point], out_dir, title: str, growth_rows=None) -> dict:
    """The Pareto plot (PNG), the table of every point (CSV and Markdown) and the targets (JSON)."""
    import json
    from pathlib import Path

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    table = pd.DataFrame([p.as_dict() for p in points])
    table.to_csv(out / "ann_points.csv", index=False)
    fig, ax = plt.subplots(figsize=(8, 5.5))
    for name in table["algorithm"].unique():
        frontier = pareto_frontier([p for p in points if p.algorithm == name])
        ours = name.startswith("ours")
        ax.plot([p.recall for p in frontier], [p.qps_single for p in frontier], marker="o" if ours else "s",
                linestyle="-" if ours else "--", label=name)
    ax.set_yscale("log")
    ax.set_xlabel("recall@10 (ann-benchmarks, epsilon 1e-3)")
    ax.set_ylabel("queries per second (single query, 1 thread)")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "ann_pareto.png", dpi=120)
    plt.close(fig)
    targets = target_ratios(points)
    lines = [f"# {title}", "", "| algorithm | params | recall@10 | QPS single | QPS batch | build s | memory MiB |", "|---|---|---|---|---|---|---|"]
    for p in points:
        lines.append(f"| {p.algorithm} | {p.params} | {p.recall:.3f} | {p.qps_single:,.0f} | {p.qps_batch:,.0f} | {p.build_seconds:.2f} | {p.memory_bytes / 2**20:.1f} |")
    lines += ["", "| target | recall | ours QPS | peer QPS | ratio | wanted | met |", "|---|---|---|---|---|---|---|"]
    for t in targets:
        fmt = lambda v: "-" if v is None else f"{v:,.0f}"  # noqa: E731
        ratio = "-" if t["ratio"] is None else f"{t['ratio']:.2f}"
        lines.append(f"| {t['ours']} vs {t['peer']} | {t['recall']} | {fmt(t['ours_qps'])} | {fmt(t['peer_qps'])} | {ratio} | {t['target_ratio']:.2f} | {t['met']} |")
    if growth_rows:
        lines += ["", "| growth: algorithm | n | build s | QPS single | recall@10 |", "|---|---|---|---|---|"]
        for r in growth_rows:
            lines.append(f"| {r['algorithm']} | {r['n']} | {r['build_seconds']:.2f} | {r['qps_single']:,.0f} | {r['recall']:.3f} |")
        _growth_plot(growth_rows, out / "ann_growth.png", plt)
    (out / "ann_table.md").write_text("\n".join(lines) + "\n")
    (out / "ann_targets.json").write_text(json.dumps({"targets": targets, "growth": growth_rows or []}, indent=1))
    return {"points": [p.as_dict() for p in points], "targets": targets, "growth": growth_rows or [], "files": [str(out / f) for f in ("ann_pareto.png", "ann_table.md", "ann_points.csv", "ann_targets.json")]}


def _growth_plot(rows, path, plt) -> None:
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for name in dict.fromkeys(r["algorithm"] for r in rows):
        mine = [r for r in rows if r["algorithm"] == name]
        left.plot([r["n"] for r in mine], [r["build_seconds"] for r in mine], marker="o", label=name)
        right.plot([r["n"] for r in mine], [r["qps_single"] for r in mine], marker="o", label=name)
    for ax, label in ((left, "build seconds"), (right, "QPS (single query)")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("corpus size")
        ax.set_ylabel(label)
        ax.grid(True, which="both", alpha=0.3)
    right.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)

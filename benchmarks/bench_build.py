"""Build benchmark: kg against the segmentation floor, side by side in one run.

    python benchmarks/corpus.py /work/shared/data/news -o /tmp/news.jsonl
    python benchmarks/bench_build.py /tmp/news.jsonl [--jobs 1 2] [--no-model] [--queries 20]

Reports, for the same input on the same machine:
  * the floor: bare ``jieba.lcut`` (own Tokenizer, HMM on) over every text, one core, run
    before the first build and after each (the machine's speed drifts);
  * ``kg build --jobs N`` for each N: wall time, characters/second, ratio to the fastest
    floor and to the mean of the two floors around the build, peak RSS of the process tree;
  * exports of the built graph: Turtle and N-Quads (time, size);
  * SPARQL latency of the canned queries (ontology/queries/*.rq), p50 / p99 over repeated
    runs, on rdflib (what ``kg query`` uses) and on Oxigraph (what ``kg serve`` uses).
Prints a Markdown table for docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def texts_of(corpus: Path) -> list[str]:
    return [json.loads(line)["text"] for line in corpus.read_text(encoding="utf-8").splitlines() if line.strip()]


def floor(texts: list[str]) -> float:
    import jieba

    tok = jieba.Tokenizer()
    tok.initialize()
    started = time.perf_counter()
    for text in texts:
        tok.lcut(text)
    return time.perf_counter() - started


def _tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and all its descendants (kB), from /proc."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as fh:
                total += next((int(line.split()[1]) for line in fh if line.startswith("VmRSS")), 0)
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except (OSError, ValueError):
            continue
    return total


def run_measured(cmd: list[str], tree: list[int] | None = None) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (kB, largest process of the tree), stdout. With ``tree`` (a list),
    the peak of the whole tree's summed RSS, sampled every 0.5 s, is appended to it."""
    import threading

    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(["/usr/bin/time", "-f", "%M", *cmd], stdout=out, stderr=subprocess.PIPE)
        peak = [0]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.5):
                peak[0] = max(peak[0], _tree_rss_kb(proc.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, err = proc.communicate()
        done.set()
        sampler.join()
        wall = time.perf_counter() - started
        out.seek(0)
        stdout = out.read().decode()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{err.decode()[-2000:]}")
    rss = int(err.decode().strip().splitlines()[-1])
    if tree is not None:
        tree.append(peak[0])
    return wall, rss, stdout


def percentiles(samples: list[float]) -> tuple[float, float]:
    samples = sorted(samples)
    p99 = samples[min(len(samples) - 1, int(round(0.99 * (len(samples) - 1))))]
    return statistics.median(samples), p99


def _rdflib_timed(graph, text: str, limit: float) -> float:
    """Seconds for one rdflib query, run in a forked child so a runaway query can be cut at
    ``limit`` (reported as inf)."""
    import multiprocessing

    def run() -> None:
        list(graph.query(text))

    child = multiprocessing.get_context("fork").Process(target=run)
    started = time.perf_counter()
    child.start()
    child.join(limit)
    if child.is_alive():
        child.kill()
        child.join()
        return float("inf")
    return time.perf_counter() - started


def sparql_latency(graph: Path, runs: int, rdflib_limit: float = 30.0, use_rdflib: bool = True) -> dict[str, dict[str, tuple[float, float]]]:
    import pyoxigraph as ox

    import kg
    from kg.namespaces import PREFIXES
    from kg.resources import ontology_dir

    queries = {p.stem: p.read_text(encoding="utf-8") for p in sorted((ontology_dir() / "queries").glob("*.rq"))}
    header = "".join(f"PREFIX {k}: <{v}>\n" for k, v in PREFIXES.items())
    started = time.perf_counter()
    rdflib_graph = kg.load(graph) if use_rdflib else None
    load_rdflib = time.perf_counter() - started if use_rdflib else float("nan")
    started = time.perf_counter()
    store = ox.Store()
    store.bulk_load(path=str(graph), format=ox.RdfFormat.TURTLE)
    load_ox = time.perf_counter() - started
    out: dict[str, dict[str, tuple[float, float]]] = {"_load": {"rdflib": (load_rdflib, 0), "oxigraph": (load_ox, 0)}}
    for name, text in queries.items():
        timings: dict[str, list[float]] = {"rdflib": [], "oxigraph": []}
        for _ in range(runs):
            timings["rdflib"].append(_rdflib_timed(rdflib_graph, text, rdflib_limit) if use_rdflib else float("nan"))
            t = time.perf_counter()
            result = store.query(header + text)
            list(result) if not isinstance(result, bool) else result
            timings["oxigraph"].append(time.perf_counter() - t)
        out[name] = {k: percentiles(v) for k, v in timings.items()}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path, help="JSONL documents (benchmarks/corpus.py)")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--no-model", action="store_true")
    parser.add_argument("--segmenter", nargs="+", default=["jieba-fast"], choices=("jieba", "jieba-fast"),
                        help="build once per segmenter backend (and per --jobs)")
    parser.add_argument("--queries", type=int, default=20, help="runs per canned query")
    parser.add_argument("--work", type=Path, default=None, help="where builds go (default: a temp dir)")
    parser.add_argument("--no-rdflib", action="store_true",
                        help="skip rdflib in the query timings (a 100 MB graph takes minutes and GBs to parse into it)")
    parser.add_argument("--store", default="memory", help="--store for the builds (default memory: builds write only their files)")
    args = parser.parse_args()

    texts = texts_of(args.corpus)
    chars = sum(map(len, texts))
    mb = args.corpus.stat().st_size / 1e6
    print(f"corpus: {args.corpus} {len(texts)} documents, {chars:,} characters, {mb:.1f} MB; {os.cpu_count()} cores")
    # The floor is run before the first build and again after each: this shared machine's speed
    # drifts (two floors minutes apart have differed by 60 %). The ratios are given against the
    # fastest floor of the run (the least flattering) and against the mean of the two floors run
    # just before and after the build (the machine's speed while it ran).
    floors = [floor(texts)]
    print(f"  floor: {floors[0]:.1f} s, {chars / floors[0]:,.0f} chars/s", flush=True)
    rows = []
    work = args.work or Path(tempfile.mkdtemp(prefix="kgbench-"))
    built = None
    for segmenter, jobs in [(s, j) for s in args.segmenter for j in args.jobs]:
        out = work / f"{segmenter}-jobs{jobs}"
        cmd = [sys.executable, "-m", "kg.cli", "build", str(args.corpus), "-o", str(out), "--jobs", str(jobs), "--quiet",
               "--segmenter", segmenter, "--store", args.store]
        if args.no_model:
            cmd.append("--no-model")
        for stale in ("kg-state.sqlite", "kg-state.staging.sqlite"):
            (out / stale).unlink(missing_ok=True)  # measure analysis, not reuse
        tree: list[int] = []
        wall, rss, _ = run_measured(cmd, tree)
        name = f"kg build --jobs {jobs}" + (f" --segmenter {segmenter}" if segmenter != "jieba-fast" else "")
        rows.append((name + (" --no-model" if args.no_model else ""), wall, chars / wall, rss, tree[0]))
        print(f"  {rows[-1][0]}: {wall:.1f} s, {chars / wall:,.0f} chars/s, peak RSS {rss / 1024:.0f} MB "
              f"(all processes: {tree[0] / 1024:.0f} MB)", flush=True)
        built = out
        floors.append(floor(texts))
        print(f"  floor again: {floors[-1]:.1f} s, {chars / floors[-1]:,.0f} chars/s", flush=True)
    fastest = min(floors)
    runs = " / ".join(f"{f:.1f}" for f in floors)
    print("\n| run | seconds | chars/s | × floor (the fastest) | × floor (the two around it) | peak RSS (largest process) "
          "| peak RSS (all processes) |\n|---|---|---|---|---|---|---|")
    print(f"| bare jieba.lcut, 1 core (the floor: the fastest of {runs} s) | {fastest:.1f} | {chars / fastest:,.0f} | 1.00 | | | |")
    for k, (name, secs, rate, rss, tree_rss) in enumerate(rows):
        around = (floors[k] + floors[k + 1]) / 2
        print(f"| {name} | {secs:.1f} | {rate:,.0f} | {fastest / secs:.2f} | {around / secs:.2f} "
              f"| {rss / 1024:.0f} MB | {tree_rss / 1024:.0f} MB |")

    assert built is not None
    source = "the store" if (built / "store" / "CURRENT").is_file() else "graph.ttl"
    print("\n| export | seconds | size | peak RSS |\n|---|---|---|---|")
    for fmt in ("ttl", "nq"):
        target = work / f"graph.{fmt}"
        wall, rss, _ = run_measured([sys.executable, "-m", "kg.cli", "export", str(built), "-f", fmt, "-o", str(target)])
        print(f"| {fmt} (read from {source}, incl. ~1-2 s start-up) | {wall:.1f} | {target.stat().st_size / 1e6:.1f} MB | {rss / 1024:.0f} MB |")

    latency = sparql_latency(built / "graph.ttl", args.queries, use_rdflib=not args.no_rdflib)
    load = latency.pop("_load")
    print(f"\nload graph.ttl: rdflib {load['rdflib'][0]:.1f} s, Oxigraph {load['oxigraph'][0]:.2f} s")
    print("\n| canned query | rdflib p50 / p99 ms | Oxigraph p50 / p99 ms |\n|---|---|---|")
    for name, t in latency.items():
        r, o = t["rdflib"], t["oxigraph"]
        rd = "> 30 s (cut)" if r[0] == float("inf") else "not run" if r[0] != r[0] else f"{r[0] * 1e3:.1f} / {r[1] * 1e3:.1f}"
        print(f"| {name} | {rd} | {o[0] * 1e3:.1f} / {o[1] * 1e3:.1f} |")


if __name__ == "__main__":
    main()

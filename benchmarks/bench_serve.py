"""Throughput and latency of the `kg serve` SPARQL endpoint on loopback (not a test).

    python benchmarks/bench_serve.py                       # the embedded sample graph
    python benchmarks/bench_serve.py /tmp/newsgraph        # and/or any graph.ttl or build directory
    python benchmarks/bench_serve.py GRAPH --engines       # also: rdflib vs pyoxigraph, in-process

For each graph a real server is started (`kg serve --port 0` in a subprocess) and the
canned queries of ontology/queries/*.rq are sent round-robin for ``--seconds`` over
``--connections`` keep-alive connections; the script prints queries/second and p50 / p99
latency, overall and per query. The load generator is Debian's ``wrk`` when it is
installed (``apt-get install wrk``; a C client, so the numbers measure the server), else
httpx threads in this process (which spend ~3 ms of client CPU per request themselves). ``--engines`` first times loading the graph and
each canned query with rdflib (what `kg query` uses) and with pyoxigraph (what the server
uses), each rdflib query in a child process cut after ``--rdflib-timeout`` seconds.
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent


def canned() -> dict[str, str]:
    from kg.resources import ontology_dir

    return {p.stem: p.read_text(encoding="utf-8") for p in sorted((ontology_dir() / "queries").glob("*.rq"))}


def sample_graph(folder: Path) -> Path:
    from kg.api import Options, build_documents
    from kg.export import export
    from kg.sources import sample_documents

    path = folder / "graph.ttl"
    export(build_documents(sample_documents(), Options()), "ttl", path)
    return path


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


# ------------------------------------------------------------------ the endpoint


def start_server(graph: Path, workers: int) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", "serve", str(graph), "--port", "0", "--workers", str(workers), "--timeout", "60"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    line = proc.stdout.readline()
    if " at http" not in line:
        proc.kill()
        raise SystemExit(f"the server did not start: {line!r}")
    return proc, line.split(" at ", 1)[1].split("/ ", 1)[0]


def load(url: str, queries: dict[str, str], threads: int, seconds: float) -> dict[str, list[float]]:
    import httpx

    timings: dict[str, list[float]] = {name: [] for name in queries}
    errors: list[str] = []
    stop = time.monotonic() + seconds
    names = list(queries)

    def client(offset: int) -> None:
        with httpx.Client(timeout=120, headers={"Accept": "application/sparql-results+json"}) as http:
            i = offset
            while time.monotonic() < stop:
                name = names[i % len(names)]
                started = time.perf_counter()
                r = http.post(url + "/sparql", data={"query": queries[name]})
                elapsed = time.perf_counter() - started
                if r.status_code != 200:
                    errors.append(f"{name}: {r.status_code} {r.text[:80]}")
                timings[name].append(elapsed)  # list.append is atomic under the GIL
                i += 1

    pool = [threading.Thread(target=client, args=(k,)) for k in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    if errors:
        print(f"  {len(errors)} errors, first: {errors[0]}")
    return timings


_WRK_SCRIPT = """
local paths = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1], {["Accept"] = "application/sparql-results+json"})
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("KG %%d %%d %%d %%d %%d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def wrk(url: str, queries: dict[str, str], connections: int, seconds: float, folder: Path) -> tuple[float, float, float, int]:
    """(queries/s, p50 s, p99 s, errors) from one wrk run cycling through ``queries``."""
    paths = ", ".join(f'"/sparql?query={quote(q, safe="")}"' for q in queries.values())
    script = folder / "kg.lua"
    script.write_text(_WRK_SCRIPT % paths, encoding="utf-8")
    threads = max(1, min(connections, 2))
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "-s", str(script), url + "/sparql"],
        capture_output=True, text=True, check=True,
    ).stdout
    n, micros, p50, p99, errors = map(int, next(line for line in out.splitlines() if line.startswith("KG ")).split()[1:])
    return n / (micros / 1e6), p50 / 1e6, p99 / 1e6, errors


def bench_endpoint(graph: Path, args) -> None:
    queries = canned()
    use_wrk = args.client == "wrk" or (args.client == "auto" and shutil.which("wrk"))
    proc, url = start_server(graph, args.workers)
    try:
        load(url, queries, 1, 1.0)  # warm up every worker
        if use_wrk:
            with tempfile.TemporaryDirectory() as tmp:
                qps, p50, p99, errors = wrk(url, queries, args.connections, args.seconds, Path(tmp))
                per_query = {name: wrk(url, {name: q}, args.connections, max(1.0, args.seconds / 5), Path(tmp)) for name, q in queries.items()}
        else:
            timings = load(url, queries, args.connections, args.seconds)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    client = "wrk" if use_wrk else "httpx threads"
    print(f"\n{graph}: {args.connections} connections ({client}), {args.workers} query workers, {args.seconds:g} s")
    if use_wrk:
        print(f"  all canned queries round-robin: {qps:.0f} queries/s, p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms"
              + (f", {errors} errors" if errors else ""))
        for name, (q, a, b, e) in per_query.items():
            print(f"  {name:28s} {q:7.0f} q/s  p50 {a * 1000:7.1f} ms  p99 {b * 1000:7.1f} ms" + (f"  {e} errors" if e else ""))
        return
    everything = [t for ts in timings.values() for t in ts]
    print(f"  all canned queries round-robin: {len(everything) / args.seconds:.0f} queries/s, "
          f"p50 {percentile(everything, 50) * 1000:.1f} ms, p99 {percentile(everything, 99) * 1000:.1f} ms")
    for name, ts in timings.items():
        if ts:
            print(f"  {name:28s} n={len(ts):6d}  p50 {percentile(ts, 50) * 1000:7.1f} ms  p99 {percentile(ts, 99) * 1000:7.1f} ms")


# ------------------------------------------------------------------ rdflib vs pyoxigraph


def _rdflib_child(path: str, todo: list[tuple[str, str]], out) -> None:
    from rdflib import Graph

    from kg.namespaces import PREFIXES

    started = time.perf_counter()
    g = Graph().parse(path, format="turtle")
    out.put(("load", time.perf_counter() - started))
    list(g.query("ASK { ?s ?p ?o }"))  # rdflib sets its SPARQL machinery up on the first query
    for name, q in todo:
        started = time.perf_counter()
        list(g.query(q, initNs=PREFIXES))
        out.put((name, time.perf_counter() - started))


def bench_engines(graph: Path, args) -> None:
    import pyoxigraph as ox

    from kg.namespaces import PREFIXES

    queries = canned()
    started = time.perf_counter()
    store = ox.Store()
    store.bulk_load(path=str(graph), format=ox.RdfFormat.TURTLE)
    ox_load = time.perf_counter() - started
    ox_times = {}
    for name, q in queries.items():
        runs = []
        for _ in range(5):
            started = time.perf_counter()
            store.query(q, prefixes=PREFIXES).serialize(format=ox.QueryResultsFormat.JSON)
            runs.append(time.perf_counter() - started)
        ox_times[name] = statistics.median(runs)

    rdf_times: dict[str, float | None] = {}
    todo = list(queries.items())
    ctx = multiprocessing.get_context("spawn")
    while todo:
        out = ctx.Queue()
        child = ctx.Process(target=_rdflib_child, args=(str(graph), todo, out))
        child.start()
        load_budget = 600
        try:
            name, seconds = out.get(timeout=load_budget)
            rdf_times.setdefault("load", seconds)
            while todo:
                name, seconds = out.get(timeout=args.rdflib_timeout)
                rdf_times[name] = seconds
                todo.pop(0)
        except Exception:  # noqa: BLE001 - queue.Empty: the query at the head of todo ran too long
            rdf_times[todo.pop(0)[0]] = None
        finally:
            child.terminate()
            child.join()

    def fmt(v: float | None) -> str:
        return f">{args.rdflib_timeout:g} s" if v is None else f"{v * 1000:.1f} ms"

    print(f"\n{graph}: load rdflib {rdf_times['load']:.2f} s, pyoxigraph {ox_load:.2f} s")
    print(f"  {'query':28s} {'rdflib':>12s} {'pyoxigraph':>12s}")
    for name in queries:
        print(f"  {name:28s} {fmt(rdf_times.get(name)):>12s} {ox_times[name] * 1000:9.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("graphs", nargs="*", type=Path, help="graph.ttl files or build directories (default: the sample)")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=8, help="concurrent keep-alive connections")
    parser.add_argument("--client", choices=("auto", "wrk", "httpx"), default="auto")
    parser.add_argument("--workers", type=int, default=2, help="kg serve --workers")
    parser.add_argument("--engines", action="store_true", help="also compare rdflib and pyoxigraph in-process")
    parser.add_argument("--rdflib-timeout", type=float, default=60.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        graphs = [g / "graph.ttl" if g.is_dir() else g for g in args.graphs] or [sample_graph(Path(tmp))]
        if not args.graphs:
            print("graph: the embedded sample article (kg build)")
        for graph in graphs:
            if args.engines:
                bench_engines(graph, args)
            bench_endpoint(graph, args)


if __name__ == "__main__":
    main()

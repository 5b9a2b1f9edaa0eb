"""What a build does after the analysis, timed alone: graph assembly and the build outputs of the
analyses stored by an earlier ``kg build`` (its ``kg-state.sqlite``), as ``kg build --jobs 2``
does them (two processes; the outputs and the Oxigraph store).

    python benchmarks/bench_tail.py OUTPUT_DIR_OF_A_BUILD
    PYTHONPATH=/path/to/other/checkout python benchmarks/bench_tail.py OUTPUT_DIR   # another version

The state is copied first, and the graph and outputs go to a temporary directory, so the build
is not touched. Prints seconds for the assembly, the outputs and both.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import shutil
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("build", type=Path, help="the output directory of a kg build")
    args = parser.parse_args()

    from kg import incremental
    from kg.cli import _write_outputs
    from kg.graph import assemble
    from kg.state import STATE_FILE, State

    from kg import engine

    # what kg build does around these steps (where older checkouts keep it)
    paused = getattr(engine, "cyclic_gc_paused", None) or getattr(incremental, "_cyclic_gc_paused", contextlib.nullcontext)
    with tempfile.TemporaryDirectory(prefix="kg-tail-") as tmp:
        work = Path(tmp)
        shutil.copy(args.build / STATE_FILE, work / STATE_FILE)
        state = State(work / STATE_FILE)
        (work / "out").mkdir()
        started = time.perf_counter()
        with paused():
            two = {"jobs": 2} if "jobs" in inspect.signature(assemble).parameters else {}  # older kg: one process
            graph = assemble(state.results, work / "assembly", **two)
            assembled = time.perf_counter()
            # the build outputs and the store, as `kg build --jobs 2 --store auto` writes them
            _write_outputs(work / "out", work / "out" / "store", only_if_large=True, parallel=True)(graph)
            done = time.perf_counter()
        graph.close()
        state.close()
    print(f"assembly {assembled - started:.1f} s, outputs {done - assembled:.1f} s, both {done - started:.1f} s")


if __name__ == "__main__":
    main()

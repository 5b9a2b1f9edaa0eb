"""Time and peak memory of ``kg.extract`` on ONE very large document.

    python scripts/bench_large_doc.py [--mb 1.0] [--news /work/shared/data/news] [--no-model] [--chunk-chars N]

The document is the first ``--mb`` megabytes (UTF-8) of the news corpus lines, joined by
line breaks into a single text. Prints characters, seconds (pipeline already loaded),
peak RSS of the process before and after the run, entity and triple counts.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _document(news: Path, megabytes: float) -> str:
    budget = int(megabytes * 1_000_000)
    lines: list[str] = []
    size = 0
    for path in sorted(news.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if not line:
                continue
            size += len(line.encode("utf-8")) + 1
            if size > budget:
                return "\n".join(lines)
            lines.append(line)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=1.0)
    parser.add_argument("--news", type=Path, default=Path("/work/shared/data/news"))
    parser.add_argument("--no-model", action="store_true")
    parser.add_argument("--chunk-chars", type=int, help="override kg.nlp.pipeline.CHUNK_CHARS")
    args = parser.parse_args()

    import kg
    from kg.nlp import pipeline
    from kg.nlp.pipeline import make_nlp

    if args.chunk_chars:
        pipeline.CHUNK_CHARS = args.chunk_chars

    text = _document(args.news, args.mb)
    make_nlp((), not args.no_model)
    kg.extract(["预热。"], use_crf=not args.no_model)
    loaded = _peak_mb()
    start = time.perf_counter()
    (record,) = kg.extract([text], use_crf=not args.no_model)
    seconds = time.perf_counter() - start
    print(
        f"{len(text)} chars ({len(text.encode('utf-8')) / 1e6:.2f} MB UTF-8), {seconds:.1f} s, "
        f"peak RSS {loaded:.0f} MB loaded -> {_peak_mb():.0f} MB, "
        f"{len(record['entities'])} entities, {len(record['triples'])} triples",
        file=sys.stdout,
    )


if __name__ == "__main__":
    main()

"""Steady-state analysis time of the pipeline (NER + extractors), start-up excluded, for profiling.

    python benchmarks/profile_pipeline.py /tmp/news.jsonl --docs 1000
    pyinstrument benchmarks/profile_pipeline.py /tmp/news.jsonl --docs 1000   # where the time goes

Loads the pipeline once (on a few documents), then analyses the first ``--docs`` documents of a
JSONL corpus in batches of 100, as a ``kg build`` worker does, and prints characters/second.
"""

from __future__ import annotations

import argparse
import json
import time
from itertools import islice
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path, help="JSONL documents (benchmarks/corpus.py)")
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--segmenter", default="jieba-fast", help="jieba-fast | jieba")
    args = parser.parse_args()

    from kg.api import Options
    from kg.engine import analyse_batch
    from kg.model import Document

    with open(args.corpus, encoding="utf-8") as fh:
        docs = [Document(str(i), json.loads(line)["text"]) for i, line in enumerate(islice(fh, args.docs))]
    analyse_batch(docs[:5], Options(segmenter=args.segmenter))  # load the pipeline and models
    chars = sum(len(d.text) for d in docs)
    started = time.perf_counter()
    for k in range(0, len(docs), 100):
        analyse_batch(docs[k:k + 100], Options(segmenter=args.segmenter))
    seconds = time.perf_counter() - started
    print(f"{len(docs)} documents, {chars:,} characters: {seconds:.1f} s, {chars / seconds:,.0f} chars/s (one core, start-up excluded)")


if __name__ == "__main__":
    main()

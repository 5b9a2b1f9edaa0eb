"""Whether an analysing process's memory grows with the words it has seen: spaCy's string count
and the process's RSS while ``analyse_batch`` runs over a corpus, as a worker runs it.

    python benchmarks/bench_vocab.py /tmp/news.jsonl --copies 3
    PYTHONPATH=/path/to/other/checkout python benchmarks/bench_vocab.py /tmp/news.jsonl --copies 3

``--copies N`` reads the corpus N times, each copy after the first with its digits and Latin
letters remapped (a fixed permutation per copy), so later copies bring numbers and names the
first did not have, as a long build keeps doing. Prints documents, strings, RSS and seconds
every ``--every`` batches.
"""

from __future__ import annotations

import argparse
import random
import string
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path


def _rss_mb() -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        return int(f.read().split("VmRSS:")[1].split()[0]) // 1024


def _documents(corpus: Path, copies: int) -> Iterator:
    """The corpus's documents as ``kg build`` reads them, ``copies`` times, remapped after the first."""
    from kg.sources import read_documents

    rng = random.Random(7)
    for copy in range(copies):
        groups = [list(string.digits), list(string.ascii_uppercase)]
        for g in groups:
            rng.shuffle(g)
        mapped = "".join(groups[0] + groups[1] + [c.lower() for c in groups[1]])
        table = str.maketrans(string.digits + string.ascii_uppercase + string.ascii_lowercase, mapped)
        for doc in read_documents([corpus]):
            yield doc if copy == 0 else replace(doc, id=f"{doc.id}-{copy}", text=doc.text.translate(table))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path, help="what kg build reads (a JSONL corpus from benchmarks/corpus.py, a directory, files)")
    parser.add_argument("--copies", type=int, default=3)
    parser.add_argument("--every", type=int, default=100, help="report every this many batches")
    args = parser.parse_args()

    from kg.api import Options
    from kg.engine import BATCH_SIZE, _batches, analyse_batch
    from kg.nlp.pipeline import make_nlp

    options = Options()
    nlp = make_nlp(tuple(options.lexicons), options.use_crf, options.segmenter)
    start = time.perf_counter()
    print("documents  strings  RSS MB  seconds")
    n = 0
    for k, batch in enumerate(_batches(_documents(args.corpus, args.copies), BATCH_SIZE)):
        analyse_batch(batch, options)
        n += len(batch)
        if k % args.every == 0:
            print(f"{n:9d} {len(nlp.vocab.strings):8d} {_rss_mb():7d} {time.perf_counter() - start:8.0f}", flush=True)
    print(f"{n:9d} {len(nlp.vocab.strings):8d} {_rss_mb():7d} {time.perf_counter() - start:8.0f}  (end)")


if __name__ == "__main__":
    main()

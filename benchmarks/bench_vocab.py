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
import json
import random
import string
import time
from collections.abc import Iterator
from pathlib import Path


def _rss_mb() -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        return int(f.read().split("VmRSS:")[1].split()[0]) // 1024


def _documents(path: Path, copies: int) -> Iterator:
    from kg.model import Document

    rng = random.Random(7)
    for copy in range(copies):
        groups = [list(string.digits), list(string.ascii_uppercase)]
        for g in groups:
            rng.shuffle(g)
        mapped = "".join(groups[0] + groups[1] + [c.lower() for c in groups[1]])
        table = str.maketrans(string.digits + string.ascii_uppercase + string.ascii_lowercase, mapped)
        with path.open(encoding="utf-8") as f:
            for line in f:
                record = json.loads(line)
                text = record["text"] if copy == 0 else record["text"].translate(table)
                yield Document(id=f"{record['id']}-{copy}", text=text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path, help="a JSONL corpus (id, text), e.g. from benchmarks/corpus.py")
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

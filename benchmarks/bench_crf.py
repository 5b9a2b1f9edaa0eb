"""The NER CRF through crfsuite (feature strings) and compiled (kg/nlp/crfvec.py): speed and agreement.

    python benchmarks/bench_crf.py /tmp/news.jsonl --docs 12396

Segments every text once (jieba-fast, as the pipeline does), then tags them all both ways, one
process, and prints characters/second of each (segmentation excluded) and how many texts got
different tags (must be 0: the compiled model is crfsuite's, decoded in another way).
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
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=64, help="texts per compiled call (the pipeline's batch)")
    args = parser.parse_args()

    from kg.nlp.crf import CRFTagger
    from kg.nlp.tokenizer import new_jieba

    with open(args.corpus, encoding="utf-8") as fh:
        texts = [json.loads(line)["text"] for line in islice(fh, args.docs)]
    segmenter = new_jieba()
    words = []
    for text in texts:
        spans, pos = [], 0
        for w in segmenter.cut(text, HMM=True):
            spans.append((pos, pos + len(w)))
            pos += len(w)
        words.append(spans)
    chars = sum(map(len, texts))
    slow, fast = CRFTagger.load(compiled=False), CRFTagger.load()
    slow.tag_many(texts[:5], words[:5])
    fast.tag_many(texts[:5], words[:5])  # numba's first call loads (or compiles) the Viterbi

    started = time.perf_counter()
    want = slow.tag_many(texts, words)
    crfsuite_s = time.perf_counter() - started
    started = time.perf_counter()
    got = []
    for k in range(0, len(texts), args.batch):
        got.extend(fast.tag_many(texts[k:k + args.batch], words[k:k + args.batch]))
    compiled_s = time.perf_counter() - started
    differ = sum(a != b for a, b in zip(want, got))
    print(f"{len(texts)} texts, {chars:,} characters")
    print(f"crfsuite (feature strings): {crfsuite_s:.1f} s, {chars / crfsuite_s:,.0f} chars/s")
    print(f"compiled (crfvec):          {compiled_s:.1f} s, {chars / compiled_s:,.0f} chars/s "
          f"({crfsuite_s / compiled_s:.1f}x)")
    print(f"texts whose spans differ: {differ}")


if __name__ == "__main__":
    main()

"""jieba vs jieba-fast (jieba-fast-dat) on a corpus: token agreement and segmentation speed.

    python benchmarks/segmenter_agreement.py ../shared/data/news [--limit-chars 2000000]

Both segment the Simplified analysis view of each line (as the pipeline does), HMM on, with the
same lexicon words added (kg.nlp.tokenizer.new_jieba). Agreement = share of jieba's token spans
that jieba-fast produces too (and the converse); speed = characters per second of ``cut`` on one
core, after both are initialised (initialisation time printed apart), jieba-fast's including the
number re-joining kg applies to it (``join_numbers``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def spans(tokens) -> set[tuple[int, int]]:
    out, pos = set(), 0
    for t in tokens:
        out.add((pos, pos + len(t)))
        pos += len(t)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path, help="a directory of .txt files (one document per line) or one file")
    parser.add_argument("--limit-chars", type=int, default=2_000_000)
    args = parser.parse_args(argv)
    from kg.nlp.lexicon import load_lexicon
    from kg.nlp.tokenizer import join_numbers, new_jieba
    from kg.text import analysis_view

    files = sorted(args.corpus.glob("*.txt")) if args.corpus.is_dir() else [args.corpus]
    lines, total = [], 0
    for f in files:
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip() and total < args.limit_chars:
                view = analysis_view(line.strip())
                lines.append(view)
                total += len(view)
    words = load_lexicon(()).words()
    tokenizers = {}
    for name in ("jieba", "jieba-fast"):
        t = time.perf_counter()
        tokenizers[name] = new_jieba(words, name)
        print(f"{name}: initialised in {time.perf_counter() - t:.2f} s")
    results = {}
    for name, tok in tokenizers.items():
        t = time.perf_counter()
        results[name] = [list(tok.cut(line, HMM=True)) for line in lines]
        if name != "jieba":  # what kg's tokenizer does with the fast backend's numbers
            results[name] = [join_numbers(line, ws) for line, ws in zip(lines, results[name])]
        s = time.perf_counter() - t
        print(f"{name}: {total:,} characters in {s:.2f} s = {total / s:,.0f} chars/s")
    same = ref = fast = 0
    identical = 0
    for a, b in zip(results["jieba"], results["jieba-fast"]):
        sa, sb = spans(a), spans(b)
        same += len(sa & sb)
        ref += len(sa)
        fast += len(sb)
        identical += sa == sb
    print(f"token agreement: {same / ref:.4f} of jieba's tokens, {same / fast:.4f} of jieba-fast's; "
          f"{identical}/{len(lines)} lines segmented identically")
    return 0


if __name__ == "__main__":
    sys.exit(main())

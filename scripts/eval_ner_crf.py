#!/usr/bin/env python
"""Evaluate the CRF NER model on every dataset's dev split.

    python scripts/eval_ner_crf.py [--model PATH] [--data-dir D] [--datasets a,b] [--no-trad]

Prints per-type and micro P/R/F1 (exact span + type, after the per-dataset
coarse mapping of kg.datasets.coarse) for the Simplified dev text, then the
same for the text converted to Traditional with OpenCC s2t (character by
character, so offsets hold) and converted back t2s character by character
before tagging, as the pipeline does. Throughput is measured end to end
(jieba segmentation + features + CRF decoding) on the Simplified run.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kg import datasets as D  # noqa: E402
from kg.nlp.crf import CRFTagger, default_model_path  # noqa: E402


class CharConverter:
    """Character-by-character OpenCC conversion (length-preserving)."""

    def __init__(self, config: str) -> None:
        import opencc

        self._cc = opencc.OpenCC(config)
        self._cache: dict[str, str] = {}

    def char(self, c: str) -> str:
        r = self._cache.get(c)
        if r is None:
            r = self._cc.convert(c)
            if len(r) != 1:
                r = c
            self._cache[c] = r
        return r

    def __call__(self, text: str) -> str:
        return "".join(self.char(c) for c in text)


def print_table(name: str, res: dict) -> None:
    print(f"\n{name}")
    print(f"  {'type':10s} {'P':>6s} {'R':>6s} {'F1':>6s} {'gold':>6s} {'pred':>6s}")
    for t, v in res.items():
        print(f"  {t:10s} {v['p'] * 100:6.1f} {v['r'] * 100:6.1f} {v['f'] * 100:6.1f} "
              f"{v['n_gold']:6d} {v['n_pred']:6d}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(default_model_path()))
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--datasets", default=",".join(D.DATASETS))
    ap.add_argument("--no-trad", action="store_true", help="skip the Traditional-Chinese run")
    args = ap.parse_args(argv)

    tagger = CRFTagger.load(args.model)
    tagger.tag("预热")  # load jieba dictionary outside the timed region
    s2t = t2s = None
    if not args.no_trad:
        s2t = CharConverter("s2t")
        t2s = CharConverter("t2s")

    summary = []
    total_chars = 0
    total_time = 0.0
    seg_time = 0.0
    ner_time = 0.0
    for ds in args.datasets.split(","):
        dev = D.load(ds, "dev", args.data_dir)
        texts = [t for t, _ in dev]
        golds = [s for _, s in dev]
        t0 = time.perf_counter()
        preds = tagger.tag_many(texts)
        dt = time.perf_counter() - t0
        n = sum(len(t) for t in texts)
        total_chars += n
        total_time += dt
        # split the cost: jieba segmentation vs features + CRF (words given,
        # as in the pipeline, which segments anyway)
        t0 = time.perf_counter()
        words = [tagger.words(t) for t in texts]
        t1 = time.perf_counter()
        preds_w = tagger.tag_many(texts, words)
        t2 = time.perf_counter()
        seg_time += t1 - t0
        ner_time += t2 - t1
        assert preds_w == preds
        res = D.score(golds, preds, ds)
        print_table(f"== {ds} dev (Simplified): {len(dev)} sentences, {n} chars, {n / dt:,.0f} chars/s", res)
        row = [ds, res["micro"]["f"], None, n / dt]
        if s2t is not None:
            trad = [s2t(t) for t in texts]
            changed = sum(a != b for t, u in zip(texts, trad) for a, b in zip(t, u))
            back = [t2s(t) for t in trad]
            roundtrip_diff = sum(a != b for t, u in zip(texts, back) for a, b in zip(t, u))
            preds_t = tagger.tag_many(back)
            res_t = D.score(golds, preds_t, ds)
            print_table(f"== {ds} dev (Traditional via s2t, tagged after char-wise t2s): "
                        f"{changed} chars changed by s2t, {roundtrip_diff} differ after t2s", res_t)
            row[2] = res_t["micro"]["f"]
        summary.append(row)

    print("\n== summary (micro F1)")
    print(f"  {'dataset':14s} {'Simpl.':>7s} {'Trad.':>7s} {'chars/s':>9s}")
    for ds, f, ft, cps in summary:
        fts = f"{ft * 100:7.1f}" if ft is not None else "      -"
        print(f"  {ds:14s} {f * 100:7.1f} {fts} {cps:9,.0f}")
    print(f"  overall throughput: {total_chars / total_time:,.0f} chars/s "
          f"({total_chars} chars in {total_time:.2f}s, one process, jieba + features + CRF)")
    print(f"  of which jieba segmentation {total_chars / seg_time:,.0f} chars/s; "
          f"features + CRF with words given {total_chars / ner_time:,.0f} chars/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Evaluation of the whole entity pipeline (what ``kg extract`` emits) on annotated data.

    python -m kg.eval ner --dataset cluener|msra|peoples_daily|resume|weibo [--limit N] [--no-model]

Exact span + type precision/recall/F1 per type and micro, after mapping our
types onto what the dataset annotates (:func:`kg.datasets.coarse`); then the same
on the text converted to Traditional (OpenCC s2t, character level), and throughput.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from kg.api import Options, extract_records
from kg.model import Document
from kg.nlp import DEFAULT_SEGMENTER
from kg.nlp.pipeline import make_nlp
from kg.nlp.tokenizer import SEGMENTERS
from kg.text import to_traditional

__all__ = ["evaluate_ner", "main"]


def _predict(texts: Sequence[str], options: Options) -> list[list[tuple[int, int, str]]]:
    docs = (Document(id=str(i), text=t) for i, t in enumerate(texts))
    return [[(e["start"], e["end"], e["type"]) for e in rec["entities"]] for rec in extract_records(docs, options)]


def evaluate_ner(dataset: str, *, split: str = "dev", limit: int | None = None, options: Options = Options(),
                 traditional: bool = True, data_dir=None) -> dict:
    from kg import datasets

    sentences = datasets.load(dataset, split, data_dir)[:limit]
    texts = [t for t, _ in sentences]
    golds = [spans for _, spans in sentences]
    make_nlp(tuple(options.lexicons), options.use_crf, options.segmenter)  # load once, outside the timing
    started = time.perf_counter()
    preds = _predict(texts, options)
    seconds = time.perf_counter() - started
    result = {
        "dataset": dataset,
        "split": split,
        "sentences": len(texts),
        "chars_per_second": sum(map(len, texts)) / seconds if seconds else 0.0,
        "simplified": datasets.score(golds, preds, dataset),
    }
    if traditional:
        result["traditional"] = datasets.score(golds, _predict([to_traditional(t) for t in texts], options), dataset)
    return result


def _print(result: dict, out=None) -> None:
    out = out or sys.stdout
    print(f"{result['dataset']} ({result['split']}, {result['sentences']} sentences), exact span + type", file=out)
    print(f"{'type':<10}{'P':>8}{'R':>8}{'F1':>8}{'gold':>8}{'pred':>8}", file=out)
    for t, s in result["simplified"].items():
        print(f"{t:<10}{s['p']*100:8.1f}{s['r']*100:8.1f}{s['f']*100:8.1f}{s['n_gold']:8d}{s['n_pred']:8d}", file=out)
    if "traditional" in result:
        m = result["traditional"]["micro"]
        print(f"micro F1 on the same text in Traditional (OpenCC s2t): {m['f']*100:.1f}", file=out)
    print(f"throughput: {result['chars_per_second']:,.0f} chars/s (whole kg extract pipeline)", file=out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kg.eval", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="task", required=True)
    ner = sub.add_parser("ner", help="entity recognition")
    ner.add_argument("--dataset", required=True, choices=("cluener", "msra", "peoples_daily", "resume", "weibo", "all"))
    ner.add_argument("--split", default="dev")
    ner.add_argument("--limit", type=int, default=None)
    ner.add_argument("--no-model", action="store_true", help="lexicon + patterns only")
    ner.add_argument("--segmenter", default=DEFAULT_SEGMENTER, choices=SEGMENTERS)
    ner.add_argument("--no-traditional", action="store_true")
    ner.add_argument("--data-dir", default=None)
    args = parser.parse_args(argv)
    names = ("cluener", "msra", "peoples_daily", "resume", "weibo") if args.dataset == "all" else (args.dataset,)
    for name in names:
        result = evaluate_ner(
            name, split=args.split, limit=args.limit, options=Options(use_crf=not args.no_model, segmenter=args.segmenter),
            traditional=not args.no_traditional, data_dir=args.data_dir,
        )
        _print(result)
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())

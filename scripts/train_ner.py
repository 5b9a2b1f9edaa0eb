#!/usr/bin/env python
"""Train the CRF NER model (kg/nlp/crf.py) and print per-dataset dev scores.

    python scripts/train_ner.py [--data-dir D] [--out PATH] [--max-iter N]

Deterministic: fixed dataset order, no shuffling, L-BFGS (batch) training, a
private jieba.Tokenizer for segmentation. Single-threaded. The cluster features
(--clusters, not used by the shipped model) read
kg/resources/models/ner-clusters-v1.tsv (rebuild it with
scripts/build_ner_clusters.py; it is deterministic too).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import pickle
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import pycrfsuite  # noqa: E402

from kg import datasets as D  # noqa: E402
from kg.nlp import crf  # noqa: E402

# Coarse ORG (MSRA / People's Daily / Resume / Weibo) -> our fine types by a
# generic suffix heuristic, used when --org-map=suffix.
COMPANY_SUFFIXES = (
    "公司", "集团", "银行", "证券", "保险", "股份", "控股", "有限", "基金", "信托", "期货",
    "科技", "实业", "商行", "厂", "店", "酒店", "商场", "超市", "百货", "事务所", "投资",
    "资本", "传媒", "电器", "药业", "制药", "航空", "能源", "地产", "置业",
)
GOV_SUFFIXES = (
    "政府", "国务院", "部", "局", "厅", "署", "委", "委员会", "办公室", "办", "法院",
    "检察院", "公安", "派出所", "人大", "政协", "海关", "监狱", "管委会", "总局", "常委",
    "中央", "党委", "市委", "省委", "县委", "军区", "部队", "警方", "使馆", "大使馆",
)


def fine_org(surface: str) -> str:
    for s in COMPANY_SUFFIXES:
        if surface.endswith(s):
            return "COMPANY"
    for s in GOV_SUFFIXES:
        if surface.endswith(s):
            return "GOV"
    return "ORG"


def map_coarse_org(sents, mode: str):
    if mode == "keep":
        return sents
    out = []
    for text, spans in sents:
        new = []
        for s, e, t in spans:
            if t == "ORG":
                if mode == "suffix":
                    t = fine_org(text[s:e])
                elif mode == "drop":
                    continue
            new.append((s, e, t))
        out.append((text, new))
    return out


_SEG = crf._Segmenter()


def featurize(sents, cache_dir: Path | None, key: str):
    """Features for a list of sentences, cached on disk by content hash."""
    h = hashlib.sha1()
    h.update(f"{crf.FEATURE_VERSION}|{crf.USE_CLUSTERS}|{key}".encode())
    if crf.USE_CLUSTERS:
        h.update(crf.default_clusters_path().read_bytes())
    for t, _ in sents:
        h.update(t.encode())
        h.update(b"\0")
    path = cache_dir / f"feat-{key}-{h.hexdigest()[:16]}.pkl" if cache_dir else None
    if path is not None and path.is_file():
        with open(path, "rb") as f:
            return pickle.load(f)
    words = [_SEG.words(t) for t, _ in sents]
    X = [crf.sent2features(t, w) for (t, _), w in zip(sents, words)]
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as f:
            pickle.dump(X, f, protocol=pickle.HIGHEST_PROTOCOL)
    return X


def evaluate(model_path: Path, data_dir, cache_dir, datasets=D.DATASETS, verbose=True):
    tagger = pycrfsuite.Tagger()
    tagger.open(str(model_path))
    results = {}
    for ds in datasets:
        dev = D.load(ds, "dev", data_dir)
        X = featurize(dev, cache_dir, f"{ds}-dev")
        preds = [crf.tags_to_spans(tagger.tag(x)) for x in X]
        res = D.score([s for _, s in dev], preds, ds)
        results[ds] = res
        if verbose:
            per = "  ".join(f"{t}={v['f'] * 100:.1f}" for t, v in res.items() if t != "micro")
            m = res["micro"]
            print(f"  {ds:14s} P={m['p'] * 100:5.1f} R={m['r'] * 100:5.1f} F1={m['f'] * 100:5.1f}   {per}",
                  flush=True)
    return results


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=None, help="shared data folder (default: $KG_DATA_DIR or ../shared/data)")
    ap.add_argument("--out", default=str(crf.default_model_path()))
    ap.add_argument("--max-iter", type=int, default=200)
    ap.add_argument("--c1", type=float, default=0.1)
    ap.add_argument("--c2", type=float, default=0.01)
    ap.add_argument("--minfreq", type=float, default=2)
    ap.add_argument("--scheme", choices=["BIOES", "BIO"], default="BIOES")
    ap.add_argument("--train-sets", default="cluener,msra,peoples_daily,resume,weibo",
                    help="comma-separated training sets (train splits)")
    ap.add_argument("--org-map", choices=["keep", "suffix", "drop"], default="suffix",
                    help="what to do with coarse ORG labels of msra/resume/weibo")
    ap.add_argument("--cluener-weight", type=int, default=1,
                    help="repeat CLUENER train sentences this many times")
    ap.add_argument("--clusters", action="store_true",
                    help="add the unsupervised cluster features (kg/resources/models/ner-clusters-v1.tsv); "
                         "not used by the shipped model")
    ap.add_argument("--cache-dir", default=os.environ.get("KG_CRF_CACHE", "/tmp/kg_crf_cache"),
                    help="feature cache ('' to disable)")
    args = ap.parse_args(argv)
    cache_dir = Path(args.cache_dir) if args.cache_dir else None
    crf.USE_CLUSTERS = bool(args.clusters)

    t0 = time.time()
    X_all, Y_all = [], []
    for ds in args.train_sets.split(","):
        ds = ds.strip()
        sents = D.load(ds, "train", args.data_dir)
        if ds != "cluener":
            sents = map_coarse_org(sents, args.org_map)
        X = featurize(sents, cache_dir, f"{ds}-train")
        Y = [crf.spans_to_tags(len(t), s, args.scheme) for t, s in sents]
        rep = args.cluener_weight if ds == "cluener" else 1
        for _ in range(rep):
            X_all.extend(X)
            Y_all.extend(Y)
        print(f"{ds}: {len(sents)} sentences, {sum(len(t) for t, _ in sents)} chars (x{rep})", flush=True)
    print(f"features ready in {time.time() - t0:.1f}s", flush=True)

    trainer = pycrfsuite.Trainer(verbose=False)
    for x, y in zip(X_all, Y_all):
        trainer.append(x, y)
    trainer.select("lbfgs")
    trainer.set_params({
        "c1": args.c1,
        "c2": args.c2,
        "max_iterations": args.max_iter,
        "feature.minfreq": args.minfreq,
        "feature.possible_transitions": True,
        "feature.possible_states": False,
    })
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    t1 = time.time()
    trainer.train(str(out))
    train_s = time.time() - t1
    info = trainer.logparser.last_iteration or {}
    print(f"trained in {train_s:.0f}s ({len(trainer.logparser.iterations)} iterations, "
          f"loss {info.get('loss', float('nan')):.1f}, active features {info.get('active_features', '?')}); "
          f"model {out} {out.stat().st_size / 1e6:.1f} MB", flush=True)
    print("dev scores (micro P/R/F1, per-type F1):")
    evaluate(out, args.data_dir, cache_dir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

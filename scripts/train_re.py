"""Train the relation pair classifier shipped as ``kg/resources/models/re-pairs-v1.npz``.

    python scripts/train_re.py [--data-dir ../shared/data] [--c 4.0] [--min-count 2] [--out PATH]

Training examples are pairs of mentions found by the shipped pipeline (lexicon + patterns +
CRF), featurised by :func:`kg.extract.pairs.pair_features` exactly as at run time:

* FinRE ``train.txt`` (never ``valid.txt``): each (sentence, name pair) instance is analysed with
  the two names as untyped hints, as ``kg eval re`` does; the pair's labels become
  ``predicate>`` / ``predicate<`` / ``predicate=`` (our predicates, passive labels swapped),
  ``SAME`` for 自己 and ``NONE`` for unknown.
* DuIE 2.0: the first 4,000 lines of ``train_sample_5000.json`` (the last 1,000 are the dev
  slice of ``kg eval re --dataset duie``), analysed without hints. Every candidate pair whose texts
  match a gold triple of a covered predicate gets that label; every other candidate pair is ``NONE``.

The learner is scikit-learn's multinomial logistic regression (lbfgs, L2) over binary features
seen at least ``--min-count`` times. Needs the ``train`` extra (scikit-learn). Deterministic.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.eval_re import FINRE_UNDIRECTED, duie_lines, finre_correct, finre_documents, finre_instances, parse_duie_line
from kg.extract.base import SentenceView
from kg.extract.pairs import (
    FEATURE_VERSION,
    MODEL_NAME,
    PairModel,
    candidate_pairs,
    pair_features,
    sentence_tokens,
)
from kg.model import Document
from kg.nlp.pipeline import analyse, make_nlp

DUIE_TRAIN_LINES = 4000
UNDIRECTED = set(FINRE_UNDIRECTED)


def _find(mentions, name):
    exact = [m for m in mentions if m.text == name or m.norm == name]
    return exact or [m for m in mentions if name in m.text or name in m.norm]


def _label(predicate: str, subject_first: bool) -> str:
    if predicate in UNDIRECTED:
        return predicate + "="
    return predicate + (">" if subject_first else "<")


def finre_examples(nlp, data_dir) -> list[tuple[list[str], str]]:
    instances = finre_instances("train", data_dir)
    out, missing = [], 0
    for inst, analysis in zip(instances, analyse(nlp, finre_documents(instances))):
        ma, mb = _find(analysis.mentions, inst.a), _find(analysis.mentions, inst.b)
        # the nearest pair of the two names among the pairs the extractor itself would score,
        # featurised exactly as it does (same mentions-between count, same gap limit)
        best = None
        for sent in analysis.sentences:
            tokens = sentence_tokens(analysis, sent.start, sent.end)
            for x, y, between in candidate_pairs(SentenceView(analysis, sent).mentions):
                named = (x in ma and y in mb) or (x in mb and y in ma)
                if named and (best is None or y.start - x.start < best[0]):
                    best = (y.start - x.start, x in ma and y in mb,
                            pair_features(analysis.view, tokens, sent.start, sent.end, x, y, between))
        if best is None:
            missing += 1
            continue
        _, first_is_a, feats = best
        labels = []
        for predicate, s, _o in sorted(inst.gold):
            labels.append(_label(predicate, (s == inst.a) == first_is_a))
        if not labels:
            labels = ["SAME" if inst.alias else "NONE"]
        out += [(feats, label) for label in labels]
    print(f"FinRE train: {len(instances)} instances, {missing} whose names are no candidate pair, "
          f"{len(out)} examples", file=sys.stderr)
    return out


def duie_examples(nlp, data_dir) -> list[tuple[list[str], str]]:
    lines = duie_lines(data_dir)[:DUIE_TRAIN_LINES]
    parsed = [parse_duie_line(ln) for ln in lines]
    docs = [Document(id=f"duie-train-{i}", text=text) for i, (text, _, _) in enumerate(parsed)]
    out, found, gold_n = [], 0, 0
    for (_, gold, _), analysis in zip(parsed, analyse(nlp, docs)):
        gold_n += len(gold)
        keys = {(s, o): p for p, s, o in gold}
        for sent in analysis.sentences:
            view = SentenceView(analysis, sent)
            tokens = sentence_tokens(analysis, sent.start, sent.end)
            for a, b, between in candidate_pairs(view.mentions):
                feats = pair_features(analysis.view, tokens, sent.start, sent.end, a, b, between)
                label = "NONE"
                for sa, sb in ((a.text, b.text), (a.norm, b.norm)):
                    if (sa, sb) in keys:
                        label = _label(keys[sa, sb], True)
                    elif (sb, sa) in keys:
                        label = _label(keys[sb, sa], False)
                found += label != "NONE"
                out.append((feats, label))
    print(f"DuIE train slice: {len(lines)} sentences, {gold_n} covered gold triples, {found} matched by a "
          f"candidate pair, {len(out)} examples", file=sys.stderr)
    return out


#: Lower probability edges of the calibration buckets (the lowest is the threshold).
EDGES = (0.8, 0.6, 0.45)


def calibrate(nlp, model: PairModel, data_dir) -> list[list[float]]:
    """Precision of the classifier's own facts on FinRE valid per probability bucket, made monotone
    (isotonic regression weighted by the facts per bucket): rows (lowest probability, precision),
    highest bucket first."""
    from sklearn.isotonic import IsotonicRegression

    from kg.extract.base import sentences
    from kg.extract.pairs import classify

    instances = finre_instances("valid", data_dir)
    edges = [e for e in EDGES if e > model.thresholds["*"]] + [model.thresholds["*"]]
    right, facts = [0] * len(edges), [0] * len(edges)
    for inst, analysis in zip(instances, analyse(nlp, finre_documents(instances))):
        for view in sentences(analysis):
            for subj, predicate, obj, p in classify(model, view):
                verdict = finre_correct(inst, predicate, subj.text, obj.text)
                if verdict is not None:
                    k = next(i for i, e in enumerate(edges) if p >= e)
                    right[k] += verdict
                    facts[k] += 1
    measured = [(e, r / n, n) for e, r, n in zip(edges, right, facts) if n]
    iso = IsotonicRegression().fit([e for e, _, _ in measured], [p for _, p, _ in measured],
                                   sample_weight=[n for _, _, n in measured])
    table = [[e, round(float(p), 2)] for e, p in zip(edges, iso.predict(edges))]
    print("calibration on FinRE valid (lowest probability, precision, facts): " + ", ".join(
        f"{e} {p} ({n})" for (e, p), n in zip(table, facts)), file=sys.stderr)
    return table


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--c", type=float, default=4.0, help="inverse L2 strength")
    parser.add_argument("--min-count", type=int, default=2)
    parser.add_argument("--none-weight", type=float, default=0.25,
                        help="sample weight of DuIE's NONE pairs (they outnumber everything else)")
    parser.add_argument("--threshold", type=float, default=0.3, help="default probability threshold")
    parser.add_argument("--out", default=str(ROOT / "kg" / "resources" / "models" / f"{MODEL_NAME}.npz"))
    parser.add_argument("--cache", default=None, help="read/write the examples here (JSON) to skip the pipeline")
    args = parser.parse_args(argv)
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    data_dir = args.data_dir
    started = time.perf_counter()
    if args.cache and Path(args.cache).exists():
        examples = [tuple(x) for x in json.loads(Path(args.cache).read_text(encoding="utf-8"))]
    else:
        nlp = make_nlp((), True)
        examples = [(f, label, "finre") for f, label in finre_examples(nlp, data_dir)]
        examples += [(f, label, "duie") for f, label in duie_examples(nlp, data_dir)]
        if args.cache:
            Path(args.cache).write_text(json.dumps(examples, ensure_ascii=False), encoding="utf-8")
    counts = Counter(x for feats, _, _ in examples for x in set(feats))
    vocab = sorted(x for x, n in counts.items() if n >= args.min_count)
    index = {x: i for i, x in enumerate(vocab)}
    classes = sorted({label for _, label, _ in examples})
    cls_index = {c: i for i, c in enumerate(classes)}
    rows, cols = [], []
    for r, (feats, _, _) in enumerate(examples):
        ids = sorted({index[x] for x in feats if x in index})
        rows += [r] * len(ids)
        cols += ids
    X = csr_matrix((np.ones(len(rows), dtype=np.float64), (rows, cols)), shape=(len(examples), len(vocab)))
    y = np.array([cls_index[label] for _, label, _ in examples])
    weight = np.array([args.none_weight if source == "duie" and label == "NONE" else 1.0
                       for _, label, source in examples])
    print(f"{len(examples)} examples, {len(vocab)} features, {len(classes)} classes "
          f"({time.perf_counter() - started:.0f} s to featurise)", file=sys.stderr)
    print("labels: " + ", ".join(f"{c} {n}" for c, n in Counter(label for _, label, _ in examples).most_common()),
          file=sys.stderr)
    clf = LogisticRegression(C=args.c, max_iter=2000, tol=1e-5)
    clf.fit(X, y, sample_weight=weight)
    weights = clf.coef_.T.astype(np.float32)
    # drop features whose weights are all negligible: a smaller file, the same decisions
    keep = np.abs(weights).max(axis=1) >= 1e-3
    kept = [x for x, k in zip(vocab, keep) if k]
    model = PairModel(
        classes=tuple(classes), index={x: i for i, x in enumerate(kept)}, weights=weights[keep],
        bias=clf.intercept_.astype(np.float32), thresholds={"*": args.threshold},
        meta={"name": MODEL_NAME, "feature_version": FEATURE_VERSION, "c": args.c, "min_count": args.min_count,
              "examples": len(examples), "trained_on": f"FinRE train.txt; DuIE train_sample_5000.json lines 1-{DUIE_TRAIN_LINES}"},
    )
    model.meta["calibration"] = calibrate(make_nlp((), True), model, data_dir)
    model.save(args.out)
    print(f"wrote {args.out}: {len(kept)} features x {len(classes)} classes, "
          f"{Path(args.out).stat().st_size / 1e6:.1f} MB ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

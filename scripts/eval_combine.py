"""Compare ways of combining the rule layers with the CRF (docs/evaluation.md).

    python scripts/eval_combine.py [--limit 600] [--datasets cluener,msra,resume,weibo,peoples_daily]
"""

from __future__ import annotations

import argparse

import kg.nlp.pipeline as pipeline
from kg.eval import evaluate_ner

DATASETS = "cluener,msra,resume,weibo,peoples_daily"


def crf_names_only(text, chosen, model, policy):
    """Rules only for values; every name and title comes from the CRF."""
    keep = [c for c in chosen if c.type not in pipeline.NAME_TYPES and c.type != "POSITION"]
    return pipeline.select(keep + model)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=600)
    parser.add_argument("--datasets", default=DATASETS)
    args = parser.parse_args()
    recognizer = pipeline.make_nlp((), True).get_pipe("kg_mentions")
    shipped = pipeline.combine
    for policy in (*pipeline.COMBINE_POLICIES, "crf-names-only"):
        pipeline.combine = crf_names_only if policy == "crf-names-only" else shipped
        recognizer.combine = "fill" if policy == "crf-names-only" else policy
        scores = []
        for name in args.datasets.split(","):
            result = evaluate_ner(name, limit=args.limit, traditional=False)
            scores.append(f"{name} {result['simplified']['micro']['f'] * 100:.1f}")
        print(f"{policy:16}", " | ".join(scores), flush=True)


if __name__ == "__main__":
    main()

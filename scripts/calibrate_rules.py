"""Measure the precision of each rule extractor's facts and write it as their confidence.

    python scripts/calibrate_rules.py [--data-dir ../shared/data] [--min-support 5]

Runs the whole pipeline (as ``kg eval re`` does) on FinRE valid (names as untyped hints; a fact
between the two names with a FinRE-mapped predicate is right when it is in the gold) and on the
DuIE dev slice (last 1,000 lines; a fact of a covered predicate is right when a gold triple of
that predicate matches leniently, one text containing the other: DuIE's gold is not exhaustive,
so this is a lower bound). For every (extractor, predicate) with at least ``--min-support``
measured facts, and pooled per extractor (``*``), it writes the Laplace-smoothed precision
(right + 1) / (facts + 2) to ``kg/resources/models/rule-precision.json``, which
:func:`kg.extract.base.run_extractors` uses as the facts' confidence (times 0.5 for negated,
0.9 for hedged facts). ``pairs.v1`` is calibrated by its own training script and skipped here.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.api import Options, extract_records
from kg.eval_re import (
    DUIE_MAP,
    FINRE_LABELS,
    duie_key,
    duie_lines,
    duie_match,
    finre_correct,
    finre_documents,
    finre_instances,
    parse_duie_line,
)
from kg.extract.base import PRECISION_FILE
from kg.model import Document


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--min-support", type=int, default=5)
    args = parser.parse_args(argv)
    right, seen = Counter(), Counter()
    # uncalibrated: measure the rules as written, not as the previous table scaled them
    options = Options()
    import importlib

    importlib.import_module("kg.extract.base").rule_precision = dict

    def rules(records):  # asserted rule triples (the classifier calibrates itself)
        for t in records["triples"]:
            if t["extractor"] != "pairs.v1" and t.get("modality") != "negated":
                yield t

    instances = finre_instances("valid", args.data_dir)
    for inst, rec in zip(instances, extract_records(finre_documents(instances), options)):
        for t in rules(rec):
            if "start" not in t["object"]:
                continue  # a quantity or a literal: not a FinRE relation
            verdict = finre_correct(inst, t["predicate"], t["subject"]["text"], t["object"]["text"])
            if verdict is not None:
                seen[t["extractor"], t["predicate"]] += 1
                right[t["extractor"], t["predicate"]] += verdict

    parsed = [parse_duie_line(ln) for ln in duie_lines(args.data_dir)[-1000:]]
    wanted = {p for p, _ in DUIE_MAP.values()}
    docs = [Document(id=f"duie-{i}", text=text) for i, (text, _, _) in enumerate(parsed)]
    for (_, gold, _), rec in zip(parsed, extract_records(docs, options)):
        for t in rules(rec):
            if t["predicate"] in wanted:
                seen[t["extractor"], t["predicate"]] += 1
                right[t["extractor"], t["predicate"]] += duie_match(gold, *duie_key(t)) is not None

    # pooled per extractor ("*"), the fallback for predicates measured too rarely
    for (extractor, _), n in list(seen.items()):
        seen[extractor, "*"] += n
    for (extractor, predicate), k in list(right.items()):
        if predicate != "*":
            right[extractor, "*"] += k
    table: dict[str, dict] = {}
    print(f"{'extractor':<16}{'predicate':<22}{'facts':>7}{'right':>7}{'raw':>6}{'smoothed':>10}")
    for key in sorted(seen):
        n, k = seen[key], right[key]
        smoothed = (k + 1) / (n + 2)  # Laplace: 11/11 right is not a certainty
        print(f"{key[0]:<16}{key[1]:<22}{n:7d}{k:7d}{k / n:6.2f}{smoothed:10.2f}"
              + ("" if n >= args.min_support else "  (too few: the extractor's pooled value applies)"))
        if n >= args.min_support:
            table.setdefault(key[0], {})[key[1]] = {"precision": round(smoothed, 2), "facts": n, "right": k}
    # the pooled value stands in only for predicates these datasets can measure
    table["_measurable"] = sorted(set(FINRE_LABELS.values()) | wanted)
    PRECISION_FILE.write_text(json.dumps(table, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {PRECISION_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

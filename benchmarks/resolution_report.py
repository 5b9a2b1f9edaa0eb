"""Entity resolution on a built corpus: entities before / after resolution, the largest merged
clusters, and candidate duplicates left in a random sample (for checking by eye).

    python benchmarks/corpus.py /work/shared/data/news -o /tmp/news.jsonl
    kg build /tmp/news.jsonl -o /tmp/newsgraph
    python benchmarks/resolution_report.py /tmp/newsgraph [--sample 200] [--top 20]
"""

from __future__ import annotations

import argparse
import random
from collections import Counter
from pathlib import Path

from kg.graph import resolver_for
from kg.incremental import stored_results
from kg.resolve import type_group


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("build", type=Path)
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()

    resolver = resolver_for(stored_results(args.build), keep_mentions=True)
    entities = resolver.entities()
    unique = {id(e): e for e in entities.values()}
    every = resolver.mentions()
    surfaces = {(type_group(m.type), m.text) for m, _, _ in every}
    mentions = len(every)
    print(f"{len({d for _, d, _ in every})} documents, {mentions} entity mentions")
    print(f"distinct surface forms (type group + text as written): {len(surfaces)}")
    print(f"name keys (script-folded, suffixes stripped):            {len(entities)}")
    print(f"entities after resolution (+ stock-code merges):         {len(unique)}")
    by_group = Counter(e.key.split(':', 1)[0] for e in unique.values())
    print("entities by type group:", ", ".join(f"{g} {n}" for g, n in by_group.most_common()))

    print(f"\nThe {args.top} largest merged clusters (by distinct surface forms):")
    clusters = sorted(unique.values(), key=lambda e: (-sum(len(c) for c in e.surfaces.values()), e.key))
    for e in clusters[: args.top]:
        forms = sorted({s for c in e.surfaces.values() for s in c})
        rule = "stock code" if len([k for k, v in entities.items() if v is e]) > 1 else "same key"
        print(f"  {e.key:24} {len(forms):3} forms, {sum(e.types.values()):5} mentions [{rule}]: {' | '.join(forms[:8])}")

    # Candidate duplicates: organisation entities whose name contains another's (>= 2 chars).
    orgs = sorted((e for e in unique.values() if e.key.startswith("org:")), key=lambda e: e.key)
    names = {e.key.split(":", 1)[1]: e for e in orgs}
    rng = random.Random(0)
    sample = rng.sample(orgs, min(args.sample, len(orgs)))
    print(f"\nCandidate duplicates in a random sample of {len(sample)} organisations (name contains another org's name):")
    flagged = 0
    for e in sample:
        name = e.key.split(":", 1)[1]
        others = sorted(n for n in names if n != name and len(n) >= 2 and (n in name or name in n) and abs(len(n) - len(name)) <= 4)
        if others:
            flagged += 1
            print(f"  {name}: {', '.join(others[:6])}")
    print(f"{flagged} of {len(sample)} sampled organisations have a candidate duplicate (check by eye)")


if __name__ == "__main__":
    main()

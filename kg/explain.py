"""``kg explain ENTITY``: why the mentions of an entity became one node.

Resolution is recomputed from the stored analyses (``kg-state.sqlite``), so the
answer is exactly what the build did: each name key of the entity with the
surface forms that produced it (and the rule that gave them that key), and the
rule that merged the keys (a shared stock code).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

from kg.errors import InputError
from kg.graph import resolver_for
from kg.incremental import stored_results
from kg.namespaces import KGR
from kg.resolve import Entity, code_key
from kg.text import analysis_view

__all__ = ["explain", "find_entities"]


def _fold(text: str) -> str:
    return analysis_view(text.strip()).lower()


def find_entities(entities: dict[str, Entity], query: str) -> list[Entity]:
    """Entities whose IRI, key, surface form, lexicon name or stock code matches ``query``."""
    q = _fold(query)
    code = code_key(query) if any(c.isdigit() for c in query) else None
    found: dict[int, Entity] = {}
    for key, e in entities.items():
        names = {key.split(":", 1)[1], *(_fold(s) for c in e.surfaces.values() for s in c), *(_fold(n) for n in e.norms)}
        iri = str(KGR[e.path])
        codes = {code_key(c) for c in e.codes}
        if query in (iri, e.path) or q in names or (code and code in codes):
            found[id(e)] = e
    return sorted(found.values(), key=lambda e: e.key)


def explain(out: Path, query: str) -> str:
    resolver = resolver_for(stored_results(out), keep_mentions=True)
    entities = resolver.entities()
    matches = find_entities(entities, query)
    if not matches:
        raise InputError(f"no entity matches {query!r} in the graph in {out}", fix="try another name, alias or stock code")
    lines: list[str] = []
    for e in matches:
        keys = sorted(k for k, v in entities.items() if v is e)
        mentions = sum(resolver.count(k) for k in keys)
        types = ", ".join(f"{t} ×{n}" for t, n in e.types.most_common())
        lines.append(f"{KGR[e.path]}  ({e.type}; {mentions} mentions in {len(e.documents)} documents; types seen: {types})")
        if e.codes:
            lines.append(f"  stock codes: {', '.join(sorted(e.codes))}")
        rules = defaultdict(set)
        for b, a, rule in resolver.merges:
            rules[a].add(rule)
            rules[b].add(rule)
        for k in keys:
            how = "the entity's name key" if k == e.key else "merged: " + "; ".join(sorted(rules.get(k, {"same key"})))
            lines.append(f"  key {k}  [{how}]")
            forms: Counter = Counter()
            docs: dict[str, set[str]] = defaultdict(set)
            lexicon = False
            for mention, document, script in resolver.mentions(k):
                forms[(mention.text, script)] += 1
                docs[mention.text].add(document)
                lexicon |= bool(mention.canonical)
            rule = "lexicon canonical name" if lexicon else "same name after Simplified/width folding and legal/listing suffix stripping"
            lines.append(f"    surface forms ({rule}):")
            for (text, script), n in sorted(forms.items(), key=lambda kv: (-kv[1], kv[0])):
                sample = ", ".join(sorted(docs[text])[:3]) + (" …" if len(docs[text]) > 3 else "")
                lines.append(f"      {text}  ×{n}  {script}  in {sample}")
    return "\n".join(lines)

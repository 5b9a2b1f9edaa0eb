"""KnowledgeGraph: facts + provenance as RDF (rdflib), with a networkx view.

The RDF pattern (documented in README "Provenance"):

* every fact is a direct triple ``s kg:P o`` AND a ``kg:Assertion`` node
  (``rdf:subject/predicate/object``, aggregated ``kg:confidence``) with one
  ``kg:evidence`` node per sentence that supports it: document, sentence text,
  offsets of sentence/subject/object in the original text, extractor, confidence;
* quantities are ``kg:Quantity`` nodes (``rdf:value`` xsd:decimal, ``kg:unit``, ``kg:of``);
* claims are ``kg:Statement`` nodes (speaker, text, modality, topics).

All node IRIs derive from content (names, offsets), never from insertion order.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

import networkx as nx
from rdflib import Graph, Literal, URIRef
from rdflib.query import Result

from kg.errors import QueryError
from kg.model import Fact, Mention, QuantityValue
from kg.namespaces import DCTERMS, KG, KGR, PREFIXES, RDF, RDFS, SDO, SKOS, XSD
from kg.engine import DocResult
from kg.nlp.pipeline import NAME_TYPES
from kg.resolve import Entity, Resolver, _iri_safe
from kg.text import analysis_view

__all__ = ["KnowledgeGraph", "build_graph", "resolver_for", "CLASS_OF_TYPE"]

CLASS_OF_TYPE = {
    "COMPANY": KG.Company,
    "ORG": KG.Organization,
    "GOV": KG.GovernmentBody,
    "PERSON": KG.Person,
    "PRODUCT": KG.Product,
    "PLACE": KG.Place,
    "CONCEPT": KG.Concept,
    "FACILITY": KG.Facility,
    "STOCK": KG.Stock,
    "POSITION": KG.Position,
}
TYPE_OF_CLASS = {v: k for k, v in CLASS_OF_TYPE.items()}


def _hash(*parts: object) -> str:
    return hashlib.sha1("\x1f".join(map(str, parts)).encode("utf-8")).hexdigest()[:16]


def decimal_literal(value: Decimal) -> Literal:
    """xsd:decimal in canonical lexical form (700 -> "700.0"), as Turtle writes it back,
    so a graph re-read from any export is isomorphic to the one built."""
    text = format(value, "f")
    if "." not in text:
        text += ".0"
    return Literal(text, datatype=XSD.decimal)


def _dec(x: float) -> Literal:
    return decimal_literal(Decimal(str(round(x, 3))))


def _text(value: str, script: str) -> Literal:
    """A label or sentence in its script; Latin-only names stay untagged."""
    if script in ("zh-Hant", "zh-Hans") and not value.isascii():
        return Literal(value, lang=script)
    return Literal(value)


# Oxigraph writes language tags in lower case; put the BCP 47 case of our tags back.
# Only at the end of a literal: the quote must be preceded by an even number of backslashes.
_LANG_CASE = re.compile(r'(?<!\\)((?:\\\\)*)"@zh-han([st])\b')


def canonical_rdf(rdf: Graph, fmt: str = "turtle") -> str | None:
    """Sorted N-Triples, or Turtle written by Oxigraph from them (2–10× faster than
    rdflib's Turtle writer; the sort makes the bytes depend on the graph only).
    None for a graph with blank nodes (their labels are not stable, so no canonical order)."""
    import pyoxigraph as ox

    # split on "\n" only: str.splitlines also breaks at U+001C-1E, U+0085, U+2028/9 inside literals
    lines = sorted({line for line in rdf.serialize(format="nt").split("\n") if line.strip()})
    if any(line.startswith("_:") or " _:" in line for line in lines):
        return None
    if fmt == "nt":
        return "\n".join(lines) + "\n" if lines else ""
    triples = ox.parse(input="\n".join(lines).encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)
    # Entity IRIs stay whole (<…/org/中国电信>): Oxigraph would write names such as "Pte. Ltd."
    # as kgr:…pte.\%20ltd\. — valid Turtle that rdflib 7 cannot read back.
    prefixes = {prefix: str(iri) for prefix, iri in PREFIXES.items() if prefix != "kgr"}
    text = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes).decode("utf-8")
    return _LANG_CASE.sub(lambda m: f'{m.group(1)}"@zh-Han{m.group(2)}', text)


class KnowledgeGraph:
    """An RDF graph of facts with provenance; ``to_networkx()`` gives the graph view."""

    def __init__(self, rdf: Graph | None = None) -> None:
        self.rdf = rdf if rdf is not None else Graph()
        for prefix, iri in PREFIXES.items():
            self.rdf.bind(prefix, iri, override=True)

    def __len__(self) -> int:
        return len(self.rdf)

    def query(self, sparql: str, bindings: dict | None = None) -> Result:
        """Run SPARQL 1.1 with the kg prefixes predeclared."""
        try:
            return self.rdf.query(sparql, initNs=PREFIXES, initBindings=bindings)
        except Exception as err:  # rdflib raises pyparsing and assorted errors
            msg = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise QueryError(f"invalid SPARQL query: {msg}", fix="check the query syntax") from None

    def serialize(self, fmt: str = "turtle") -> str:
        """Turtle and N-Triples in a canonical order (byte-identical for the same graph);
        other formats as rdflib writes them."""
        if fmt in ("turtle", "ttl", "nt"):
            text = canonical_rdf(self.rdf, "nt" if fmt == "nt" else "turtle")
            if text is not None:
                return text
        return self.rdf.serialize(format=fmt)

    def stats(self) -> dict[str, int]:
        count = lambda cls: len(set(self.rdf.subjects(RDF.type, cls)))  # noqa: E731
        entities = {s for cls in CLASS_OF_TYPE.values() for s in self.rdf.subjects(RDF.type, cls)}
        return {
            "documents": count(KG.Document),
            "entities": len(entities),
            "facts": count(KG.Assertion),
            "evidence": count(KG.Evidence),
            "statements": count(KG.Statement),
            "triples": len(self.rdf),
        }

    def label(self, node) -> str:
        labels = sorted(str(o) for o in self.rdf.objects(node, RDFS.label))
        return labels[0] if labels else str(node).rsplit("/", 1)[-1]

    def fact_rows(self) -> list[dict[str, str]]:
        """One row per (fact, supporting sentence), sorted."""
        rows = []
        g = self.rdf
        for a in g.subjects(RDF.type, KG.Assertion):
            s, p, o = g.value(a, RDF.subject), g.value(a, RDF.predicate), g.value(a, RDF.object)
            obj = str(o) if isinstance(o, Literal) else self.label(o)
            for ev in g.objects(a, KG.evidence):
                doc = g.value(ev, KG.document)
                rows.append(
                    {
                        "subject": self.label(s),
                        "predicate": str(p).replace(str(KG), "kg:"),
                        "object": obj,
                        "confidence": str(g.value(ev, KG.confidence)),
                        "document": str(g.value(doc, DCTERMS.identifier)),
                        "sentence": str(g.value(ev, KG.sentenceText)),
                        "extractor": str(g.value(ev, KG.extractor)),
                        "subject_iri": str(s),
                        "object_iri": "" if isinstance(o, Literal) else str(o),
                    }
                )
        return sorted(rows, key=lambda r: (r["document"], r["sentence"], r["subject"], r["predicate"], r["object"], r["extractor"]))

    def to_networkx(self) -> nx.MultiDiGraph:
        """Entities and quantities as nodes, facts between them as edges (keyed by predicate)."""
        g = self.rdf
        out = nx.MultiDiGraph()
        nodes = {s for cls in [*CLASS_OF_TYPE.values(), KG.Quantity] for s in g.subjects(RDF.type, cls)}
        for n in sorted(nodes):
            types = sorted(str(t).rsplit("#", 1)[-1] for t in g.objects(n, RDF.type))
            aliases = sorted({str(x) for x in g.objects(n, SKOS.altLabel)} | {str(x) for x in g.objects(n, RDFS.label)})
            attrs = {"label": self.label(n), "type": types[0] if types else "", "aliases": "|".join(aliases)}
            codes = sorted(str(c) for c in g.objects(n, KG.hasStockCode))
            if codes:
                attrs["stockCode"] = "|".join(codes)
            value = g.value(n, RDF.value)
            if value is not None:
                attrs["value"] = str(value)
            out.add_node(str(n), **attrs)
        for a in sorted(g.subjects(RDF.type, KG.Assertion)):
            s, p, o = g.value(a, RDF.subject), g.value(a, RDF.predicate), g.value(a, RDF.object)
            if isinstance(o, Literal) or str(s) not in out or str(o) not in out:
                continue
            evidence = sorted(str(g.value(ev, KG.sentenceText)) for ev in g.objects(a, KG.evidence))
            predicate = str(p).rsplit("#", 1)[-1]
            out.add_edge(
                str(s), str(o), key=predicate, predicate=predicate,
                confidence=float(g.value(a, KG.confidence) or 0), sentence=evidence[0] if evidence else "",
                evidence=len(evidence),
            )
        return out


# ------------------------------------------------------------------------ building


def resolver_for(results: Iterable[DocResult]) -> Resolver:
    """Every entity mention of the documents (names and fact arguments), collected for resolution."""
    resolver = Resolver()
    for analysis in results:
        doc_id, script = analysis.document.id, analysis.script
        for m in analysis.mentions:
            if m.type in NAME_TYPES:
                resolver.add(m, doc_id, script)
        for f in analysis.facts:
            resolver.add(f.subject, doc_id, script)
            if isinstance(f.obj, Mention):
                resolver.add(f.obj, doc_id, script)
            elif isinstance(f.obj, QuantityValue) and f.obj.of is not None:
                resolver.add(f.obj.of, doc_id, script)
    return resolver


class _Builder:
    def __init__(self) -> None:
        self.g = KnowledgeGraph()

    def run(self, results: list[DocResult]) -> KnowledgeGraph:
        self.resolver = resolver_for(results)
        self.entities = self.resolver.entities()
        for entity in {id(e): e for e in self.entities.values()}.values():
            self._entity(entity)
        support: dict[URIRef, list[tuple[URIRef, float]]] = defaultdict(list)
        for analysis in results:
            facts = analysis.facts
            doc = self._document(analysis)
            for m in analysis.mentions:
                if m.type in NAME_TYPES:
                    self.g.rdf.add((doc, SDO.mentions, self._iri(m)))
            for f in facts:
                self._fact(analysis, doc, f, support)
        for assertion, evs in support.items():
            keep = 1.0
            for _, c in evs:
                keep *= 1.0 - c
            self.g.rdf.add((assertion, KG.confidence, _dec(1.0 - keep)))
        return self.g

    def _iri(self, m: Mention) -> URIRef:
        return KGR[self.entities[self.resolver.key_of(m)].path]

    def _entity(self, e: Entity) -> None:
        g, node = self.g.rdf, KGR[e.path]
        g.add((node, RDF.type, CLASS_OF_TYPE.get(e.type, KG.Entity)))
        prefs = e.pref_labels()
        for script, label in prefs.items():
            g.add((node, RDFS.label, _text(label, script)))
            g.add((node, SKOS.prefLabel, _text(label, script)))
        for script, counts in e.surfaces.items():
            for surface in counts:
                if surface != prefs[script]:
                    g.add((node, SKOS.altLabel, _text(surface, script)))
                simplified = analysis_view(surface)
                if simplified != surface:
                    g.add((node, SKOS.altLabel, _text(simplified, "zh-Hans")))
        for norm in e.norms:
            if all(norm != s for c in e.surfaces.values() for s in c):
                g.add((node, SKOS.altLabel, _text(norm, "zh-Hans")))
        for code in sorted(e.codes):
            g.add((node, KG.hasStockCode, Literal(code)))

    def _document(self, a: DocResult) -> URIRef:
        d = a.document
        g, node = self.g.rdf, KGR[f"doc/{_iri_safe(d.id)}"]
        g.add((node, RDF.type, KG.Document))
        g.add((node, DCTERMS.identifier, Literal(d.id)))
        g.add((node, KG.script, Literal(a.script)))
        g.add((node, KG.contentHash, Literal(hashlib.sha256(d.text.encode("utf-8")).hexdigest())))
        if d.title:
            g.add((node, DCTERMS.title, _text(d.title, a.script)))
        if d.date and _valid_date(d.date):
            g.add((node, DCTERMS.date, Literal(d.date, datatype=XSD.date)))
        if d.source:
            g.add((node, KG.source, Literal(d.source)))
        return node

    def _object(self, a: DocResult, f: Fact, subject: URIRef):
        g = self.g.rdf
        if isinstance(f.obj, Mention):
            return self._iri(f.obj)
        if isinstance(f.obj, str):
            return Literal(f.obj)
        q = f.obj
        of = self._iri(q.of) if q.of is not None else None
        node = KGR[f"quantity/{_hash(subject, q.value, q.unit, of)}"]
        g.add((node, RDF.type, KG.Quantity))
        g.add((node, RDF.value, decimal_literal(q.value)))
        g.add((node, KG.unit, Literal(q.unit)))
        g.add((node, RDFS.label, _text(q.text + (q.of.text if q.of else ""), a.script)))
        if of is not None:
            g.add((node, KG.of, of))
        g.add((node, KG.approximate, Literal(q.approximate)))
        g.add((node, KG.atLeast, Literal(q.at_least)))
        g.add((node, KG.moreThan, Literal(q.more_than)))
        return node

    def _fact(self, a: DocResult, doc: URIRef, f: Fact, support) -> None:
        if f.modality == "negated" and f.claim is None:
            return  # 没有发布 / 放弃收购: reported by `kg extract`, never asserted as a triple
        g = self.g.rdf
        s = self._iri(f.subject)
        p = KG[f.predicate]
        claim_only = isinstance(f.obj, str) and f.claim is not None
        o = None if claim_only else self._object(a, f, s)
        ev = KGR[f"evidence/{_hash(a.document.id, f.sentence.start, f.extractor, f.subject.start, p, _offsets(f.obj))}"]
        g.add((ev, RDF.type, KG.Evidence))
        g.add((ev, KG.document, doc))
        g.add((ev, KG.sentenceText, _text(f.sentence.text, a.script)))
        g.add((ev, KG.sentenceStart, Literal(f.sentence.start)))
        g.add((ev, KG.sentenceEnd, Literal(f.sentence.end)))
        g.add((ev, KG.subjectText, Literal(f.subject.text)))
        g.add((ev, KG.subjectStart, Literal(f.subject.start)))
        g.add((ev, KG.subjectEnd, Literal(f.subject.end)))
        span = f.obj if isinstance(f.obj, Mention) else None
        if span is not None:
            g.add((ev, KG.objectText, Literal(span.text)))
            g.add((ev, KG.objectStart, Literal(span.start)))
            g.add((ev, KG.objectEnd, Literal(span.end)))
        g.add((ev, KG.extractor, Literal(f.extractor)))
        g.add((ev, KG.confidence, _dec(f.confidence)))
        if f.claim is not None:
            st = KGR[f"statement/{_hash(a.document.id, f.sentence.start, s)}"]
            g.add((st, RDF.type, KG.Statement))
            g.add((st, KG.speaker, s))
            g.add((st, KG.claimText, _text(f.claim, a.script)))
            g.add((st, KG.modality, Literal(f.modality or "asserted")))
            g.add((st, KG.evidence, ev))
            if a.document.date and _valid_date(a.document.date):
                g.add((st, KG.date, Literal(a.document.date, datatype=XSD.date)))
            if isinstance(o, URIRef):
                g.add((st, KG.about, o))
        if o is None:
            return
        g.add((s, p, o))
        assertion = KGR[f"fact/{_hash(s, p, o)}"]
        g.add((assertion, RDF.type, KG.Assertion))
        g.add((assertion, RDF.subject, s))
        g.add((assertion, RDF.predicate, p))
        g.add((assertion, RDF.object, o))
        g.add((assertion, KG.evidence, ev))
        for key, value in f.extra:
            if key == "title":
                g.add((assertion, KG.title, _text(value, a.script)))
        support[assertion].append((ev, f.confidence))


def _valid_date(text: str) -> bool:
    """An ISO yyyy-mm-dd calendar date (anything else would be an ill-typed xsd:date)."""
    from datetime import date

    try:
        return len(text) == 10 and date.fromisoformat(text).isoformat() == text
    except ValueError:
        return False


def _offsets(obj) -> str:
    if isinstance(obj, Mention):
        return f"{obj.start}-{obj.end}"
    if isinstance(obj, QuantityValue):
        return f"q{obj.text}{obj.of.start if obj.of else ''}"
    return f"l{obj}"


def build_graph(results: Iterable[DocResult]) -> KnowledgeGraph:
    """Resolve the mentions of all documents and write facts + provenance as RDF."""
    return _Builder().run(list(results))

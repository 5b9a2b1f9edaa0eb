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
import io
import os
import shutil
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

import networkx as nx
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.query import Result

from kg.canonical import SortedLines, fix_lang_case, nt_line, turtle_prefixes, write_turtle
from kg.engine import DocResult
from kg.errors import QueryError
from kg.model import Fact, Mention, QuantityValue
from kg.namespaces import DCTERMS, KG, KGR, PREFIXES, RDF, RDFS, SDO, SKOS, XSD
from kg.nlp.pipeline import NAME_TYPES
from kg.resolve import Entity, Resolver, _iri_safe
from kg.text import analysis_view

__all__ = ["CLASS_OF_TYPE", "MEMORY_TRIPLES", "KnowledgeGraph", "assemble", "build_graph", "open_stored", "resolver_for"]

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


def _lexical(value) -> str:
    """A literal's text, decimals in our canonical form (an Oxigraph store gives 700.0 back as 700)."""
    if isinstance(value, Literal) and value.datatype == XSD.decimal:
        return str(decimal_literal(Decimal(str(value))))
    return str(value)


def _dec(x: float) -> Literal:
    return decimal_literal(Decimal(str(round(x, 3))))


def _text(value: str, script: str) -> Literal:
    """A label or sentence in its script; Latin-only names stay untagged."""
    if script in ("zh-Hant", "zh-Hans") and not value.isascii():
        return Literal(value, lang=script)
    return Literal(value)


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
    return fix_lang_case(ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=turtle_prefixes())).decode("utf-8")


class KnowledgeGraph:
    """An RDF graph of facts with provenance; ``to_networkx()`` gives the graph view.

    Usually an in-memory rdflib graph. A graph too large for that (see :func:`assemble`) is an
    rdflib view of an on-disk Oxigraph store, with its canonical N-Triples in a file
    (``canonical_nt``) from which Turtle and N-Triples are streamed; :meth:`close` deletes both.
    """

    def __init__(self, rdf: Graph | None = None, *, canonical_nt: Path | None = None,
                 size: int | None = None, workdir: Path | None = None, store=None) -> None:
        self.rdf = rdf if rdf is not None else Graph()
        self.canonical_nt = canonical_nt
        self.store = store  # the Oxigraph store under an on-disk graph
        self._size = size
        self._workdir = workdir
        self._networkx: nx.MultiDiGraph | None = None
        self._scans: dict = {}  # predicate -> objects_by_subject, for an on-disk graph
        for prefix, iri in PREFIXES.items():
            self.rdf.bind(prefix, iri, override=True)

    def __len__(self) -> int:
        return self._size if self._size is not None else len(self.rdf)

    @property
    def on_disk(self) -> bool:
        return self.canonical_nt is not None

    def close(self) -> None:
        """Release an on-disk graph's store and delete its working files (no-op in memory)."""
        if self._workdir is not None:
            self.rdf.close()
            self.rdf = Graph()
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = self.canonical_nt = self.store = None
            self._scans = {}

    def write(self, fmt: str, out: BinaryIO) -> None:
        """Write the graph to a binary file; Turtle and N-Triples of an on-disk graph stream from
        its canonical N-Triples, so memory does not grow with the graph."""
        if self.canonical_nt is not None and fmt in ("turtle", "ttl"):
            write_turtle(self.canonical_nt, out)
        elif self.canonical_nt is not None and fmt == "nt":
            with open(self.canonical_nt, "rb") as fh:
                shutil.copyfileobj(fh, out)
        else:
            out.write(self.serialize(fmt).encode("utf-8"))

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
        if self.canonical_nt is not None and fmt in ("turtle", "ttl", "nt"):
            buf = io.BytesIO()
            self.write(fmt, buf)
            return buf.getvalue().decode("utf-8")
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
            "triples": len(self),  # len(self.rdf) on a store counts DISTINCT triples in memory
        }

    def label(self, node) -> str:
        labels = sorted(str(o) for o in self.rdf.objects(node, RDFS.label))
        return labels[0] if labels else str(node).rsplit("/", 1)[-1]

    def objects_by_subject(self, predicate, keep: bool = True) -> dict:
        """subject -> its objects for ``predicate``, in one scan (per-node lookups are slow on a
        store). An on-disk graph is scanned with Oxigraph itself (rdflib's API over it costs 2-3x
        more per triple), and the result kept (``keep``) for the next output that asks: the graph
        does not change."""
        if self.store is None:
            out: dict = {}
            for s, o in self.rdf.subject_objects(predicate):
                out.setdefault(s, []).append(o)
            return out
        out = self._scans.get(predicate)
        if out is None:
            import pyoxigraph as ox

            out = {}
            for q in self.store.quads_for_pattern(None, ox.NamedNode(str(predicate)), None, ox.DefaultGraph()):
                out.setdefault(_from_ox(q.subject), []).append(_from_ox(q.object))
            if keep:
                self._scans[predicate] = out
        return out

    def subjects_of_type(self, cls) -> list:
        """The nodes of class ``cls``, sorted."""
        if self.store is None:
            return sorted(set(self.rdf.subjects(RDF.type, cls)))
        import pyoxigraph as ox

        pattern = (None, ox.NamedNode(str(RDF.type)), ox.NamedNode(str(cls)), ox.DefaultGraph())
        return sorted(_from_ox(q.subject) for q in self.store.quads_for_pattern(*pattern))

    def value_by_subject(self, predicate) -> dict:
        """subject -> one object for ``predicate`` (like ``Graph.value``)."""
        return {s: objects[0] for s, objects in self.objects_by_subject(predicate).items()}

    def labeller(self) -> Callable[[object], str]:
        """:meth:`label` for many nodes: the labels are read in one scan."""
        labels = self.objects_by_subject(RDFS.label)

        def label(node) -> str:
            texts = labels.get(node)
            return min(str(x) for x in texts) if texts else str(node).rsplit("/", 1)[-1]

        return label

    def fact_rows(self) -> list[dict[str, str]]:
        """One row per (fact, supporting sentence), sorted."""
        rows = []
        label = self.labeller()
        subject, predicate, obj_of = self.value_by_subject(RDF.subject), self.value_by_subject(RDF.predicate), self.value_by_subject(RDF.object)
        evidence, doc_of, ident = self.objects_by_subject(KG.evidence), self.value_by_subject(KG.document), self.value_by_subject(DCTERMS.identifier)
        confidence, sentence, extractor = self.value_by_subject(KG.confidence), self.value_by_subject(KG.sentenceText), self.value_by_subject(KG.extractor)
        for a in self.subjects_of_type(KG.Assertion):
            s, p, o = subject.get(a), predicate.get(a), obj_of.get(a)
            obj = str(o) if isinstance(o, Literal) else label(o)
            for ev in evidence.get(a, ()):
                rows.append(
                    {
                        "subject": label(s),
                        "predicate": str(p).replace(str(KG), "kg:"),
                        "object": obj,
                        "confidence": _lexical(confidence.get(ev)),
                        "document": str(ident.get(doc_of.get(ev))),
                        "sentence": str(sentence.get(ev)),
                        "extractor": str(extractor.get(ev)),
                        "subject_iri": str(s),
                        "object_iri": "" if isinstance(o, Literal) else str(o),
                    }
                )
        # every column in the key: rows equal on the first ones still come out in one order
        order = ("document", "sentence", "subject", "predicate", "object", "extractor", "confidence", "object_iri", "subject_iri")
        return sorted(rows, key=lambda r: tuple(r[c] for c in order))

    def to_networkx(self) -> nx.MultiDiGraph:
        """Entities and quantities as nodes, facts between them as edges (keyed by predicate).
        An on-disk graph does not change, so its view is computed once (a copy is returned)."""
        if self.on_disk:
            if self._networkx is None:
                self._networkx = self._to_networkx()
            return self._networkx.copy()
        return self._to_networkx()

    def _to_networkx(self) -> nx.MultiDiGraph:
        label = self.labeller()
        out = nx.MultiDiGraph()
        types_of: dict = {}  # entities and quantities -> their classes (one each, as built)
        for cls in {*CLASS_OF_TYPE.values(), KG.Quantity}:
            for s in self.subjects_of_type(cls):
                types_of.setdefault(s, []).append(cls)
        labels, alt, codes_of, value_of = self.objects_by_subject(RDFS.label), self.objects_by_subject(SKOS.altLabel), self.objects_by_subject(KG.hasStockCode), self.value_by_subject(RDF.value)
        for n in sorted(types_of):
            types = sorted(str(t).rsplit("#", 1)[-1] for t in types_of[n])
            aliases = sorted({str(x) for x in alt.get(n, ())} | {str(x) for x in labels.get(n, ())})
            attrs = {"label": label(n), "type": types[0] if types else "", "aliases": "|".join(aliases)}
            codes = sorted(str(c) for c in codes_of.get(n, ()))
            if codes:
                attrs["stockCode"] = "|".join(codes)
            value = value_of.get(n)
            if value is not None:
                attrs["value"] = _lexical(value)
            out.add_node(str(n), **attrs)
        subject, predicate, obj_of = self.value_by_subject(RDF.subject), self.value_by_subject(RDF.predicate), self.value_by_subject(RDF.object)
        evidence, sentence, confidence = self.objects_by_subject(KG.evidence), self.value_by_subject(KG.sentenceText), self.value_by_subject(KG.confidence)
        for a in self.subjects_of_type(KG.Assertion):
            s, p, o = subject.get(a), predicate.get(a), obj_of.get(a)
            if isinstance(o, Literal) or str(s) not in out or str(o) not in out:
                continue
            texts = sorted(str(sentence.get(ev)) for ev in evidence.get(a, ()))
            name = str(p).rsplit("#", 1)[-1]
            out.add_edge(
                str(s), str(o), key=name, predicate=name,
                confidence=float(confidence.get(a) or 0), sentence=texts[0] if texts else "",
                evidence=len(texts),
            )
        return out


# ------------------------------------------------------------------------ building


def resolver_for(results: Iterable[DocResult], keep_mentions: bool = False) -> Resolver:
    """Every entity mention of the documents (names and fact arguments), collected for resolution."""
    resolver = Resolver(keep_mentions)
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
    """Writes the triples of analysed documents to ``add``, in two passes over the results
    (mentions for resolution, then documents), so the results are never all in memory."""

    def __init__(self, add: Callable[[tuple], None], expect: Callable[[int], None] | None = None) -> None:
        self.add = add
        self.expect = expect  # told, after the first pass, roughly how many triples will come

    def run(self, results: Callable[[], Iterable[DocResult]]) -> None:
        counts = [0, 0]  # documents, facts

        def counted() -> Iterator[DocResult]:
            for analysis in results():
                counts[0] += 1
                counts[1] += len(analysis.facts)
                yield analysis

        self.resolver = resolver_for(counted())
        self.entities = self.resolver.entities()  # name key -> entity (merged keys share one)
        distinct = {id(e): e for e in self.entities.values()}.values()
        if self.expect is not None:
            # per document ~6 triples, per fact ~16, per entity ~7 (news corpus: 489 k triples, estimated 516 k)
            self.expect(6 * counts[0] + 16 * counts[1] + 7 * len(distinct))
        for entity in distinct:
            self._entity(entity)
        # assertion -> (probability that all its evidence is wrong, subject, object)
        support: dict[URIRef, tuple[float, URIRef, object]] = {}
        for analysis in results():
            doc = self._document(analysis)
            for m in analysis.mentions:
                if m.type in NAME_TYPES:
                    self.add((doc, SDO.mentions, self._iri(m)))
            for f in analysis.facts:
                self._fact(analysis, doc, f, support)
        degree: dict[URIRef, int] = {}  # node -> distinct facts it is the subject or object of
        for assertion, (keep, subject, obj) in support.items():
            self.add((assertion, KG.confidence, _dec(1.0 - keep)))
            for node in {subject, obj} if isinstance(obj, URIRef) else {subject}:
                degree[node] = degree.get(node, 0) + 1
        for node, n in degree.items():
            self.add((node, KG.factCount, Literal(n)))

    def _iri(self, m: Mention) -> URIRef:
        return KGR[self.entities[self.resolver.key_of(m)].path]

    def _entity(self, e: Entity) -> None:
        add, node = self.add, KGR[e.path]
        add((node, RDF.type, CLASS_OF_TYPE.get(e.type, KG.Entity)))
        prefs = e.pref_labels()
        for script, label in prefs.items():
            add((node, RDFS.label, _text(label, script)))
            add((node, SKOS.prefLabel, _text(label, script)))
        for script, counts in e.surfaces.items():
            for surface in counts:
                if surface != prefs[script]:
                    add((node, SKOS.altLabel, _text(surface, script)))
                simplified = analysis_view(surface)
                if simplified != surface:
                    add((node, SKOS.altLabel, _text(simplified, "zh-Hans")))
        for norm in e.norms:
            if all(norm != s for c in e.surfaces.values() for s in c):
                add((node, SKOS.altLabel, _text(norm, "zh-Hans")))
        for code in sorted(e.codes):
            add((node, KG.hasStockCode, Literal(code)))

    def _document(self, a: DocResult) -> URIRef:
        d = a.document
        add, node = self.add, KGR[f"doc/{_iri_safe(d.id)}"]
        add((node, RDF.type, KG.Document))
        add((node, DCTERMS.identifier, Literal(d.id)))
        add((node, KG.script, Literal(a.script)))
        add((node, KG.contentHash, Literal(hashlib.sha256(d.text.encode("utf-8")).hexdigest())))
        if d.title:
            add((node, DCTERMS.title, _text(d.title, a.script)))
        if d.date and _valid_date(d.date):
            add((node, DCTERMS.date, Literal(d.date, datatype=XSD.date)))
        if d.source:
            add((node, KG.source, Literal(d.source)))
        return node

    def _object(self, a: DocResult, f: Fact, subject: URIRef):
        add = self.add
        if isinstance(f.obj, Mention):
            return self._iri(f.obj)
        if isinstance(f.obj, str):
            return Literal(f.obj)
        q = f.obj
        of = self._iri(q.of) if q.of is not None else None
        node = KGR[f"quantity/{_hash(subject, q.value, q.unit, of)}"]
        add((node, RDF.type, KG.Quantity))
        add((node, RDF.value, decimal_literal(q.value)))
        add((node, KG.unit, Literal(q.unit)))
        add((node, RDFS.label, _text(q.text + (q.of.text if q.of else ""), a.script)))
        if of is not None:
            add((node, KG.of, of))
        add((node, KG.approximate, Literal(q.approximate)))
        add((node, KG.atLeast, Literal(q.at_least)))
        add((node, KG.moreThan, Literal(q.more_than)))
        return node

    def _fact(self, a: DocResult, doc: URIRef, f: Fact, support) -> None:
        if f.modality == "negated" and f.claim is None:
            return  # 没有发布 / 放弃收购: reported by `kg extract`, never asserted as a triple
        add = self.add
        s = self._iri(f.subject)
        p = KG[f.predicate]
        claim_only = isinstance(f.obj, str) and f.claim is not None
        o = None if claim_only else self._object(a, f, s)
        ev = KGR[f"evidence/{_hash(a.document.id, f.sentence.start, f.extractor, f.subject.start, p, _offsets(f.obj))}"]
        add((ev, RDF.type, KG.Evidence))
        add((ev, KG.document, doc))
        add((ev, KG.sentenceText, _text(f.sentence.text, a.script)))
        add((ev, KG.sentenceStart, Literal(f.sentence.start)))
        add((ev, KG.sentenceEnd, Literal(f.sentence.end)))
        add((ev, KG.subjectText, Literal(f.subject.text)))
        add((ev, KG.subjectStart, Literal(f.subject.start)))
        add((ev, KG.subjectEnd, Literal(f.subject.end)))
        span = f.obj if isinstance(f.obj, Mention) else None
        if span is not None:
            add((ev, KG.objectText, Literal(span.text)))
            add((ev, KG.objectStart, Literal(span.start)))
            add((ev, KG.objectEnd, Literal(span.end)))
        add((ev, KG.extractor, Literal(f.extractor)))
        add((ev, KG.confidence, _dec(f.confidence)))
        if f.claim is not None:
            st = KGR[f"statement/{_hash(a.document.id, f.sentence.start, s)}"]
            add((st, RDF.type, KG.Statement))
            add((st, KG.speaker, s))
            add((st, KG.claimText, _text(f.claim, a.script)))
            add((st, KG.modality, Literal(f.modality or "asserted")))
            add((st, KG.evidence, ev))
            if a.document.date and _valid_date(a.document.date):
                add((st, KG.date, Literal(a.document.date, datatype=XSD.date)))
            if isinstance(o, URIRef):
                add((st, KG.about, o))
        if o is None:
            return
        add((s, p, o))
        assertion = KGR[f"fact/{_hash(s, p, o)}"]
        add((assertion, RDF.type, KG.Assertion))
        add((assertion, RDF.subject, s))
        add((assertion, RDF.predicate, p))
        add((assertion, RDF.object, o))
        add((assertion, KG.evidence, ev))
        for key, value in f.extra:
            if key == "title":
                add((assertion, KG.title, _text(value, a.script)))
        keep = support[assertion][0] if assertion in support else 1.0
        support[assertion] = (keep * (1.0 - f.confidence), s, o)  # noisy-or


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


#: Graphs up to this many triples are assembled in memory (rdflib); larger ones on disk. Measured on
#: the 10 MB news corpus (482,586 triples, docs/performance.md): graph + outputs in memory 37 s and
#: 1.1 GB peak, on disk 52 s and 0.64 GB; the in-memory peak grows ~2 kB per triple, the on-disk
#: one does not grow with the graph. With --jobs 1 the pipeline (~0.45 GB) is still loaded during
#: the assembly, so 300 k keeps every build, whatever its size, under ~1.2 GB.
MEMORY_TRIPLES = 300_000


class _Sink:
    """Takes the builder's triples into an rdflib graph; past ``limit`` triples, moves them to an
    external sort on disk and goes on there."""

    def __init__(self, limit: int, workdir: Path) -> None:
        self.rdf: Graph | None = Graph()
        self.lines: SortedLines | None = None
        self.limit, self.workdir, self._added = limit, workdir, 0
        self._check_at = limit + 1  # adds (duplicates included) before counting the graph again

    def expect(self, triples: int) -> None:
        """Go to disk at once when the graph will clearly outgrow the limit (the in-memory triples
        would only be moved there later); the files are the same either way."""
        if triples > 1.5 * self.limit and self.lines is None and not len(self.rdf):
            self.workdir.mkdir(parents=True, exist_ok=True)
            self.lines = SortedLines(self.workdir)
            self.rdf = None

    def add(self, triple: tuple) -> None:
        if self.lines is not None:
            self.lines.add(nt_line(triple))
            return
        self.rdf.add(triple)
        self._added += 1
        if self._added < self._check_at:
            return
        self._check_at = self._added + min(self.limit, 1 << 16)
        if len(self.rdf) > self.limit:
            self.workdir.mkdir(parents=True, exist_ok=True)
            self.lines = SortedLines(self.workdir)
            self.lines.extend(nt_line(t) for t in self.rdf)
            self.rdf = None

    def graph(self) -> KnowledgeGraph:
        if self.lines is None:
            return KnowledgeGraph(self.rdf)
        import pyoxigraph as ox

        from kg.store import load_file

        with self.lines:
            nt, n = _write_nt(self.lines, self.workdir)
        store = ox.Store(str(self.workdir / "store"))
        load_file(store, nt)
        return _on_disk(store, nt, n, self.workdir)


def _write_nt(lines: Iterable[str], workdir: Path) -> tuple[Path, int]:
    """Sorted N-Triples lines to ``workdir/graph.nt``; (its path, its number of triples)."""
    nt, n = workdir / "graph.nt", 0
    with open(nt, "w", encoding="utf-8", newline="\n") as fh:
        for line in lines:
            fh.write(line + "\n")
            n += 1
    return nt, n


def _on_disk(store, nt: Path, n: int, workdir: Path) -> KnowledgeGraph:
    """A KnowledgeGraph over an Oxigraph store (rdflib's API through oxrdflib) and its canonical N-Triples."""
    from oxrdflib import OxigraphStore
    from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

    rdf = Graph(store=OxigraphStore(store=store), identifier=DATASET_DEFAULT_GRAPH_ID)
    return KnowledgeGraph(rdf, canonical_nt=nt, size=n, workdir=workdir, store=store)


def assemble(results: Callable[[], Iterable[DocResult]], workdir: Path, limit: int | None = None) -> KnowledgeGraph:
    """The graph of the analysed documents, ``results()`` giving them afresh for each of two passes:
    in memory up to ``limit`` triples (default: ``KG_MEMORY_TRIPLES`` from the environment, else
    :data:`MEMORY_TRIPLES`), else on disk under ``workdir`` (which the graph's
    :meth:`~KnowledgeGraph.close` deletes)."""
    if limit is None:
        limit = int(os.environ.get("KG_MEMORY_TRIPLES") or MEMORY_TRIPLES)
    sink = _Sink(limit, Path(workdir))
    _Builder(sink.add, sink.expect).run(results)
    return sink.graph()


_LANG_TAGS = {"zh-hans": "zh-Hans", "zh-hant": "zh-Hant"}  # Oxigraph gives language tags back in lower case


@lru_cache(maxsize=1 << 16)  # entity and class IRIs recur in many triples; URIRef() checks each one
def _uri(value: str) -> URIRef:
    return URIRef(value)


def _from_ox(term):
    """An Oxigraph term as the rdflib term the builder made (tag case and decimal form restored)."""
    import pyoxigraph as ox

    if isinstance(term, ox.NamedNode):
        return _uri(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=_LANG_TAGS.get(term.language, term.language))
    datatype = term.datatype.value
    if datatype == str(XSD.decimal):
        return decimal_literal(Decimal(term.value))
    return Literal(term.value) if datatype == str(XSD.string) else Literal(term.value, datatype=URIRef(datatype))


def open_stored(store_dir: Path, workdir: Path) -> KnowledgeGraph:
    """The graph in an on-disk store written by ``kg build``, as an on-disk :class:`KnowledgeGraph`:
    its canonical N-Triples (sorted in bounded memory under ``workdir``, same bytes as the build
    wrote) and an rdflib view of the store opened read-only. ``close()`` it to delete ``workdir``."""
    import pyoxigraph as ox

    from kg.store import open_read_only

    store = open_read_only(store_dir)
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        with SortedLines(workdir) as lines:
            for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph()):
                lines.add(nt_line((_from_ox(q.subject), _from_ox(q.predicate), _from_ox(q.object))))
            nt, n = _write_nt(lines, workdir)
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    return _on_disk(store, nt, n, workdir)


def build_graph(results: Iterable[DocResult]) -> KnowledgeGraph:
    """Resolve the mentions of all documents and write facts + provenance as RDF (in memory)."""
    results = list(results)
    graph = KnowledgeGraph()
    _Builder(graph.rdf.add).run(lambda: results)
    return graph

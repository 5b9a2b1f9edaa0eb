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
import heapq
import io
import os
import queue
import re
import shutil
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from functools import lru_cache
from itertools import count
from operator import itemgetter
from pathlib import Path
from typing import BinaryIO

import networkx as nx
import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.query import Result

from kg.canonical import SortedLines, fix_lang_case, nt_line, turtle_prefixes, write_turtle
from kg.engine import DocResult
from kg.errors import QueryError
from kg.forked import alongside, can_fork
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


def _decimal(value: Decimal) -> str:
    """xsd:decimal in canonical lexical form (700 -> "700.0"), as Turtle writes it back,
    so a graph re-read from any export is isomorphic to the one built."""
    text = format(value, "f")
    return text if "." in text else text + ".0"


def _lexical(value) -> str:
    """A literal's text, decimals in our canonical form (an Oxigraph store gives 700.0 back as 700)."""
    if isinstance(value, Literal) and value.datatype == XSD.decimal:
        return _decimal(Decimal(str(value)))
    return str(value)


def _dec(x: float) -> str:
    return _decimal(Decimal(str(round(x, 3))))


def _bool(x: bool) -> str:
    return "true" if x else "false"


# Literal tags: what follows a literal's quoted text in N-Triples ("" for a plain string)
_DT_INTEGER, _DT_DECIMAL, _DT_BOOLEAN, _DT_DATE = (f"^^<{XSD[t]}>" for t in ("integer", "decimal", "boolean", "date"))
_LANG_OF = {"zh-Hans": "@zh-Hans", "zh-Hant": "@zh-Hant"}


def _lang(value: str, script: str) -> str:
    """The tag of a label or sentence in its script; Latin-only names stay untagged."""
    tag = _LANG_OF.get(script)
    return "" if tag is None or value.isascii() else tag


@lru_cache(maxsize=64)
def _tag_terms(tag: str) -> dict:
    """Literal() arguments for a tag."""
    if tag.startswith("@"):
        return {"lang": tag[1:]}
    if tag.startswith("^^"):
        return {"datatype": URIRef(tag[3:-1])}
    return {}


_NT_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", '"': '\\"', "\r": "\\r"})  # as rdflib's nt writer


def _nt_literal(lexical: str, tag: str) -> str:
    return f'"{lexical.translate(_NT_ESCAPES)}"{tag}'


@lru_cache(maxsize=256)
def _predicate(name: str) -> str:
    return str(KG[name])  # KG is a DefinedNamespace: a predicate the ontology lacks fails here


# The IRIs the builder writes, as text (a DefinedNamespace lookup per triple is slow).
_KGR = str(KGR)
_P_TYPE = str(RDF.type)
_P_LABEL = str(RDFS.label)
_P_PREF = str(SKOS.prefLabel)
_P_ALT = str(SKOS.altLabel)
_P_SUBJECT = str(RDF.subject)
_P_PREDICATE = str(RDF.predicate)
_P_OBJECT = str(RDF.object)
_P_VALUE = str(RDF.value)
_P_MENTIONS = str(SDO.mentions)
_P_IDENTIFIER = str(DCTERMS.identifier)
_P_TITLE = str(DCTERMS.title)
_P_DATE = str(DCTERMS.date)
_P_CONFIDENCE = str(KG.confidence)
_P_FACT_COUNT = str(KG.factCount)
_P_STOCK_CODE = str(KG.hasStockCode)
_P_SCRIPT = str(KG.script)
_P_CONTENT_HASH = str(KG.contentHash)
_P_SOURCE = str(KG.source)
_P_UNIT = str(KG.unit)
_P_OF = str(KG.of)
_P_APPROXIMATE = str(KG.approximate)
_P_AT_LEAST = str(KG.atLeast)
_P_MORE_THAN = str(KG.moreThan)
_P_DOCUMENT = str(KG.document)
_P_SENTENCE_TEXT = str(KG.sentenceText)
_P_SENTENCE_START = str(KG.sentenceStart)
_P_SENTENCE_END = str(KG.sentenceEnd)
_P_SUBJECT_TEXT = str(KG.subjectText)
_P_SUBJECT_START = str(KG.subjectStart)
_P_SUBJECT_END = str(KG.subjectEnd)
_P_OBJECT_TEXT = str(KG.objectText)
_P_OBJECT_START = str(KG.objectStart)
_P_OBJECT_END = str(KG.objectEnd)
_P_EXTRACTOR = str(KG.extractor)
_P_SPEAKER = str(KG.speaker)
_P_CLAIM_TEXT = str(KG.claimText)
_P_MODALITY = str(KG.modality)
_P_EVIDENCE = str(KG.evidence)
_P_DATE_KG = str(KG.date)
_P_ABOUT = str(KG.about)
_P_TITLE_KG = str(KG.title)
_C_DOCUMENT = str(KG.Document)
_C_QUANTITY = str(KG.Quantity)
_C_EVIDENCE = str(KG.Evidence)
_C_STATEMENT = str(KG.Statement)
_C_ASSERTION = str(KG.Assertion)


def canonical_rdf(rdf: Graph, fmt: str = "turtle") -> str | None:
    """Sorted N-Triples, or Turtle written by Oxigraph from them (2–10× faster than
    rdflib's Turtle writer; the sort makes the bytes depend on the graph only).
    None for a graph with blank nodes (their labels are not stable, so no canonical order)."""
    # split on "\n" only: str.splitlines also breaks at U+001C-1E, U+0085, U+2028/9 inside literals
    lines = sorted({line for line in rdf.serialize(format="nt").split("\n") if line.strip()})
    if any(line.startswith("_:") or " _:" in line for line in lines):
        return None
    if fmt == "nt":
        return "\n".join(lines) + "\n" if lines else ""
    triples = ox.parse(input="\n".join(lines).encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)
    return fix_lang_case(ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=turtle_prefixes())).decode("utf-8")


#: What :meth:`KnowledgeGraph.fact_rows` and :meth:`KnowledgeGraph.to_networkx` read of an on-disk
#: graph, as (predicate, as text) for :meth:`KnowledgeGraph.prefetch`.
FACT_ROWS_READ = [(RDFS.label, True), (RDF.subject, False), (RDF.predicate, True), (RDF.object, False),
                  (KG.evidence, False), (KG.document, False), (DCTERMS.identifier, True), (KG.confidence, True),
                  (KG.sentenceText, True), (KG.extractor, True)]
NETWORKX_READ = [(RDFS.label, True), (SKOS.altLabel, True), (KG.hasStockCode, True), (RDF.value, True),
                 (RDF.subject, False), (RDF.predicate, True), (RDF.object, False), (KG.evidence, False),
                 (KG.sentenceText, True), (KG.confidence, True)]


class KnowledgeGraph:
    """An RDF graph of facts with provenance; ``to_networkx()`` gives the graph view.

    Usually an in-memory rdflib graph. A graph too large for that (see :func:`assemble`) is an
    rdflib view of an on-disk Oxigraph store, with its canonical N-Triples in a file
    (``canonical_nt``) from which Turtle and N-Triples are streamed; :meth:`close` deletes both.
    """

    def __init__(self, rdf: Graph | None = None, *, canonical_nt: Path | None = None,
                 size: int | None = None, workdir: Path | None = None, store=None,
                 loading: _Loader | None = None) -> None:
        self._rdf = rdf if rdf is not None else Graph()
        self.canonical_nt = canonical_nt
        self._store = store  # the Oxigraph store under an on-disk graph
        self._loading = loading  # still filling the store (Turtle and N-Triples need only canonical_nt)
        self._size = size
        self._workdir = workdir
        self._networkx: nx.MultiDiGraph | None = None
        self._scans: dict = {}  # (predicate, text) -> objects_by_subject, for an on-disk graph
        self._types: dict[str, list[str]] | None = None  # class IRI -> its nodes' texts, for an on-disk graph
        self._counts: dict[str, Counter] = {}  # predicate IRI -> count_objects, for an on-disk graph
        for prefix, iri in PREFIXES.items():
            self._rdf.bind(prefix, iri, override=True)

    def _ready(self) -> None:
        """Wait for the store to be loaded (raising what loading it raised)."""
        if self._loading is not None:
            loading, self._loading = self._loading, None
            loading.join()
            if loading.error is not None:
                raise loading.error

    @property
    def rdf(self) -> Graph:
        self._ready()
        return self._rdf

    @property
    def store(self):
        self._ready()
        return self._store

    def __len__(self) -> int:
        return self._size if self._size is not None else len(self.rdf)

    @property
    def on_disk(self) -> bool:
        return self.canonical_nt is not None

    def nt_view(self) -> KnowledgeGraph:
        """This on-disk graph as its canonical N-Triples alone, without the store: for another
        process (a forked child must not use its parent's store handle), which can write from it
        what is read from the N-Triples (Turtle, N-Triples, the CSVs, the networkx view and the
        outputs made of that). Its ``close()`` deletes nothing; asking it for rdflib's graph raises."""
        if self.canonical_nt is None:
            raise ValueError("only an on-disk graph has canonical N-Triples to view")
        return _NTView(canonical_nt=self.canonical_nt, size=len(self))

    def close(self) -> None:
        """Release an on-disk graph's store and delete its working files (no-op in memory)."""
        if self._workdir is not None:
            if self._loading is not None:
                self._loading.join()  # its error, if any, was the caller's to see
                self._loading = None
            self._rdf.close()
            self._rdf = Graph()
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = self.canonical_nt = self._store = None
            self._scans, self._types, self._counts = {}, None, {}

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
        rdf = self.rdf
        try:
            return rdf.query(sparql, initNs=PREFIXES, initBindings=bindings)
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

    def _typed(self, cls) -> set[str]:
        """The IRIs (as text) of the nodes of class ``cls``."""
        if self.canonical_nt is None:
            return {str(s) for s in self.rdf.subjects(RDF.type, cls)}
        self.prefetch()
        return set(self._types.get(str(cls), ()))

    def prefetch(self, objects: Iterable[tuple[object, bool]] = (), counts: Iterable = ()) -> None:
        """Read, in one pass over an on-disk graph's canonical N-Triples, what the calls
        ``objects_by_subject(predicate, text=text)`` for each (predicate, text) of ``objects`` and
        ``count_objects(predicate)`` for each predicate of ``counts`` will ask for, and keep it
        for them (the graph does not change). The first read also takes the nodes of every
        class, for ``subjects_of_type`` and ``stats`` (the ``rdf:type`` triples are few next to
        the graph's, and every reader asks for some).
        The file is read faster than the store is scanned (Oxigraph makes each quad's terms,
        ~12 µs a quad) and needs no store: it may still be loading. No-op in memory."""
        if self.canonical_nt is None:
            return
        objects = {(str(p), bool(text)) for p, text in objects} - set(self._scans)
        counts = {str(p) for p in counts} - set(self._counts)
        read_types = self._types is None  # every class's nodes come with the first read
        if not (objects or counts or read_types):
            return
        # "<predicate>" -> where its lines go: (scan dict, text) / counter
        scans: dict[str, list[tuple[dict, bool]]] = {}
        for p, text in objects:
            scans.setdefault(f"<{p}>", []).append((self._scans.setdefault((p, text), {}), text))
        counters = {f"<{p}>": self._counts.setdefault(p, Counter()) for p in counts}
        types: dict[str, list[str]] = {}
        type_key = f"<{RDF.type}>" if read_types else None
        last = node = None  # the lines are sorted: a subject's come together
        with open(self.canonical_nt, encoding="utf-8", newline="\n") as fh:
            for line in fh:
                s, p, o = line.split(" ", 2)  # IRIs and blank nodes hold no space
                if p == type_key:
                    types.setdefault(o[1:-4], []).append(_nt_text(s))
                into = scans.get(p)
                if into is not None:
                    if s != last:
                        last, node = s, _nt_node(s)
                    for out, text in into:
                        value = _nt_object(o[:-3], text)
                        values = out.get(node)
                        if values is None:
                            out[node] = [value]
                        else:
                            values.append(value)
                counter = counters.get(p)
                if counter is not None:
                    counter[_nt_value(o[:-3])] += 1
        if read_types:
            self._types = types

    def stats(self) -> dict[str, int]:
        entities = set().union(*(self._typed(cls) for cls in CLASS_OF_TYPE.values()))
        return {
            "documents": len(self._typed(KG.Document)),
            "entities": len(entities),
            "facts": len(self._typed(KG.Assertion)),
            "evidence": len(self._typed(KG.Evidence)),
            "statements": len(self._typed(KG.Statement)),
            "triples": len(self),  # len(self.rdf) on a store counts DISTINCT triples in memory
        }

    def label(self, node) -> str:
        labels = sorted(str(o) for o in self.rdf.objects(node, RDFS.label))
        return labels[0] if labels else str(node).rsplit("/", 1)[-1]

    def objects_by_subject(self, predicate, text: bool = False) -> dict:
        """subject -> its objects for ``predicate``, in one scan (per-node lookups are slow on a
        store); ``text``: the objects' texts (:func:`_lexical`) instead of rdflib terms, for the
        outputs that only print them (no term is made per literal). An on-disk graph reads them
        from its N-Triples (see :meth:`prefetch`) and keeps them for the next output that asks:
        do not change the dict."""
        if self.canonical_nt is None:
            out: dict = {}
            for s, o in self.rdf.subject_objects(predicate):
                out.setdefault(s, []).append(_lexical(o) if text else o)
            return out
        self.prefetch(objects=[(predicate, text)])
        return self._scans[(str(predicate), bool(text))]

    def count_objects(self, predicate) -> Counter:
        """How many triples with ``predicate`` each object is in, by the object's text (one scan,
        no term made per triple)."""
        if self.canonical_nt is None:
            return Counter(str(o) for o in self.rdf.objects(None, predicate))
        self.prefetch(counts=[predicate])
        return Counter(self._counts[str(predicate)])

    def subjects_of_type(self, cls) -> list:
        """The nodes of class ``cls``, sorted (as rdflib orders terms)."""
        if self.canonical_nt is None:
            return sorted(set(self.rdf.subjects(RDF.type, cls)), key=_term_order)
        self.prefetch()
        return sorted(map(_text_node, self._types.get(str(cls), ())), key=_term_order)

    def value_by_subject(self, predicate, text: bool = False) -> dict:
        """subject -> one object for ``predicate`` (like ``Graph.value``); ``text`` as in :meth:`objects_by_subject`."""
        return {s: objects[0] for s, objects in self.objects_by_subject(predicate, text=text).items()}

    def labeller(self) -> Callable[[object], str]:
        """:meth:`label` for many nodes: the labels are read in one scan."""
        labels = self.objects_by_subject(RDFS.label, text=True)

        def label(node) -> str:
            texts = labels.get(node)
            return min(texts) if texts else str(node).rsplit("/", 1)[-1]

        return label

    def fact_rows(self) -> list[dict[str, str]]:
        """One row per (fact, supporting sentence), sorted."""
        rows = []
        self.prefetch(FACT_ROWS_READ)
        label = self.labeller()
        subject, predicate, obj_of = self.value_by_subject(RDF.subject), self.value_by_subject(RDF.predicate, text=True), self.value_by_subject(RDF.object)
        evidence, doc_of, ident = self.objects_by_subject(KG.evidence), self.value_by_subject(KG.document), self.value_by_subject(DCTERMS.identifier, text=True)
        confidence, sentence, extractor = (self.value_by_subject(p, text=True) for p in (KG.confidence, KG.sentenceText, KG.extractor))
        for a in self.subjects_of_type(KG.Assertion):
            s, p, o = subject.get(a), predicate.get(a), obj_of.get(a)
            obj = str(o) if isinstance(o, Literal) else label(o)
            for ev in evidence.get(a, ()):
                rows.append(
                    {
                        "subject": label(s),
                        "predicate": str(p).replace(str(KG), "kg:"),
                        "object": obj,
                        "confidence": str(confidence.get(ev)),
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

    def to_networkx(self, copy: bool = True) -> nx.MultiDiGraph:
        """Entities and quantities as nodes, facts between them as edges (keyed by predicate).
        An on-disk graph does not change, so its view is computed once and a copy returned;
        ``copy=False`` returns that view itself, for a reader that does not change it (the
        copy costs ~0.3 s at 10 MB of input, and the HTML and GraphML outputs both read it)."""
        if self.on_disk:
            if self._networkx is None:
                self._networkx = self._to_networkx()
            return self._networkx.copy() if copy else self._networkx
        return self._to_networkx()

    def _to_networkx(self) -> nx.MultiDiGraph:
        self.prefetch(NETWORKX_READ)
        label = self.labeller()
        out = nx.MultiDiGraph()
        types_of: dict = {}  # entities and quantities -> their classes (one each, as built)
        for cls in {*CLASS_OF_TYPE.values(), KG.Quantity}:
            for s in self.subjects_of_type(cls):
                types_of.setdefault(s, []).append(cls)
        labels, alt, codes_of = (self.objects_by_subject(p, text=True) for p in (RDFS.label, SKOS.altLabel, KG.hasStockCode))
        value_of = self.value_by_subject(RDF.value, text=True)
        for n in sorted(types_of, key=_term_order):
            types = sorted(str(t).rsplit("#", 1)[-1] for t in types_of[n])
            aliases = sorted({*alt.get(n, ()), *labels.get(n, ())})
            attrs = {"label": label(n), "type": types[0] if types else "", "aliases": "|".join(aliases)}
            codes = sorted(codes_of.get(n, ()))
            if codes:
                attrs["stockCode"] = "|".join(codes)
            value = value_of.get(n)
            if value is not None:
                attrs["value"] = value
            out.add_node(str(n), **attrs)
        subject, predicate, obj_of = self.value_by_subject(RDF.subject), self.value_by_subject(RDF.predicate, text=True), self.value_by_subject(RDF.object)
        evidence, sentence, confidence = self.objects_by_subject(KG.evidence), self.value_by_subject(KG.sentenceText, text=True), self.value_by_subject(KG.confidence, text=True)
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


class _NTView(KnowledgeGraph):
    """See :meth:`KnowledgeGraph.nt_view`."""

    @property
    def rdf(self) -> Graph:
        raise RuntimeError("this view of the graph has only its N-Triples: no rdflib graph, no SPARQL")


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
    """Writes the triples of analysed documents to a :class:`_Sink`, in two passes over the
    results (mentions for resolution, then documents), so the results are never all in memory.

    Terms are plain strings: IRIs as their text, literals as their lexical form with a tag
    (:func:`_lang` or a datatype from ``_DT``), and the sink makes of them what it stores (rdflib
    terms for a graph in memory, N-Triples lines on disk), so a large build never creates an
    rdflib term."""

    def __init__(self, sink: _Sink) -> None:
        self.sink = sink
        self.iri, self.lit = sink.iri, sink.lit  # (s, p, o IRI) and (s, p, lexical, tag)

    def run(self, results: Callable[..., Iterable[DocResult]], jobs: int = 1) -> None:
        """Both passes. With ``jobs`` > 1 (where processes can fork) a forked process takes a share
        of each pass: ``results`` then also takes ``select`` (a function of a result's position
        in ``results()``) and gives only the results it selects, in the same order (as
        :meth:`kg.state.State.results` does). The triples are the same either way."""
        forks = jobs > 1 and can_fork()
        fork = {"name": "kg-assemble", "what": "a share of the graph"}
        if forks:  # each process resolves the mentions of its share of the documents; then one resolver
            here, there = _Chunks.pair()
            (self.resolver, counts), (theirs, their_counts) = alongside(
                lambda: _resolve_share(results, there), lambda: _resolve_share(results, here), **fork)
            self.resolver.merge(theirs)
            counts = (counts[0] + their_counts[0], counts[1] + their_counts[1])
        else:
            self.resolver, counts = _resolve_share(results, None)
        self.entities = self.resolver.entities()  # name key -> entity (merged keys share one)
        distinct = {id(e): e for e in self.entities.values()}.values()
        # per document ~6 triples, per fact ~16, per entity ~7 (news corpus: 489 k triples, estimated 516 k)
        self.sink.expect(6 * counts[0] + 16 * counts[1] + 7 * len(distinct))
        self._iris: dict[str, str] = {}  # name key -> entity IRI

        def entities_and(select: Callable[[int], bool] | None) -> list[tuple]:
            for entity in distinct:
                self._entity(entity)
            return self._documents(results, select)

        if forks and self.sink.lines is not None:  # the documents' triples: a forked process writes its share
            here, there = _Chunks.pair()
            log, (runs, theirs) = alongside(lambda: _documents_share(self, results, there),
                                            lambda: entities_and(here), **fork)
            self.sink.lines.adopt(runs)
            log = heapq.merge(log, theirs, key=itemgetter(0))
        else:
            log = entities_and(None)
        # assertion -> (probability that all its evidence is wrong, subject, object IRI or None),
        # multiplied in the documents' order (the same floats however the documents were shared)
        support: dict[str, tuple[float, str, str | None]] = {}
        for _, assertion, confidence, subject, obj in log:
            keep = support[assertion][0] if assertion in support else 1.0
            support[assertion] = (keep * (1.0 - confidence), subject, obj)  # noisy-or
        degree: dict[str, int] = {}  # node -> distinct facts it is the subject or object of
        lit = self.lit
        for assertion, (keep, subject, obj) in support.items():
            lit(assertion, _P_CONFIDENCE, _dec(1.0 - keep), _DT_DECIMAL)
            for node in {subject, obj} if obj is not None else {subject}:
                degree[node] = degree.get(node, 0) + 1
        for node, n in degree.items():
            lit(node, _P_FACT_COUNT, str(n), _DT_INTEGER)

    def _documents(self, results: Callable[..., Iterable[DocResult]], select: Callable[[int], bool] | None) -> list[tuple]:
        """The triples of the documents ``select`` takes (all: None) and of their facts; returns
        each asserted fact's support as (document position, assertion, confidence, subject,
        object), in the documents' order."""
        iri, mentions, log = self.iri, _P_MENTIONS, []
        for i, analysis in _positioned(results, select):
            doc = self._document(analysis)
            for m in analysis.mentions:
                if m.type in NAME_TYPES:
                    iri(doc, mentions, self._iri(m))
            for f in analysis.facts:
                supported = self._fact(analysis, doc, f)
                if supported is not None:
                    log.append((i, *supported))
        return log

    def _iri(self, m: Mention) -> str:
        key = self.resolver.key_of(m)
        iri = self._iris.get(key)
        if iri is None:
            iri = self._iris[key] = _KGR + self.entities[key].path
        return iri

    def _entity(self, e: Entity) -> None:
        iri, lit, node = self.iri, self.lit, _KGR + e.path
        iri(node, _P_TYPE, str(CLASS_OF_TYPE.get(e.type, KG.Entity)))
        prefs = e.pref_labels()
        for script, label in prefs.items():
            tag = _lang(label, script)
            lit(node, _P_LABEL, label, tag)
            lit(node, _P_PREF, label, tag)
        for script, counts in e.surfaces.items():
            for surface in counts:
                if surface != prefs[script]:
                    lit(node, _P_ALT, surface, _lang(surface, script))
                simplified = analysis_view(surface)
                if simplified != surface:
                    lit(node, _P_ALT, simplified, _lang(simplified, "zh-Hans"))
        for norm in e.norms:
            if all(norm != s for c in e.surfaces.values() for s in c):
                lit(node, _P_ALT, norm, _lang(norm, "zh-Hans"))
        for code in sorted(e.codes):
            lit(node, _P_STOCK_CODE, code, "")

    def _document(self, a: DocResult) -> str:
        d = a.document
        iri, lit, node = self.iri, self.lit, f"{_KGR}doc/{_iri_safe(d.id)}"
        iri(node, _P_TYPE, _C_DOCUMENT)
        lit(node, _P_IDENTIFIER, d.id, "")
        lit(node, _P_SCRIPT, a.script, "")
        lit(node, _P_CONTENT_HASH, hashlib.sha256(d.text.encode("utf-8")).hexdigest(), "")
        if d.title:
            lit(node, _P_TITLE, d.title, _lang(d.title, a.script))
        if d.date and _valid_date(d.date):
            lit(node, _P_DATE, d.date, _DT_DATE)
        if d.source:
            lit(node, _P_SOURCE, d.source, "")
        return node

    def _quantity(self, a: DocResult, q: QuantityValue, subject: str) -> str:
        iri, lit = self.iri, self.lit
        of = self._iri(q.of) if q.of is not None else None
        node = f"{_KGR}quantity/{_hash(subject, q.value, q.unit, of)}"
        iri(node, _P_TYPE, _C_QUANTITY)
        lit(node, _P_VALUE, _decimal(q.value), _DT_DECIMAL)
        lit(node, _P_UNIT, q.unit, "")
        label = q.text + (q.of.text if q.of else "")
        lit(node, _P_LABEL, label, _lang(label, a.script))
        if of is not None:
            iri(node, _P_OF, of)
        lit(node, _P_APPROXIMATE, _bool(q.approximate), _DT_BOOLEAN)
        lit(node, _P_AT_LEAST, _bool(q.at_least), _DT_BOOLEAN)
        lit(node, _P_MORE_THAN, _bool(q.more_than), _DT_BOOLEAN)
        return node

    def _fact(self, a: DocResult, doc: str, f: Fact) -> tuple[str, float, str, str | None] | None:
        """The fact's triples; (assertion, confidence, subject, object IRI or None) when it asserts one."""
        if f.modality == "negated" and f.claim is None:
            return None  # 没有发布 / 放弃收购: reported by `kg extract`, never asserted as a triple
        iri, lit = self.iri, self.lit
        s = self._iri(f.subject)
        p = _predicate(f.predicate)
        # the object: an entity or quantity IRI (o), or a literal (text); neither for a bare claim
        o = text = None
        if isinstance(f.obj, Mention):
            o = self._iri(f.obj)
        elif isinstance(f.obj, QuantityValue):
            o = self._quantity(a, f.obj, s)
        elif f.claim is None:
            text = f.obj
        ev = f"{_KGR}evidence/{_hash(a.document.id, f.sentence.start, f.extractor, f.subject.start, p, _offsets(f.obj))}"
        iri(ev, _P_TYPE, _C_EVIDENCE)
        iri(ev, _P_DOCUMENT, doc)
        lit(ev, _P_SENTENCE_TEXT, f.sentence.text, _lang(f.sentence.text, a.script))
        lit(ev, _P_SENTENCE_START, str(f.sentence.start), _DT_INTEGER)
        lit(ev, _P_SENTENCE_END, str(f.sentence.end), _DT_INTEGER)
        lit(ev, _P_SUBJECT_TEXT, f.subject.text, "")
        lit(ev, _P_SUBJECT_START, str(f.subject.start), _DT_INTEGER)
        lit(ev, _P_SUBJECT_END, str(f.subject.end), _DT_INTEGER)
        if isinstance(f.obj, Mention):
            span = f.obj
            lit(ev, _P_OBJECT_TEXT, span.text, "")
            lit(ev, _P_OBJECT_START, str(span.start), _DT_INTEGER)
            lit(ev, _P_OBJECT_END, str(span.end), _DT_INTEGER)
        lit(ev, _P_EXTRACTOR, f.extractor, "")
        lit(ev, _P_CONFIDENCE, _dec(f.confidence), _DT_DECIMAL)
        if f.claim is not None:
            st = f"{_KGR}statement/{_hash(a.document.id, f.sentence.start, s)}"
            iri(st, _P_TYPE, _C_STATEMENT)
            iri(st, _P_SPEAKER, s)
            lit(st, _P_CLAIM_TEXT, f.claim, _lang(f.claim, a.script))
            lit(st, _P_MODALITY, f.modality or "asserted", "")
            iri(st, _P_EVIDENCE, ev)
            if a.document.date and _valid_date(a.document.date):
                lit(st, _P_DATE_KG, a.document.date, _DT_DATE)
            if o is not None:
                iri(st, _P_ABOUT, o)
        if o is None and text is None:
            return None
        assertion = f"{_KGR}fact/{_hash(s, p, o if o is not None else text)}"
        if o is not None:
            iri(s, p, o)
            iri(assertion, _P_OBJECT, o)
        else:
            lit(s, p, text, "")
            lit(assertion, _P_OBJECT, text, "")
        iri(assertion, _P_TYPE, _C_ASSERTION)
        iri(assertion, _P_SUBJECT, s)
        iri(assertion, _P_PREDICATE, p)
        iri(assertion, _P_EVIDENCE, ev)
        for key, value in f.extra:
            if key == "title":
                lit(assertion, _P_TITLE_KG, value, _lang(value, a.script))
        return assertion, f.confidence, s, o


class _Chunks:
    """How a build's two processes share the documents of a pass (positions in ``results()``): in
    chunks of :data:`CHUNK` documents, each process taking the next chunk nobody has taken when it
    is done with its last (a counter in shared memory), so the one with less else to do takes more.
    A fixed split left one process waiting for the other: the parent also writes the entities'
    triples and feeds the store's loader, and the work per document differs between corpora (the
    10 MB news corpus kept the forked process waiting ~1 s, the 100 MB one the parent ~10 s).
    Which process writes a document's triples does not change them.

    An instance is a ``select`` for :meth:`kg.state.State.results`: it must be asked about every
    position in increasing order (as ``State.results`` and :func:`_positioned` ask), and it gives
    the same answer when asked again."""

    CHUNK = 64

    def __init__(self, counter) -> None:
        self._counter = counter  # the next chunk nobody has taken
        self._mine = -1  # the last chunk this process took
        self._owned: set[int] = set()

    @classmethod
    def pair(cls) -> tuple[_Chunks, _Chunks]:
        """(the parent's, the forked process's), sharing one counter: make them before the fork."""
        import multiprocessing

        counter = multiprocessing.get_context("fork").Value("q", 0)
        return cls(counter), cls(counter)

    def __call__(self, i: int) -> bool:
        chunk = i // self.CHUNK
        if chunk > self._mine:  # past the last chunk taken: take the next free one (never behind this one,
            with self._counter.get_lock():  # since every chunk before it was taken when it was reached)
                self._mine = self._counter.value
                self._counter.value = self._mine + 1
            if self._mine < chunk:
                raise RuntimeError("_Chunks must be asked about every position in increasing order")
            self._owned.add(self._mine)
        return chunk in self._owned


def _positioned(results: Callable[..., Iterable[DocResult]], select: Callable[[int], bool] | None) -> Iterator[tuple[int, DocResult]]:
    """(position in ``results()``, result) of the results ``select`` takes (all: None)."""
    if select is None:
        return enumerate(results())
    return zip(filter(select, count()), results(select))


def _resolve_share(results: Callable[..., Iterable[DocResult]], select: Callable[[int], bool] | None) -> tuple[Resolver, tuple[int, int]]:
    """The resolver of the mentions of the documents ``select`` takes (all: None), and their
    numbers of documents and facts."""
    documents = facts = 0

    def counted() -> Iterator[DocResult]:
        nonlocal documents, facts
        for _, analysis in _positioned(results, select):
            documents += 1
            facts += len(analysis.facts)
            yield analysis

    resolver = resolver_for(counted())
    return resolver, (documents, facts)


def _documents_share(builder: _Builder, results: Callable[..., Iterable[DocResult]], select: Callable[[int], bool]):
    """In a forked process: the triples of the documents ``select`` takes, as sorted run files for
    the parent's sink to adopt, and their support log (see :meth:`_Builder._documents`)."""
    lines = builder.sink.lines = SortedLines(builder.sink.workdir)  # runs of its own, none of the parent's
    try:
        log = builder._documents(results, select)
        return lines.hand_over(), log
    finally:
        lines.close()  # what was not handed over


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
    """Takes the builder's triples (plain strings: see :class:`_Builder`) into an rdflib graph;
    past ``limit`` triples, moves them to an external sort of N-Triples lines on disk and goes
    on there, formatting each triple as its line (no rdflib terms)."""

    def __init__(self, limit: int, workdir: Path | None) -> None:
        self.rdf: Graph | None = Graph()
        self.lines: SortedLines | None = None
        self.limit, self.workdir, self._added = limit, workdir, 0
        self._check_at = limit + 1  # adds (duplicates included) before counting the graph again

    def expect(self, triples: int) -> None:
        """Go to disk at once when the graph will clearly outgrow the limit (the in-memory triples
        would only be moved there later); the files are the same either way."""
        if triples > 1.5 * self.limit and self.lines is None and not len(self.rdf):
            self._to_disk()

    def iri(self, s: str, p: str, o: str) -> None:
        """A triple whose object is an IRI."""
        if self.lines is not None:
            self.lines.add(f"<{s}> <{p}> <{o}> .")
        else:
            self._add((_uri(s), _uri(p), _uri(o)))

    def lit(self, s: str, p: str, lexical: str, tag: str) -> None:
        """A triple whose object is a literal: its lexical form and tag ("", "@lang" or "^^<datatype>")."""
        if self.lines is not None:
            self.lines.add(f"<{s}> <{p}> {_nt_literal(lexical, tag)} .")
        else:
            self._add((_uri(s), _uri(p), Literal(lexical, **_tag_terms(tag))))

    def _add(self, triple: tuple) -> None:
        self.rdf.add(triple)
        self._added += 1
        if self._added < self._check_at:
            return
        self._check_at = self._added + min(self.limit, 1 << 16)
        if len(self.rdf) > self.limit:
            rdf = self.rdf
            self._to_disk()
            self.lines.extend(nt_line(t) for t in rdf)

    def _to_disk(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.lines = SortedLines(self.workdir)
        self.rdf = None
        # the store fills from the sorted runs as they are written, alongside the assembly
        self.store = ox.Store(str(self.workdir / _STORE_DIR))
        self.loader = _Loader(self.store)
        self.lines.on_run = self.loader.add

    def graph(self) -> KnowledgeGraph:
        if self.lines is None:
            return KnowledgeGraph(self.rdf)
        try:
            with self.lines:
                nt, n = _write_nt(self.lines, self.workdir)
        except BaseException:
            self.abandon()
            raise
        self.loader.finish(nt)
        # Oxigraph loads without the GIL: the outputs (written from the N-Triples) go on meanwhile
        return _on_disk(self.store, nt, n, self.workdir, self.loader)

    def abandon(self) -> None:
        """The assembly failed: stop the store's loader (the caller deletes the working directory)."""
        if self.lines is not None:
            self.loader.finish(None)
            self.loader.join()


class _Loader(threading.Thread):
    """Bulk-loads the assembly's N-Triples into a store in the background: each sorted run of
    lines as soon as it is written (:meth:`add`; a store holds a set of triples, so neither the
    runs' order nor a line in two runs matters), else, when there was no run or one could not be
    kept for it, the merged file given to :meth:`finish`; then optimises the store (the build's
    checkpoint of it then needs no optimising of its own). A run is kept for the loader as a hard
    link, which it deletes once loaded, so the sort deletes its runs as before. ``error`` is what
    loading raised (see :meth:`KnowledgeGraph._ready`)."""

    def __init__(self, store) -> None:
        super().__init__(name="kg-store-load", daemon=True)
        self.store = store
        self.error: BaseException | None = None
        self._tasks: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._whole = False  # a run could not be linked: load the merged file at the end
        self._runs = 0
        self.start()

    def add(self, run: str) -> None:
        if self._whole:
            return
        link = Path(run + ".nt")
        try:
            os.link(run, link)
        except OSError:
            self._whole = True
            return
        self._runs += 1
        self._tasks.put(lambda: self._load_run(link))

    def finish(self, nt: Path | None) -> None:
        """No more runs: load ``nt`` too if the runs did not hold every line, then optimise (``None``:
        the assembly failed, stop)."""
        if nt is not None:
            if self._whole or not self._runs:
                self._tasks.put(lambda: self._load(nt))
            self._tasks.put(self.store.optimize)
        self._tasks.put(None)

    def _load(self, path: Path) -> None:
        from kg.store import load_file

        load_file(self.store, path, lenient=True)  # the assembly's own lines (graph.ttl validates them)

    def _load_run(self, link: Path) -> None:
        try:
            self._load(link)
        finally:
            link.unlink(missing_ok=True)

    def run(self) -> None:
        while (task := self._tasks.get()) is not None:
            if self.error is not None:
                continue  # drain: the first error is the one raised (the working directory goes with the graph)
            try:
                task()
            except BaseException as err:  # noqa: BLE001 - handed to the thread that waits
                self.error = err


_STORE_DIR = "store"  # the on-disk graph's Oxigraph store, in its working directory


def _write_nt(lines: SortedLines, workdir: Path) -> tuple[Path, int]:
    """The sorted N-Triples lines to ``workdir/graph.nt``; (its path, its number of triples)."""
    nt = workdir / "graph.nt"
    return nt, lines.write(nt)


def _on_disk(store, nt: Path, n: int, workdir: Path, loading: _Loader | None = None) -> KnowledgeGraph:
    """A KnowledgeGraph over an Oxigraph store (rdflib's API through oxrdflib) and its canonical N-Triples."""
    from oxrdflib import OxigraphStore
    from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

    rdf = Graph(store=OxigraphStore(store=store), identifier=DATASET_DEFAULT_GRAPH_ID)
    return KnowledgeGraph(rdf, canonical_nt=nt, size=n, workdir=workdir, store=store, loading=loading)


def assemble(results: Callable[..., Iterable[DocResult]], workdir: Path, limit: int | None = None,
             jobs: int = 1) -> KnowledgeGraph:
    """The graph of the analysed documents, ``results()`` giving them afresh for each of two passes:
    in memory up to ``limit`` triples (default: ``KG_MEMORY_TRIPLES`` from the environment, else
    :data:`MEMORY_TRIPLES`), else on disk under ``workdir`` (which the graph's
    :meth:`~KnowledgeGraph.close` deletes). ``jobs`` > 1: a graph on disk is written by two
    processes, ``results(select)`` giving each its share (see :meth:`_Builder.run`); the same graph."""
    if limit is None:
        limit = int(os.environ.get("KG_MEMORY_TRIPLES") or MEMORY_TRIPLES)
    sink = _Sink(limit, Path(workdir))
    try:
        _Builder(sink).run(results, jobs)
    except BaseException:
        sink.abandon()
        raise
    return sink.graph()


_LANG_TAGS = {"zh-hans": "zh-Hans", "zh-hant": "zh-Hant"}  # Oxigraph gives language tags back in lower case


@lru_cache(maxsize=1 << 16)  # entity and class IRIs recur in many triples; URIRef() checks each one
def _uri(value: str) -> URIRef:
    return URIRef(value)


_TERM_RANK = {BNode: 10, URIRef: 30, Literal: 40}  # rdflib's order of term types (Identifier.__lt__)


def _term_order(term) -> tuple[int, str]:
    """A sort key giving rdflib's order of terms (by type, then text) without its slow __lt__."""
    return _TERM_RANK.get(type(term), 50), str(term)


_XSD_DECIMAL, _XSD_STRING = str(XSD.decimal), str(XSD.string)


def _ox_nt(term) -> str:
    """An Oxigraph term in N-Triples, exactly as the builder wrote it (tag case and decimal form
    restored), without making an rdflib term."""
    if isinstance(term, ox.NamedNode):
        return f"<{term.value}>"
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if term.language:
        return _nt_literal(term.value, "@" + _LANG_TAGS.get(term.language, term.language))
    dt = term.datatype.value
    if dt == _XSD_DECIMAL:
        return _nt_literal(_decimal(Decimal(term.value)), _DT_DECIMAL)
    return _nt_literal(term.value, "" if dt == _XSD_STRING else f"^^<{dt}>")


_NT_UNESCAPES = {"\\\\": "\\", "\\n": "\n", '\\"': '"', "\\r": "\r"}  # _NT_ESCAPES undone
_NT_ESCAPED = re.compile(r"\\.")


def _nt_text(term: str) -> str:
    """The text of an IRI or blank node in N-Triples (``<iri>``, ``_:id``), as Oxigraph's ``.value``."""
    return term[1:-1] if term[0] == "<" else term[2:]


def _text_node(text: str):
    """The rdflib term of a node's text from :func:`_nt_text`."""
    return BNode(text[2:]) if text.startswith("_:") else _uri(text)


def _nt_node(term: str):
    """An IRI or blank node in N-Triples as its rdflib term.
    The IRI is made as ``URIRef()`` makes it without its check (the IRIs of canonical N-Triples
    are valid IRIs: the check would only log), which costs more than the rest of a file's read."""
    return str.__new__(URIRef, term[1:-1]) if term[0] == "<" else BNode(term[2:])


def _nt_literal_parts(term: str) -> tuple[str, str]:
    """(lexical form, tag) of a literal in N-Triples as :func:`_nt_literal` wrote it."""
    end = term.rindex('"')
    value = term[1:end]
    if "\\" in value:
        value = _NT_ESCAPED.sub(lambda m: _NT_UNESCAPES.get(m.group(), m.group()), value)
    return value, term[end + 1:]


def _nt_value(term: str) -> str:
    """An N-Triples term's text: a node's IRI (or id), a literal's lexical form as written (as
    ``str()`` of the rdflib term in a graph in memory)."""
    return _nt_text(term) if term[0] != '"' else _nt_literal_parts(term)[0]


def _nt_object(term: str, text: bool):
    """An object of canonical N-Triples as the builder made it for a graph in memory: its rdflib
    term (a literal as ``Literal(lexical, **_tag_terms(tag))``), or with ``text`` its text as
    :func:`_lexical` gives it (every writer of these files puts decimals in our form)."""
    if term[0] != '"':
        return _nt_text(term) if text else _nt_node(term)
    value, tag = _nt_literal_parts(term)
    return value if text else Literal(value, **_tag_terms(tag))


def open_stored(store_dir: Path, workdir: Path) -> KnowledgeGraph:
    """The graph in an on-disk store written by ``kg build``, as an on-disk :class:`KnowledgeGraph`:
    its canonical N-Triples (sorted in bounded memory under ``workdir``, same bytes as the build
    wrote) and an rdflib view of the store opened read-only. ``close()`` it to delete ``workdir``."""
    from kg.store import open_read_only

    store = open_read_only(store_dir)
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        with SortedLines(workdir) as lines:
            for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph()):
                lines.add(f"{_ox_nt(q.subject)} <{q.predicate.value}> {_ox_nt(q.object)} .")
            nt, n = _write_nt(lines, workdir)
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    return _on_disk(store, nt, n, workdir)


def build_graph(results: Iterable[DocResult]) -> KnowledgeGraph:
    """Resolve the mentions of all documents and write facts + provenance as RDF (in memory)."""
    results = list(results)
    sink = _Sink(sys.maxsize, None)
    _Builder(sink).run(lambda: results)
    return sink.graph()

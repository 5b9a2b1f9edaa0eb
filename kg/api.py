"""The library functions behind the public API and the CLI."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from kg.engine import DocResult, analyse_documents
from kg.errors import GraphLoadError, InputError
from kg.graph import KnowledgeGraph, build_graph
from kg.model import Document, QuantityValue
from kg.nlp import DEFAULT_SEGMENTER
from kg.nlp.dates import resolve_date

__all__ = ["Options", "as_documents", "build", "build_documents", "extract", "extract_records", "load", "opened"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Options:
    lexicons: tuple[str, ...] = ()
    use_crf: bool = True
    extractors: tuple[str, ...] | None = None
    jobs: int = 1  # worker processes (kg.engine); the result does not depend on it
    engine: str = "local"  # local | dask
    scheduler: str | None = None  # Dask scheduler address; None starts a LocalCluster
    segmenter: str = DEFAULT_SEGMENTER  # jieba-fast | jieba (kg.nlp.tokenizer.SEGMENTERS)


def as_documents(items: Iterable[str | Document]) -> Iterator[Document]:
    """Strings become documents ``doc1``, ``doc2``, …; Documents pass through."""
    for i, item in enumerate(items, start=1):
        yield item if isinstance(item, Document) else Document(id=f"doc{i}", text=item)


def _analyses(documents: Iterable[Document], options: Options) -> Iterator[DocResult]:
    return analyse_documents(documents, options, jobs=options.jobs, engine=options.engine, scheduler=options.scheduler)


def build_documents(
    documents: Iterable[Document],
    options: Options = Options(),
    progress: Callable[[Document], None] | None = None,
) -> KnowledgeGraph:
    """Build one graph from documents; empty documents are skipped (and reported via ``progress``)."""

    def nonempty() -> Iterator[Document]:
        for doc in documents:
            if progress:
                progress(doc)
            if doc.text.strip():
                yield doc
            else:
                log.warning("skipping empty document %s (%s)", doc.id, doc.source or "input")

    results = list(_analyses(nonempty(), options))
    if not results:
        raise InputError("no text to build from: every input document is empty", fix="give files with text in them")
    return build_graph(results)


def build(texts: Iterable[str | Document], **options) -> KnowledgeGraph:
    """Build a graph from texts (or :class:`kg.model.Document` objects)."""
    return build_documents(as_documents(texts), Options(**options))


def load(path: str | Path) -> KnowledgeGraph:
    """Load a graph written by ``kg build`` (Turtle, N-Triples or JSON-LD, by extension)."""
    from rdflib import Dataset, Graph

    path = Path(path)
    if not path.is_file():
        raise InputError(f"graph file not found: {path}", fix="run `kg build` first or check the path")
    fmt = {".ttl": "turtle", ".nt": "nt", ".jsonld": "json-ld", ".json": "json-ld", ".nq": "nquads", ".trig": "trig"}.get(
        path.suffix.lower(), "turtle"
    )
    rdf = Graph()
    try:
        if fmt in ("nquads", "trig"):  # per-document named graphs: their union is the graph
            ds = Dataset()
            ds.parse(path, format=fmt)
            for s, p, o, _ in ds.quads((None, None, None, None)):
                rdf.add((s, p, o))
        else:
            rdf.parse(path, format=fmt)
    except Exception as err:  # rdflib's parsers raise assorted exception types
        msg = _syntax_error(path, fmt) or (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise GraphLoadError(
            f"cannot parse {path} as {fmt}: {msg}",
            fix="check the file is a graph written by kg (or valid RDF)",
        ) from None
    return KnowledgeGraph(rdf)


@contextmanager
def opened(path: str | Path) -> Iterator[KnowledgeGraph]:
    """The graph at ``path`` for reading: an Oxigraph store (or a build directory that has one) is
    read from disk in bounded memory (:func:`kg.graph.open_stored`); a graph file is loaded into memory."""
    from kg.graph import open_stored
    from kg.store import is_store, query_source

    source = query_source(Path(path))
    if not is_store(source):
        yield load(source)
        return
    graph = open_stored(source, Path(tempfile.mkdtemp(prefix="kg-graph-")))
    try:
        yield graph
    finally:
        graph.close()


def _syntax_error(path: Path, fmt: str) -> str | None:
    """Oxigraph's description of the first syntax error (line and column), when it finds one."""
    import pyoxigraph as ox

    ox_format = {"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "nquads": ox.RdfFormat.N_QUADS,
                 "trig": ox.RdfFormat.TRIG, "json-ld": ox.RdfFormat.JSON_LD}.get(fmt)
    if ox_format is None:
        return None
    try:
        for _ in ox.parse(path=str(path), format=ox_format):
            pass
    except (SyntaxError, ValueError, OSError) as err:
        return str(err).splitlines()[0] if str(err) else None
    return None


def _span(m) -> dict:
    return {"text": m.text, "start": m.start, "end": m.end, "entity": m.canonical or m.norm, "type": m.type}


def extract_records(documents: Iterable[Document], options: Options = Options()) -> Iterator[dict]:
    """Per document: entity mentions and facts, offsets into the original text."""
    for analysis in _analyses(documents, options):
        facts = analysis.facts
        triples = []
        for f in facts:
            if isinstance(f.obj, str) and f.claim is not None:
                continue  # a claim without a topic entity is a statement, not a triple
            if isinstance(f.obj, QuantityValue):
                q = f.obj
                obj = {
                    "value": str(q.value), "unit": q.unit, "text": q.text,
                    "of": _span(q.of) if q.of else None,
                    "approximate": q.approximate, "at_least": q.at_least, "more_than": q.more_than,
                }
            elif isinstance(f.obj, str):
                obj = {"value": f.obj}
            else:
                obj = _span(f.obj)
            triple = {
                "subject": _span(f.subject),
                "predicate": f.predicate,
                "object": obj,
                "confidence": f.confidence,
                "sentence": {"start": f.sentence.start, "end": f.sentence.end},
                "extractor": f.extractor,
            }
            if f.claim is not None:
                triple["claim"] = f.claim
            if f.modality:
                triple["modality"] = f.modality
            triples.append(triple)
        entities = []
        anaphors = []
        for m in analysis.mentions:
            record = _span(m)
            if m.source == "coref":  # 该公司 / 他: a mention of ``entity``, not a name
                anaphors.append(record)
                continue
            if m.type == "DATE" and (span := resolve_date(m.norm, analysis.document.date)):
                record["value"] = span[0] if span[0] == span[1] else f"{span[0]}/{span[1]}"
            entities.append(record)
        yield {"id": analysis.document.id, "entities": entities, "anaphors": anaphors, "triples": triples}


def extract(texts: Iterable[str | Document], **options) -> list[dict]:
    """``kg extract`` as a function: one record per text."""
    return list(extract_records(as_documents(texts), Options(**options)))

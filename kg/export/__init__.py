"""Exporters, registered by format name. Every file is written atomically
(temporary file + rename), so an interrupted run never leaves half a file."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import networkx as nx

from kg.errors import ConfigError
from kg.forked import alongside, can_fork
from kg.graph import CLASS_OF_TYPE, FACT_ROWS_READ, NETWORKX_READ, TYPE_OF_CLASS, KnowledgeGraph
from kg.namespaces import KG, RDF, RDFS, SDO, SKOS

__all__ = ["BUILD_OUTPUTS", "EXPORTERS", "export", "write_atomic", "write_build_outputs"]


def write_atomic(path: Path, data: str | bytes | Callable[[BinaryIO], None]) -> None:
    """Write ``data`` (or what the callable writes to the file it is given) to ``path`` atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            if callable(data):
                data(fh)
            else:
                fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _rdf(fmt: str) -> Callable[[KnowledgeGraph], str]:
    return lambda kg: kg.serialize(fmt)


def _graphml(kg: KnowledgeGraph) -> str:
    buf = io.BytesIO()
    nx.write_graphml(kg.to_networkx(copy=False), buf, encoding="utf-8")
    return buf.getvalue().decode("utf-8")


def _gexf(kg: KnowledgeGraph) -> str:
    buf = io.BytesIO()
    nx.write_gexf(kg.to_networkx(copy=False), buf, encoding="utf-8")
    return buf.getvalue().decode("utf-8")


def _jsonld(kg: KnowledgeGraph) -> str:
    """JSON-LD compacted with the published context (ontology/context.jsonld)."""
    import json

    from kg.resources import ontology_dir

    context = json.loads((ontology_dir() / "context.jsonld").read_text(encoding="utf-8"))
    return kg.rdf.serialize(format="json-ld", context=context.get("@context", context), sort_keys=True)


def _homes(kg: KnowledgeGraph) -> dict:
    """node -> the document whose named graph holds it: the document itself, its evidence and statements."""
    from kg.namespaces import KG, RDF

    g = kg.rdf
    home = {doc: doc for doc in g.subjects(RDF.type, KG.Document)}
    for ev, doc in g.subject_objects(KG.document):
        home[ev] = doc
    for st in g.subjects(RDF.type, KG.Statement):
        ev = g.value(st, KG.evidence)
        if ev in home:
            home[st] = home[ev]
    return home


def document_dataset(kg: KnowledgeGraph):
    """The graph as an rdflib Dataset with one named graph per document.

    A document's graph (named by the document's IRI) holds its ``kg:Document``
    node, its evidence and statement nodes, and the ``kg:evidence`` links from
    facts to its evidence; entities, facts (direct triples and ``kg:Assertion``
    nodes) and quantities, which several documents may support, are in the
    default graph. Dropping a document's graph drops exactly its provenance.
    """
    from rdflib import Dataset

    from kg.namespaces import KG, PREFIXES

    g = kg.rdf
    home = _homes(kg)
    ds = Dataset()
    for prefix, iri in PREFIXES.items():
        ds.bind(prefix, iri, override=True)
    graphs = {doc: ds.graph(doc) for doc in sorted(set(home.values()))}
    for s, p, o in sorted(g):
        doc = home.get(s)
        if doc is None and p == KG.evidence:
            doc = home.get(o)
        (graphs[doc] if doc is not None else ds.default_graph).add((s, p, o))
    return ds


def _nquads_to(kg: KnowledgeGraph, out: BinaryIO) -> None:
    """N-Quads with the named graphs of :func:`document_dataset`, written by Oxigraph from the
    canonical N-Triples and sorted in bounded memory (a graph on disk is never loaded)."""
    import pyoxigraph as ox

    from kg.canonical import SortedLines, fix_lang_case
    from kg.namespaces import KG

    home = {str(node): str(doc) for node, doc in _homes(kg).items()}
    evidence = str(KG.evidence)
    graphs = {doc: ox.NamedNode(doc) for doc in set(home.values())}
    default = ox.DefaultGraph()
    if kg.on_disk:
        triples = ox.parse(path=str(kg.canonical_nt), format=ox.RdfFormat.N_TRIPLES)
    else:  # rdflib's N-Triples as they come: the lines are sorted below
        triples = ox.parse(input=kg.rdf.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    with SortedLines(kg.canonical_nt.parent if kg.on_disk else None) as lines:
        for t in triples:
            doc = home.get(t.subject.value)
            if doc is None and t.predicate.value == evidence:
                doc = home.get(t.object.value)
            lines.add(str(ox.Quad(t.subject, t.predicate, t.object, graphs[doc] if doc is not None else default)))
        out.writelines(fix_lang_case((line + " .\n").encode("utf-8")) for line in lines)


def _nquads(kg: KnowledgeGraph) -> str:
    buf = io.BytesIO()
    _nquads_to(kg, buf)
    return buf.getvalue().decode("utf-8")


def _trig(kg: KnowledgeGraph) -> str:
    return document_dataset(kg).serialize(format="trig")


CSV_COLUMNS = ("subject", "predicate", "object", "confidence", "document", "sentence", "extractor", "subject_iri", "object_iri")


def _csv(kg: KnowledgeGraph) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(kg.fact_rows())
    return buf.getvalue()


ENTITY_COLUMNS = ("iri", "label", "type", "labels", "aliases", "stock_codes", "documents", "facts")


#: What :func:`_entities_csv` reads of an on-disk graph (see ``KnowledgeGraph.prefetch``).
_ENTITY_ROWS_READ = [(RDFS.label, True), (RDF.subject, False), (RDF.object, False), (SKOS.prefLabel, True),
                     (SKOS.altLabel, True), (KG.hasStockCode, True)]
_ENTITY_ROWS_COUNT = [SDO.mentions]


def _entities_csv(kg: KnowledgeGraph) -> str:
    """One row per entity: preferred labels (every script), aliases, stock codes, how many
    documents mention it and how many facts it takes part in."""
    kg.prefetch(_ENTITY_ROWS_READ, _ENTITY_ROWS_COUNT)
    label = kg.labeller()
    subject, obj = kg.value_by_subject(RDF.subject), kg.value_by_subject(RDF.object)
    facts: dict = {}
    for a in kg.subjects_of_type(KG.Assertion):
        for node in (subject.get(a), obj.get(a)):
            facts[node] = facts.get(node, 0) + 1
    mentioned = kg.count_objects(SDO.mentions)  # documents per entity
    pref, alt, codes = (kg.objects_by_subject(p, text=True) for p in (SKOS.prefLabel, SKOS.altLabel, KG.hasStockCode))
    rows = []
    for cls in CLASS_OF_TYPE.values():
        for node in kg.subjects_of_type(cls):
            rows.append(
                {
                    "iri": str(node),
                    "label": label(node),
                    "type": TYPE_OF_CLASS[cls],
                    "labels": "|".join(sorted(pref.get(node, ()))),
                    "aliases": "|".join(sorted(alt.get(node, ()))),
                    "stock_codes": "|".join(sorted(codes.get(node, ()))),
                    "documents": mentioned.get(str(node), 0),
                    "facts": facts.get(node, 0),
                }
            )
    rows.sort(key=lambda r: (r["type"], r["iri"]))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=ENTITY_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def _html(kg: KnowledgeGraph) -> str:
    from kg.export.html import render

    return render(kg)


EXPORTERS: dict[str, Callable[[KnowledgeGraph], str]] = {
    "ttl": _rdf("turtle"),
    "nt": _rdf("nt"),
    "nq": _nquads,
    "trig": _trig,
    "jsonld": _jsonld,
    "graphml": _graphml,
    "gexf": _gexf,
    "csv": _csv,
    "entities": _entities_csv,
    "html": _html,
}

#: What ``kg build`` writes: file name -> format.
BUILD_OUTPUTS = {
    "graph.ttl": "ttl",
    "graph.html": "html",
    "graph.graphml": "graphml",
    "triples.csv": "csv",
    "entities.csv": "entities",
}


def export(kg: KnowledgeGraph, fmt: str, path: Path) -> None:
    if fmt not in EXPORTERS:
        raise ConfigError(f"unknown export format {fmt!r}", fix="choose from " + ", ".join(EXPORTERS))
    if kg.on_disk and fmt in ("ttl", "nt"):  # streamed: the text of a large graph is never in memory
        write_atomic(path, lambda out: kg.write(fmt, out))
    elif fmt == "nq":
        write_atomic(path, lambda out: _nquads_to(kg, out))
    else:
        write_atomic(path, EXPORTERS[fmt](kg))


#: The build outputs made from the networkx view of the graph, the longest to write: with
#: ``write_build_outputs(parallel=True)`` a forked process writes them.
FORKED_FORMATS = ("html", "graphml")
#: What each build output reads of an on-disk graph: (predicate, as text) and counted predicates.
_READS = {"csv": (FACT_ROWS_READ, []), "entities": (_ENTITY_ROWS_READ, _ENTITY_ROWS_COUNT),
          "html": (NETWORKX_READ, []), "graphml": (NETWORKX_READ, [])}


def _prefetch_for(kg: KnowledgeGraph, formats) -> None:
    """One read of an on-disk graph's N-Triples for all of these outputs (each reader would read
    the file again for what it lacks)."""
    reads = [_READS[f] for f in formats if f in _READS]
    kg.prefetch([o for objects, _ in reads for o in objects], [c for _, counts in reads for c in counts])


def write_build_outputs(kg: KnowledgeGraph, output: Path, *, parallel: bool = False,
                        then: Callable[[], None] | None = None) -> None:
    """Write :data:`BUILD_OUTPUTS` into ``output``, then call ``then`` (the caller's last step).

    ``parallel`` (an on-disk graph, where processes can fork): a forked process writes the
    outputs of :data:`FORKED_FORMATS` from the graph's canonical N-Triples (see
    :meth:`~kg.graph.KnowledgeGraph.nt_view`: it never touches the store, which may still be
    loading) while this one writes the rest and calls ``then``. The files are the same either
    way; an error in either process is raised here, after the other has stopped."""
    names = list(BUILD_OUTPUTS)
    if not (parallel and kg.on_disk and can_fork()):
        _write_outputs(kg, output, names, then)
        return
    forked = [name for name in names if BUILD_OUTPUTS[name] in FORKED_FORMATS]
    view = kg.nt_view()  # what the child reads: the canonical N-Triples, never the store (maybe still loading)
    alongside(lambda: _write_outputs(view, output, forked),
              lambda: _write_outputs(kg, output, [name for name in names if name not in forked], then),
              name="kg-export", what=", ".join(forked))


def _write_outputs(kg: KnowledgeGraph, output: Path, names: list[str], then: Callable[[], None] | None = None) -> None:
    """These build outputs, after one read of what they need (see :func:`_prefetch_for`), then ``then``."""
    _prefetch_for(kg, [BUILD_OUTPUTS[name] for name in names])
    for name in names:
        export(kg, BUILD_OUTPUTS[name], output / name)
    if then is not None:
        then()

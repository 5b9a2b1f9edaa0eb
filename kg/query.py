"""SPARQL over a KnowledgeGraph, and result formatting for the CLI."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.query import Result

from kg.errors import QueryError
from kg.graph import KnowledgeGraph
from kg.namespaces import PREFIXES

__all__ = ["FORMATS", "format_result", "open_store", "query_store", "read_query", "run_query"]

FORMATS = ("table", "csv", "tsv", "json")


def read_query(text_or_path: str) -> str:
    """A query given inline, or the contents of a ``.rq``/``.sparql`` file."""
    path = Path(text_or_path)
    if text_or_path.endswith((".rq", ".sparql")):
        if not path.is_file():
            raise QueryError(f"query file not found: {path}", fix="check the path of the .rq file")
        return path.read_text(encoding="utf-8")
    return text_or_path


def run_query(kg: KnowledgeGraph, sparql: str) -> Result:
    if not sparql.strip():
        raise QueryError("empty SPARQL query", fix="give a query such as 'SELECT * WHERE { ?s ?p ?o } LIMIT 10'")
    return kg.query(sparql)


def _short(term) -> str:
    if term is None:
        return ""
    if isinstance(term, URIRef):
        iri = str(term)
        for prefix, ns in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
            if iri.startswith(ns):
                return f"{prefix}:{iri[len(ns):]}"
        return iri
    if isinstance(term, Literal):
        return str(term)
    return str(term)


def format_result(result: Result, fmt: str = "table") -> str:
    if fmt not in FORMATS:
        raise QueryError(f"unknown result format {fmt!r}", fix="choose from " + ", ".join(FORMATS))
    if result.type == "ASK":
        return json.dumps({"boolean": bool(result.askAnswer)}) if fmt == "json" else str(bool(result.askAnswer)).lower()
    if result.type in ("CONSTRUCT", "DESCRIBE"):
        return result.graph.serialize(format="json-ld" if fmt == "json" else "turtle")
    if fmt == "json":
        return result.serialize(format="json").decode("utf-8")
    names = [str(v) for v in result.vars]
    rows = [[_short(row[i]) for i in range(len(names))] for row in result]
    return _rows(names, rows, fmt)


def _rows(names: list[str], rows: list[list[str]], fmt: str) -> str:
    if fmt in ("csv", "tsv"):
        buf = io.StringIO()
        writer = csv.writer(buf, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
        writer.writerow(names)
        writer.writerows(rows)
        return buf.getvalue().rstrip("\n")
    from rich.console import Console
    from rich.table import Table

    table = Table(*names, show_lines=False)
    for row in rows:
        table.add_row(*row)
    console = Console(file=io.StringIO(), width=200, force_terminal=False)
    console.print(table)
    console.print(f"{len(rows)} row(s)")
    return console.file.getvalue().rstrip("\n")


# ----------------------------------------------------------------- Oxigraph (kg query)
# rdflib's SPARQL engine picks poor join orders: on a 300-document graph two canned
# queries take 55 s and 92 s in rdflib against 5 ms and 1 ms in Oxigraph
# (docs/performance.md). `kg query` therefore loads the file into an in-memory
# Oxigraph store; KnowledgeGraph.query (the Python API) stays on rdflib.

def open_store(path: Path):
    """An Oxigraph store for ``path`` (:func:`kg.store.open_graph`: a store directory read-only,
    or a graph file loaded into memory)."""
    from kg.store import open_graph

    return open_graph(path)


def _ox_short(term) -> str:
    import pyoxigraph as ox

    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return _short(URIRef(term.value))
    return term.value if hasattr(term, "value") else str(term)


def query_store(store, sparql: str, fmt: str = "table") -> str:
    """Run SPARQL (kg prefixes predeclared) on an Oxigraph store and format the result."""
    import pyoxigraph as ox

    if fmt not in FORMATS:
        raise QueryError(f"unknown result format {fmt!r}", fix="choose from " + ", ".join(FORMATS))
    if not sparql.strip():
        raise QueryError("empty SPARQL query", fix="give a query such as 'SELECT * WHERE { ?s ?p ?o } LIMIT 10'")
    try:  # predeclared prefixes: error positions stay those of the user's query
        result = store.query(sparql, prefixes={p: str(iri) for p, iri in PREFIXES.items()}, use_default_graph_as_union=True)
    except SyntaxError as err:
        raise QueryError(f"invalid SPARQL query: {err} (line:column)", fix="check the query syntax") from None
    except (OSError, ValueError, RuntimeError) as err:
        raise QueryError(f"query failed: {err}") from None
    if isinstance(result, ox.QueryBoolean):
        return json.dumps({"boolean": bool(result)}) if fmt == "json" else str(bool(result)).lower()
    if isinstance(result, ox.QueryTriples):
        triples = list(result)
        rdf_fmt = ox.RdfFormat.JSON_LD if fmt == "json" else ox.RdfFormat.TURTLE
        prefixes = None if fmt == "json" else {p: str(iri) for p, iri in PREFIXES.items() if p != "kgr"}
        return ox.serialize(triples, format=rdf_fmt, prefixes=prefixes).decode("utf-8")
    if fmt == "json":
        return result.serialize(format=ox.QueryResultsFormat.JSON).decode("utf-8")
    names = [v.value for v in result.variables]
    rows = [[_ox_short(row[i]) for i in range(len(names))] for row in result]
    return _rows(names, rows, fmt)

"""The command line: thin commands over the library.

Errors print one line (what, where, how to fix) and exit 2; ``--debug`` shows tracebacks.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from kg.errors import KGError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=False,
    pretty_exceptions_enable=False,
    help="Build knowledge graphs from Chinese news (Traditional or Simplified).",
)
log = logging.getLogger("kg")
_state = {"debug": False}

Lexicons = Annotated[
    Optional[list[Path]],
    typer.Option("--lexicon", "-l", help="Extra lexicon TSV (surface<TAB>TYPE[<TAB>canonical]); repeatable."),
]
NoModel = Annotated[bool, typer.Option("--no-model", help="Skip the statistical NER layer (lexicon + patterns only).")]
Strict = Annotated[bool, typer.Option("--strict", help="Stop at the first bad input (malformed JSONL line, undecodable file) instead of skipping it.")]


@app.callback()
def main_options(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")] = False,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    _state["debug"] = debug
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.INFO,
        format="%(message)s" if not debug else "%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if version:
        from kg import __version__

        typer.echo(__version__)
        raise typer.Exit()


def _options(lexicon, no_model):
    from kg.api import Options

    return Options(lexicons=tuple(str(p) for p in lexicon or ()), use_crf=not no_model)


@app.command()
def build(
    inputs: Annotated[Optional[list[str]], typer.Argument(help="Files or directories (.txt .md .jsonl); none = the embedded sample.")] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="Output directory.")] = Path("output"),
    lexicon: Lexicons = None,
    no_model: NoModel = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only print errors.")] = False,
    strict: Strict = False,
) -> None:
    """Build the graph and write graph.ttl, graph.html, graph.graphml and triples.csv."""
    from kg.api import build_documents
    from kg.export import BUILD_OUTPUTS, export
    from kg.sources import read_documents, sample_documents

    if quiet:
        logging.getLogger().setLevel(logging.WARNING)
    if inputs:
        log.info("reading and analysing %s", ", ".join(inputs))
        documents = read_documents(inputs, strict=strict)
    else:
        log.info("no input given: building the embedded sample article")
        documents = sample_documents()
    started = time.perf_counter()
    seen = {"n": 0}

    def progress(doc) -> None:
        seen["n"] += 1
        if seen["n"] % 100 == 0:
            log.info("analysed %d documents (%.0f s)", seen["n"], time.perf_counter() - started)

    graph = build_documents(documents, _options(lexicon, no_model), progress)
    log.info("writing %s", output)
    for name, fmt in BUILD_OUTPUTS.items():
        export(graph, fmt, output / name)
    stats = graph.stats()
    if not quiet:
        typer.echo(
            f"{stats['documents']} documents, {stats['entities']} entities, {stats['facts']} facts "
            f"({stats['evidence']} evidence sentences, {stats['statements']} statements), "
            f"{stats['triples']} triples in {time.perf_counter() - started:.1f} s -> {output}/"
        )


@app.command()
def extract(
    inputs: Annotated[list[str], typer.Argument(help="Files or directories (.txt .md .jsonl), or - for stdin.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="jsonl (one record per document) or json.")] = "jsonl",
    lexicon: Lexicons = None,
    no_model: NoModel = False,
    strict: Strict = False,
) -> None:
    """Print entity mentions and facts per document, offsets into the original text."""
    from kg.api import extract_records
    from kg.errors import ConfigError
    from kg.sources import read_documents

    if fmt not in ("jsonl", "json"):
        raise ConfigError(f"unknown format {fmt!r}", fix="use --format jsonl or --format json")
    records = extract_records(read_documents(inputs, strict=strict), _options(lexicon, no_model))
    if fmt == "json":
        typer.echo(json.dumps(list(records), ensure_ascii=False, indent=2))
        return
    for record in records:
        typer.echo(json.dumps(record, ensure_ascii=False))


@app.command()
def query(
    graph: Annotated[Path, typer.Argument(help="A graph file (graph.ttl) or a build output directory.")],
    sparql: Annotated[str, typer.Argument(help="A SPARQL query, or a .rq file.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, csv, tsv or json.")] = "table",
) -> None:
    """Run a SPARQL query (kg:, kgr:, rdfs:, skos:, schema:, prov:, dcterms: are predeclared)."""
    from kg.api import load
    from kg.query import format_result, read_query, run_query

    sparql_text = read_query(sparql)
    kg = load(_graph_file(graph))
    typer.echo(format_result(run_query(kg, sparql_text), fmt))


@app.command()
def validate(graph: Annotated[Path, typer.Argument(help="A graph file or build output directory.")]) -> None:
    """Check a graph against the SHACL shapes in ontology/shapes.ttl."""
    from pyshacl import validate as shacl
    from rdflib import Graph

    from kg.api import load
    from kg.resources import ontology_dir

    kg = load(_graph_file(graph))
    shapes = Graph().parse(ontology_dir() / "shapes.ttl")
    conforms, _, text = shacl(kg.rdf, shacl_graph=shapes, inference="none")
    if conforms:
        typer.echo(f"{graph}: conforms to the kg shapes ({len(kg)} triples)")
        return
    typer.echo(text, err=True)
    raise KGError(f"{graph} does not conform to the kg shapes", fix="see the report above")


@app.command("export")
def export_cmd(
    graph: Annotated[Path, typer.Argument(help="A graph file or build output directory.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="ttl, nt, jsonld, graphml, gexf, csv or html.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The file to write.")],
) -> None:
    """Convert a graph to another format."""
    from kg.api import load
    from kg.export import export

    export(load(_graph_file(graph)), fmt, output)
    typer.echo(f"wrote {output}")


@app.command()
def viz(
    graph: Annotated[Path, typer.Argument(help="A graph file or build output directory.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The HTML file to write.")] = Path("graph.html"),
    focus: Annotated[Optional[str], typer.Option("--focus", help="An entity label, alias, stock code or IRI.")] = None,
    hops: Annotated[int, typer.Option("--hops", min=0, help="Neighbourhood radius around --focus.")] = 1,
    max_nodes: Annotated[int, typer.Option("--max-nodes", min=1, help="Keep at most this many best-connected nodes.")] = 400,
) -> None:
    """Write an interactive, offline HTML view of the graph or of one entity's neighbourhood."""
    from kg.api import load
    from kg.export import write_atomic
    from kg.export.html import render_networkx, subgraph

    g, note = subgraph(load(_graph_file(graph)).to_networkx(), focus=focus, hops=hops, max_nodes=max_nodes)
    write_atomic(output, render_networkx(g, note=note))
    typer.echo(f"wrote {output} ({g.number_of_nodes()} nodes, {g.number_of_edges()} edges)")


from kg.server.command import serve as _serve  # noqa: E402  (typer options live with the server)

app.command("serve")(_serve)


def _graph_file(path: Path) -> Path:
    return path / "graph.ttl" if path.is_dir() else path


def main() -> None:
    try:
        app()
    except KGError as err:
        if _state["debug"]:
            raise
        typer.echo(f"kg: error: {err.line()}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("kg: interrupted; outputs already written are intact", err=True)
        sys.exit(130)
    except Exception as err:  # a bug: still one line unless --debug
        if _state["debug"]:
            raise
        typer.echo(f"kg: internal error: {type(err).__name__}: {err} (run with --debug for the traceback)", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()

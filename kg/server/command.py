"""The `kg serve` command (registered in kg.cli); heavy imports happen inside the function."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def serve(
    graph: Annotated[Path, typer.Argument(help="A graph file (graph.ttl) or a build output directory.")],
    host: Annotated[str, typer.Option("--host", help="Interface to bind (loopback unless told otherwise).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8000,
) -> None:
    """Serve a graph: SPARQL 1.1 Protocol at /sparql and a browse UI at /."""
    from kg.errors import ConfigError

    raise ConfigError("kg serve is not implemented yet")

"""An on-disk Oxigraph store of the built graph (``kg build --store oxigraph[:DIR]``).

``kg query`` and ``kg serve`` open such a store directly, read-only, instead of parsing
``graph.ttl`` into memory on every start: on a large graph that is the difference between
seconds of parsing plus the graph's size in RAM per process, and an open that costs
milliseconds with pages read on demand (numbers in ``docs/performance.md``).

The store always holds exactly the triples of the ``graph.ttl`` the same build wrote: it is
bulk-loaded from that file, or, for a graph assembled on disk, checkpointed from the assembly's
store (no second load). It is written next to its destination and swapped in only when
complete: a killed build leaves the previous store untouched.
"""

from __future__ import annotations

import shutil
from itertools import islice
from pathlib import Path

from kg.errors import ConfigError, GraphLoadError

__all__ = ["AUTO_TRIPLES", "DEFAULT_DIR", "LOAD_BATCH", "is_store", "load_file", "open_graph", "open_read_only", "parse_store", "query_source",
           "write_store"]

#: Where ``--store oxigraph`` (no directory) puts the store, inside the build output directory.
DEFAULT_DIR = "store"


#: ``--store auto`` (the default) writes OUTPUT/store from this many triples on: below it, parsing
#: graph.ttl takes under ~0.3 s; at 400 k triples it takes 1.3 s and 170 MB per process, while
#: opening the store takes 0.02 s and 14 MB (benchmarks/bench_store.py, docs/performance.md).
AUTO_TRIPLES = 100_000


def parse_store(value: str | None, output: Path) -> tuple[Path | None, bool]:
    """(store directory or None, only-if-large) for a ``--store`` value: ``auto`` -> (OUTPUT/store, True);
    ``memory`` -> (None, False); ``oxigraph`` -> (OUTPUT/store, False); ``oxigraph:DIR`` -> (DIR, False)."""
    if value is None or value == "auto":
        return Path(output) / DEFAULT_DIR, True
    if value == "memory":
        return None, False
    kind, _, where = value.partition(":")
    if kind != "oxigraph":
        raise ConfigError(f"unknown store {value!r}",
                          fix="use --store auto, --store memory, --store oxigraph or --store oxigraph:DIR")
    return (Path(where) if where else Path(output) / DEFAULT_DIR), False


def is_store(path: Path) -> bool:
    """True for a directory holding an Oxigraph (RocksDB) database."""
    path = Path(path)
    return path.is_dir() and (path / "CURRENT").is_file()


def write_store(source, target: Path, size: int | None = None) -> int:
    """A fresh on-disk store at ``target`` (built beside it and swapped in) holding ``source``: a graph
    file, bulk-loaded, or an open Oxigraph store, copied by a RocksDB checkpoint (hard links on the
    same file system: no second load of the same triples). Returns the number of triples: ``size``
    when the caller knows it (counting scans the whole store: ~1.5 s at 4.4 M triples)."""
    import pyoxigraph as ox

    target = Path(target)
    if target.exists() and not is_store(target):
        raise ConfigError(f"{target} exists and is not an Oxigraph store",
                          fix="choose an empty or new directory for --store oxigraph:DIR")
    staging = target.with_name(target.name + ".staging")
    old = target.with_name(target.name + ".old")
    for leftover in (staging, old):
        if leftover.exists():
            shutil.rmtree(leftover)
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(source, ox.Store):
        source.backup(str(staging))
        store = ox.Store(str(staging))
    else:
        store = ox.Store(str(staging))
        load_file(store, Path(source))
    store.optimize()
    n = len(store) if size is None else size
    del store  # closes the database before it is moved
    if target.exists():
        target.rename(old)
    staging.rename(target)
    if old.exists():
        shutil.rmtree(old)
    return n


#: Triples per bulk load: Oxigraph's loader holds a whole batch in memory (~0.8 kB per triple
#: measured), so an N-Triples file is fed to it in slices of this many lines.
LOAD_BATCH = 250_000


def load_file(store, path: Path, *, lenient: bool = False) -> None:
    """Bulk-load a graph file into ``store``; N-Triples in slices of :data:`LOAD_BATCH` lines, so
    memory stays flat however large the file (a Turtle file is loaded whole). ``lenient``: skip
    Oxigraph's validation of the IRIs (~10 % less CPU), for N-Triples kg wrote itself (a build's
    own lines, which its Turtle output parses, validating them, anyway)."""
    import pyoxigraph as ox

    fmt = _rdf_format(path)
    if fmt != ox.RdfFormat.N_TRIPLES:
        store.bulk_load(path=str(path), format=fmt, lenient=lenient)
        return
    with open(path, "rb") as fh:
        while batch := b"".join(islice(fh, LOAD_BATCH)):
            store.bulk_load(batch, format=fmt, lenient=lenient)


def _rdf_format(path: Path):
    """Oxigraph's format for a graph file, by extension (Turtle when unknown)."""
    import pyoxigraph as ox

    return ox.RdfFormat.from_extension(Path(path).suffix.lstrip(".").lower()) or ox.RdfFormat.TURTLE


def open_graph(path: Path):
    """An Oxigraph store for ``path``: an on-disk store directory opened read-only, or an
    in-memory store holding a graph file (named graphs are queried as one); GraphLoadError
    naming the problem otherwise."""
    import pyoxigraph as ox

    path = Path(path)
    if is_store(path):
        return open_read_only(path)
    if not path.is_file():
        raise GraphLoadError(f"graph file not found: {path}", fix="run `kg build` first or check the path")
    store = ox.Store()
    try:
        store.bulk_load(path=str(path), format=_rdf_format(path))
    except (SyntaxError, ValueError, OSError) as err:
        raise GraphLoadError(
            f"cannot parse {path}: {str(err).splitlines()[0] if str(err) else type(err).__name__}",
            fix="check the file is a graph written by kg (or valid RDF)",
        ) from None
    return store


def open_read_only(path: Path):
    """The store at ``path``, opened read-only; GraphLoadError when it is not one."""
    import pyoxigraph as ox

    try:
        return ox.Store.read_only(str(path))
    except (OSError, RuntimeError) as err:  # RocksDB reports corruption as RuntimeError
        raise GraphLoadError(f"cannot open the Oxigraph store {path}: {str(err).splitlines()[0] if str(err) else err}",
                             fix="rebuild it with `kg build --store oxigraph`") from None


def query_source(path: Path) -> Path:
    """What ``kg query`` / ``kg serve`` should open for ``path``: a store directory, the store of a
    build output directory, else its ``graph.ttl`` (or the file itself)."""
    path = Path(path)
    if is_store(path):
        return path
    if path.is_dir():
        return path / DEFAULT_DIR if is_store(path / DEFAULT_DIR) else path / "graph.ttl"
    return path

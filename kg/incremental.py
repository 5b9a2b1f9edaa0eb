"""Builds that write an output directory: fresh, ``--append`` and ``kg remove``.

The graph in ``DIR`` is always a function of the set of documents recorded in
``DIR/kg-state.sqlite`` (see :mod:`kg.state`), rebuilt from their stored
analyses: so build(A) + append(B) gives the same graph as build(A + B), and
removing B gives build(A) again, byte for byte.

A document is identified by its id (record id, or file name without extension).
Re-adding a document whose record is unchanged changes nothing; re-adding an id
with a changed record replaces it; a document whose text is already in the graph
under another id is skipped as a duplicate.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kg.engine import BATCH_SIZE, DocResult, analyse_documents, cyclic_gc_paused
from kg.errors import InputError
from kg.graph import KnowledgeGraph, assemble
from kg.model import Document
from kg.state import STAGING_FILE, STATE_FILE, State, fingerprint, packed, record_hash

__all__ = ["BuildReport", "stored_results", "update"]

log = logging.getLogger(__name__)

#: Where a graph too large for memory is assembled (sorted N-Triples + an Oxigraph store); deleted
#: by ``KnowledgeGraph.close()`` or at the start of the next build.
ASSEMBLY_DIR = ".kg-assembly"
COMMIT_EVERY_S = 2.0  # an interrupted build loses at most this much work
COMMIT_EVERY_DOCS = BATCH_SIZE  # results arrive a batch at a time; each commit syncs the file


@dataclass
class BuildReport:
    mode: str
    analysed: int = 0  # documents run through the pipeline in this build
    reused: int = 0  # analyses taken from the state or an interrupted build
    unchanged: int = 0  # inputs already in the graph with the same record
    replaced: int = 0  # inputs whose id was in the graph with another record
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (skipped id, same text as id)
    empty: list[str] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)  # (id, new id) for clashing ids
    removed: list[str] = field(default_factory=list)
    documents: int = 0  # in the graph after the build
    seconds: float = 0.0


def _text_hash(doc: Document) -> str:
    return hashlib.sha256(doc.text.encode("utf-8")).hexdigest()


def update(
    out: Path,
    documents: Iterable[Document] = (),
    options=None,
    *,
    mode: str = "fresh",
    remove: Iterable[str] = (),
    write: Callable[[KnowledgeGraph], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[KnowledgeGraph, BuildReport]:
    """Bring ``out`` to the requested set of documents and rebuild its graph.

    ``mode``: ``fresh`` (exactly ``documents``), ``append`` (the state's documents
    plus ``documents``) or ``remove`` (the state's documents minus the ids in
    ``remove``). ``write`` writes the output files; the state is replaced only
    after it returns, so a crash anywhere leaves the previous build intact.
    The caller should ``close()`` the graph returned (it may live on disk: see
    :func:`kg.graph.assemble`).
    """
    from kg.api import Options

    options = options or Options()
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(out / ASSEMBLY_DIR, ignore_errors=True)  # left by a build that was killed
    report = BuildReport(mode)
    fp = fingerprint(options)
    main_path, staging_path = out / STATE_FILE, out / STAGING_FILE

    main = State(main_path) if main_path.exists() else None
    if mode != "fresh" and main is None:
        raise InputError(
            f"no build state in {out} ({STATE_FILE})",
            fix=f"run `kg build FILES -o {out}` first (graphs built before kg kept a state cannot be appended to)",
        )
    staging = State(staging_path)
    if staging.fingerprint != fp:
        if len(staging):
            log.info("discarding an interrupted build made by another pipeline version")
        staging.close()
        staging_path.unlink()
        staging = State(staging_path)
        staging.set_meta("fingerprint", fp)
        staging.commit()
    elif len(staging):
        log.info("resuming an interrupted build: %d documents already analysed", len(staging))
    have = staging.hashes()

    final: dict[str, str] = {}  # id -> record hash, of every document the graph will hold
    by_text: dict[str, str] = {}  # text hash -> id
    todo: list[Document] = []  # stored documents to analyse again (pipeline changed)
    hashes: dict[str, tuple[str, str]] = {}  # id -> (record hash, text hash) of documents sent to analysis

    stored = main.hashes() if main is not None else {}
    reuse = main is not None and main.fingerprint == fp
    if main is not None and mode != "fresh":
        gone = set(remove)
        unknown = sorted(gone - stored.keys())
        if unknown:
            raise InputError(
                f"no document {unknown[0]!r} in the graph in {out}",
                fix="`kg query` the graph for dcterms:identifier to list the document ids",
            )
        if not reuse and stored:
            log.info("the pipeline changed since %s was built: analysing its %d documents again", out, len(stored) - len(gone))
        for doc_id in sorted(stored):
            rec, text = stored[doc_id]
            if doc_id in gone:
                report.removed.append(doc_id)
                continue
            final[doc_id] = rec
            by_text.setdefault(text, doc_id)
            if have.get(doc_id, (None,))[0] == rec:
                continue
            if reuse:
                staging.put_blob(doc_id, rec, text, main.blob(doc_id))
            else:
                todo.append(main.result(doc_id).document)
                hashes[doc_id] = (rec, text)
        staging.commit()

    from_inputs: dict[str, str] = {}

    def pending() -> Iterator[Document]:
        yield from todo
        for doc in documents:
            if not doc.text.strip():
                report.empty.append(doc.id)
                log.warning("skipping empty document %s (%s)", doc.id, doc.source or "input")
                continue
            rec, text = record_hash(doc), _text_hash(doc)
            if doc.id in from_inputs and from_inputs[doc.id] != rec:
                new_id = f"{doc.id}~{rec[:8]}"
                log.warning("two inputs have the id %s: calling the one from %s %s", doc.id, doc.source, new_id)
                report.renamed.append((doc.id, new_id))
                doc = Document(new_id, doc.text, doc.title, doc.date, doc.source, doc.hints)
            if final.get(doc.id) == rec:
                report.unchanged += 1
                from_inputs[doc.id] = rec
                continue
            twin = by_text.get(text)
            if twin is not None and twin != doc.id:
                report.duplicates.append((doc.id, twin))
                log.info("skipping %s: same text as %s", doc.id, twin)
                continue
            if doc.id in final:
                report.replaced += 1
            final[doc.id] = rec
            from_inputs[doc.id] = rec
            by_text[text] = doc.id
            if have.get(doc.id, (None,))[0] == rec:
                report.reused += 1
                continue
            if reuse and stored.get(doc.id, (None,))[0] == rec:  # analysed by an earlier build
                staging.put_blob(doc.id, rec, text, main.blob(doc.id))
                report.reused += 1
                continue
            hashes[doc.id] = (rec, text)
            yield doc

    last = time.monotonic()
    # (the collector runs here: reading inputs makes cycles, HTML pages a few each; the analysis,
    # which makes none, pauses it itself, batch by batch: see analyse_batch)
    for doc_id, record in analyse_documents(pending(), options, jobs=options.jobs, engine=options.engine,
                                            scheduler=options.scheduler, pack=packed):
        staging.put_blob(doc_id, *hashes.pop(doc_id), record)
        report.analysed += 1
        if progress:
            progress(report.analysed)
        if report.analysed % COMMIT_EVERY_DOCS == 0 or time.monotonic() - last > COMMIT_EVERY_S:
            staging.commit()
            last = time.monotonic()
    if main is not None:
        main.close()
    staging.delete_except(set(final))
    staging.commit()
    report.documents = len(final)
    if not final:
        staging.close()
        if mode == "remove":
            raise InputError(f"removing {', '.join(report.removed)} would leave the graph in {out} empty", fix=f"delete {out} instead")
        raise InputError("no text to build from: every input document is empty", fix="give files with text in them")
    log.info("assembling the graph of %s documents", f"{len(final):,}")
    with cyclic_gc_paused():  # the assembly and outputs make no reference cycles
        graph = assemble(staging.results, out / ASSEMBLY_DIR, jobs=options.jobs)
        try:
            if write is not None:
                write(graph)
        except BaseException:
            graph.close()
            raise
    staging.replace(main_path)
    report.seconds = time.perf_counter() - started
    return graph, report


def stored_results(out: Path) -> Iterator[DocResult]:
    """The analyses of the documents in a build directory."""
    path = out / STATE_FILE
    if not path.exists():
        raise InputError(f"no build state in {out} ({STATE_FILE})", fix=f"run `kg build FILES -o {out}` first")
    state = State(path)
    try:
        yield from state.results()
    finally:
        state.close()

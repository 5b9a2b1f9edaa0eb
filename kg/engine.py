"""Where documents get analysed: in this process, in a pool of local worker
processes (``--jobs N``), or on a Dask cluster (``--engine dask``).

Every engine turns a stream of :class:`~kg.model.Document` into a stream of
:class:`DocResult` in **input order**, and a result depends only on its
document and the options, so every engine and every job count gives the same
graph. Workers load the pipeline once each (``make_nlp`` is cached per process).
Documents travel in batches and at most ``2 × workers`` batches are in flight,
so memory stays bounded however long the input is.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from itertools import chain, islice
from typing import Any

from kg.errors import ConfigError
from kg.extract import run_extractors  # before kg/__init__ binds kg.extract (the function)
from kg.model import Document, Fact, Mention
from kg.nlp.pipeline import analyse, make_nlp

__all__ = ["ENGINES", "DocResult", "analyse_batch", "analyse_documents", "cyclic_gc_paused", "default_jobs"]

log = logging.getLogger(__name__)

ENGINES = ("local", "dask")
#: Documents per batch: the CRF tags a batch at once, and its per-batch cost made 16-document
#: batches ~12 % slower than 64 (news corpus, steady state). At most 2 × jobs batches are in flight.
BATCH_SIZE = 64


@dataclass(frozen=True)
class DocResult:
    """What the graph needs of one analysed document (picklable, compact)."""

    document: Document
    script: str
    mentions: tuple[Mention, ...]
    facts: tuple[Fact, ...]


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


#: Strings spaCy keeps for good: the words of the first documents analysed (the common ones).
#: Past them, the words of each batch are forgotten when it is done (a spaCy memory zone);
#: spaCy otherwise keeps every word it has seen, every number and name: 112 k strings after
#: the 10 MB news corpus, growing with the corpus.
PERMANENT_STRINGS = 100_000
#: One batch at a time per process: the pipeline's caches are not thread-safe, and a memory
#: zone is the whole vocabulary's (a Dask worker may call from several threads).
_analysis_lock = threading.Lock()


def analyse_batch(documents: list[Document], options, pack: Callable[[DocResult], Any] | None = None) -> list:
    """Analyse documents with the pipeline for ``options`` (loaded once per process); each result
    goes through ``pack`` when given (in the worker: what it returns travels instead).

    The results hold no spaCy object (mentions and facts are plain strings and offsets), so the
    batch's Docs, and once the vocabulary holds :data:`PERMANENT_STRINGS` its new words, go with it."""
    with _analysis_lock, cyclic_gc_paused():
        nlp = make_nlp(tuple(options.lexicons), options.use_crf, options.segmenter)
        zone = nlp.memory_zone() if len(nlp.vocab.strings) >= PERMANENT_STRINGS else nullcontext()
        with zone:
            results = [
                DocResult(a.document, a.script, a.mentions, tuple(run_extractors(a, options.extractors)))
                for a in analyse(nlp, documents)
            ]
    return results if pack is None else [pack(r) for r in results]


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Python's cycle collector paused (if it runs) for steps that make millions of objects that
    reference counting frees, no cycles among them: the analysis (a test checks) and the assembly
    and outputs of a build. The collector's passes, one every few hundred allocations and now and
    then a full one through everything alive (the pipeline's models, the resolver's counts),
    would find nothing to free: ~4 % of a 10 MB build's analysis, and 2.9 s of 16 s of its
    assembly and outputs (when measured), for the same peak memory."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _batches(documents: Iterable[Document], size: int) -> Iterator[list[Document]]:
    it = iter(documents)
    while batch := list(islice(it, size)):
        yield batch


def analyse_documents(
    documents: Iterable[Document],
    options,
    *,
    jobs: int = 1,
    engine: str = "local",
    scheduler: str | None = None,
    batch_size: int = BATCH_SIZE,
    pack: Callable[[DocResult], Any] | None = None,
) -> Iterator:
    """Analyse documents, yielding results in input order; ``pack`` (a module-level function) turns
    each result into what is yielded, in the worker that made it (the state's compressed record:
    the parent then neither unpickles nor packs it)."""
    if engine not in ENGINES:
        raise ConfigError(f"unknown engine {engine!r}", fix="use --engine local or --engine dask")
    if jobs < 1:
        raise ConfigError(f"--jobs must be at least 1 (got {jobs})")
    batches = _batches(documents, batch_size)
    if engine == "dask":
        yield from _dask(batches, options, jobs, scheduler, pack)
        return
    if scheduler:
        raise ConfigError("--scheduler needs --engine dask")
    first = next(batches, None)
    if first is None:
        return
    second = next(batches, None)
    head = [first] if second is None else [first, second]
    if jobs == 1 or second is None:  # one batch: a worker pool would only add start-up time
        for batch in chain(head, batches):
            yield from analyse_batch(batch, options, pack)
        return
    yield from _pool(chain(head, batches), options, jobs, pack)


def _init_worker() -> None:
    # Workers ignore Ctrl-C; the parent handles it and shuts the pool down.
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


_frozen = False


def _analyse_in_worker(documents: list[Document], options, pack: Callable[[DocResult], Any] | None = None) -> list:
    """:func:`analyse_batch` in a pool worker, which after its first batch moves what it holds
    then (the pipeline and its models, kept for the worker's life) out of the cycle collector's
    sight: they are never garbage, and each full collection walked them again."""
    global _frozen
    results = analyse_batch(documents, options, pack)
    if not _frozen:
        gc.freeze()
        _frozen = True
    return results


def _pool(batches: Iterator[list[Document]], options, jobs: int, pack: Callable[[DocResult], Any] | None = None) -> Iterator:
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_init_worker) as pool:
        pending: deque = deque()

        def fill() -> None:
            for batch in islice(batches, 2 * jobs - len(pending)):
                pending.append(pool.submit(_analyse_in_worker, batch, options, pack))

        try:
            fill()
            while pending:
                results = pending.popleft().result()
                fill()
                yield from results
        except BaseException:
            for future in pending:
                future.cancel()
            raise


def _dask(batches: Iterator[list[Document]], options, jobs: int, scheduler: str | None,
          pack: Callable[[DocResult], Any] | None = None) -> Iterator:
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise ConfigError(
            "--engine dask needs the distributed extra", fix='pip install "kg[distributed]"'
        ) from None
    cluster = None
    try:
        if scheduler:
            client = Client(scheduler, timeout="30s")
        else:
            cluster = LocalCluster(
                n_workers=jobs, threads_per_worker=1, processes=True,
                host="127.0.0.1", dashboard_address=None,
            )
            client = Client(cluster)
    except OSError as err:
        raise ConfigError(
            f"cannot reach the Dask scheduler {scheduler or '(local cluster)'}: {err}",
            fix="check the address (tcp://HOST:PORT) and that the scheduler is running",
        ) from None
    try:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        pending: deque = deque()
        window = 2 * workers
        for batch in batches:
            pending.append(client.submit(analyse_batch, batch, options, pack, pure=False))
            if len(pending) >= window:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()

"""The build state: every document's analysis, kept in SQLite beside the outputs.

``kg build -o DIR`` keeps ``DIR/kg-state.sqlite``: one row per document (its id,
a hash of the record, and the pickled, LZ4-compressed :class:`~kg.engine.DocResult`, which holds
the document text too). The graph files are derived from it, which is what makes
``--append`` and ``kg remove`` exact: the graph is always rebuilt from the
analyses of exactly the documents it should contain.

A build never writes the state in place. It works in ``DIR/kg-state.staging.sqlite``,
committing after every batch, and only replaces the state after every output
file is written; a build that is killed leaves the previous state and outputs
untouched, and the next build resumes from the staging file (documents already
analysed with the same pipeline are not analysed again).

The fingerprint names the pipeline that produced the analyses (kg's code, models,
lexicons and options). Rows from another pipeline are never reused: their
documents are analysed again.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import sqlite3
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import lz4.block

from kg.errors import GraphLoadError
from kg.model import Document

__all__ = ["STAGING_FILE", "STATE_FILE", "State", "fingerprint", "packed", "record_hash"]

STATE_FILE = "kg-state.sqlite"
STAGING_FILE = "kg-state.staging.sqlite"
SCHEMA = "3"  # 2: results zlib-compressed; 3: LZ4-compressed (marked "L")

_PACKAGE = Path(__file__).resolve().parent
# What an analysis depends on: the code that analyses and the files it reads.
_PIPELINE_PARTS = ("model.py", "text.py", "engine.py", "nlp", "extract", "resources/models", "resources/lexicon")


def _files_digest(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(str(path.relative_to(_PACKAGE) if path.is_relative_to(_PACKAGE) else path).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def fingerprint(options) -> str:
    """A hash of everything that decides a document's analysis."""
    files: list[Path] = []
    for part in _PIPELINE_PARTS:
        path = _PACKAGE / part
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix != ".pyc"))
        elif path.is_file():
            files.append(path)
    lexicons = [Path(p).resolve() for p in options.lexicons]
    config = json.dumps(
        {"schema": SCHEMA, "crf": options.use_crf, "extractors": options.extractors, "lexicons": [str(p) for p in lexicons],
         "segmenter": options.segmenter},
        sort_keys=True,
    )
    return hashlib.sha256(f"{config}\n{_files_digest(files)}\n{_files_digest(lexicons)}".encode()).hexdigest()


def record_hash(doc: Document) -> str:
    """Changes when anything the graph shows of the document changes."""
    payload = json.dumps([doc.text, doc.title, doc.date, doc.source, doc.hints], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def packed(result) -> tuple[str, bytes]:
    """(document id, the record the state keeps of its analysis): made by the process that
    analysed it (``analyse_documents(pack=packed)``), so the build's parent only stores it."""
    return result.document.id, _LZ4 + lz4.block.compress(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))


_LZ4 = b"L"  # the first byte of a schema-3 record (a zlib stream starts with 0x78)


def _unpacked(blob: bytes) -> bytes:
    """A record's pickle. Schema-2 records (zlib) still read: ``--append`` onto an older build
    re-analyses its documents from the texts in their records (measurements of both codecs:
    docs/performance.md, ninth pass)."""
    if blob[:1] == _LZ4:
        return lz4.block.decompress(memoryview(blob)[1:])
    return zlib.decompress(blob)


class State:
    """One state file (the state or its staging copy)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._pid = os.getpid()  # a forked process must not use this process's connection
        try:
            self._db = sqlite3.connect(path, isolation_level="DEFERRED")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS docs (id TEXT PRIMARY KEY, hash TEXT NOT NULL, text_hash TEXT NOT NULL, result BLOB NOT NULL)"
            )
            self._db.commit()
        except sqlite3.DatabaseError as err:
            raise GraphLoadError(
                f"cannot open the build state {path}: {err}",
                fix="delete it and rebuild from the inputs (kg build without --append)",
            ) from None

    # -- metadata
    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    @property
    def fingerprint(self) -> str | None:
        return self.get_meta("fingerprint")

    # -- documents
    def hashes(self) -> dict[str, tuple[str, str]]:
        """id -> (record hash, text hash)."""
        return {i: (h, t) for i, h, t in self._db.execute("SELECT id, hash, text_hash FROM docs")}

    def blob(self, doc_id: str) -> bytes | None:
        row = self._db.execute("SELECT result FROM docs WHERE id = ?", (doc_id,)).fetchone()
        return row[0] if row else None

    def put(self, doc_id: str, rec_hash: str, text_hash: str, result) -> None:
        self.put_blob(doc_id, rec_hash, text_hash, packed(result)[1])

    def put_blob(self, doc_id: str, rec_hash: str, text_hash: str, blob: bytes) -> None:
        self._db.execute("INSERT OR REPLACE INTO docs VALUES (?, ?, ?, ?)", (doc_id, rec_hash, text_hash, blob))

    def delete_except(self, keep: set[str]) -> int:
        gone = [i for (i,) in self._db.execute("SELECT id FROM docs") if i not in keep]
        self._db.executemany("DELETE FROM docs WHERE id = ?", [(i,) for i in gone])
        return len(gone)

    def result(self, doc_id: str):
        blob = self.blob(doc_id)
        return None if blob is None else self._load(blob, doc_id)

    def results(self, select: Callable[[int], bool] | None = None) -> Iterator:
        """Every document's result, by id; with ``select``, only those whose position ``i`` in that
        order has ``select(i)`` (the others are not unpickled). Called in a forked process, it reads
        the committed state through a connection of its own."""
        db = self._db if os.getpid() == self._pid else sqlite3.connect(self.path)
        try:
            for i, (doc_id, blob) in enumerate(db.execute("SELECT id, result FROM docs ORDER BY id")):
                if select is None or select(i):
                    yield self._load(blob, doc_id)
        finally:
            if db is not self._db:
                db.close()

    def _load(self, blob: bytes, doc_id: str):
        try:
            return pickle.loads(_unpacked(blob))
        except Exception as err:  # a state written by an incompatible kg
            raise GraphLoadError(
                f"cannot read document {doc_id!r} from the build state {self.path}: {type(err).__name__}",
                fix="rebuild from the inputs (kg build without --append)",
            ) from None

    def __len__(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM docs").fetchone()[0]

    def commit(self) -> None:
        self._db.commit()

    def close(self) -> None:
        self._db.commit()
        self._db.close()

    def replace(self, target: Path) -> None:
        """Close and atomically move this file to ``target``."""
        self.close()
        os.replace(self.path, target)

"""Reading inputs: text and Markdown files, JSONL records, directories of them."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from kg.errors import InputError
from kg.model import Document

__all__ = ["TEXT_SUFFIXES", "read_documents", "sample_documents", "sample_path"]

log = logging.getLogger(__name__)

TEXT_SUFFIXES = (".txt", ".md", ".jsonl")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def sample_path() -> Path:
    """The embedded sample article that ``kg build`` uses when given no input."""
    return Path(__file__).resolve().parent / "resources" / "sample" / "000_86f5fe8a0223e3b1.txt"


def sample_documents() -> Iterator[Document]:
    """The embedded sample as a document whose source does not depend on where kg is installed."""
    path = sample_path()
    yield Document(id=path.stem, text=_read_text(path), source=f"kg:sample/{path.name}")


def read_documents(inputs: Iterable[str | Path], strict: bool = False) -> Iterator[Document]:
    """Yield the documents of every input path, in a stable order.

    A directory contributes its ``.txt``/``.md``/``.jsonl`` files, recursively,
    sorted by path; ``-`` reads one document from standard input.
    """
    for item in inputs:
        if str(item) == "-":
            yield Document(id="stdin", text=sys.stdin.read(), source="-")
            continue
        path = Path(item)
        if not path.exists():
            raise InputError(f"input not found: {path}", fix="check the path and try again")
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES)
            if not files:
                raise InputError(
                    f"no .txt, .md or .jsonl files in directory {path}",
                    fix="point kg at text files or a directory that contains them",
                )
            for file in files:
                yield from _read_file(file)
        else:
            yield from _read_file(path)


def _read_file(path: Path) -> Iterator[Document]:
    suffix = path.suffix.lower()
    if suffix not in TEXT_SUFFIXES:
        raise InputError(
            f"unsupported file type {suffix or '(none)'}: {path}",
            fix="give .txt, .md or .jsonl files (UTF-8)",
        )
    text = _read_text(path)
    if suffix == ".jsonl":
        yield from _read_jsonl(path, text)
    else:
        title = None
        if suffix == ".md":
            first = text.lstrip().split("\n", 1)[0]
            if first.startswith("#"):
                title = first.lstrip("#").strip() or None
        yield Document(id=path.stem, text=text, title=title, source=str(path))


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(
            f"{path} is not valid UTF-8 (byte 0x{data[err.start]:02x} at offset {err.start})",
            fix=f"convert it first, e.g. iconv -f GB18030 -t UTF-8 {path} > {path.stem}.utf8{path.suffix}",
        ) from None
    return text.replace("\r\n", "\n")


def _read_jsonl(path: Path, text: str) -> Iterator[Document]:
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise InputError(
                f"malformed JSON: {err.msg} at column {err.colno}",
                where=where,
                fix='each line must be one JSON object like {"id": "a1", "text": "..."}',
            ) from None
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            raise InputError(
                'record has no "text" string',
                where=where,
                fix='each line must be one JSON object like {"id": "a1", "text": "..."}',
            )
        doc_id = record.get("id")
        doc_id = str(doc_id) if doc_id not in (None, "") else f"{path.stem}-{number}"
        date = record.get("date")
        date = date[:10] if isinstance(date, str) and _DATE.match(date) else None
        title = record.get("title") if isinstance(record.get("title"), str) else None
        yield Document(
            id=doc_id,
            text=record["text"].replace("\r\n", "\n"),
            title=title,
            date=date,
            source=where,
            hints=_hints(record.get("entities"), where),
        )


def _hints(raw: object, where: str) -> tuple[tuple[str, str | None], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise InputError('"entities" must be a list of {"text": ..., "type": ...}', where=where)
    hints = []
    for item in raw:
        if isinstance(item, str):
            surface, etype = item, None
        elif isinstance(item, dict) and isinstance(item.get("text"), str):
            surface, etype = item["text"], item.get("type")
        else:
            raise InputError('each item of "entities" needs a "text" string', where=where)
        if surface.strip():
            hints.append((surface, str(etype).upper() if etype else None))
    return tuple(hints)

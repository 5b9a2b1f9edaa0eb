"""Reading inputs: text, Markdown and HTML files, JSONL records, directories of them.

Bad input never crashes the reader and never silently disappears:

* every read problem is an :class:`~kg.errors.InputError` (one line: what, where, fix),
  never a raw ``OSError`` or ``UnicodeDecodeError``;
* problems that only concern part of the input -- a binary or undecodable file, an unreadable
  file, an unsupported file inside a directory, a malformed JSONL line -- are skipped with one
  warning line each (logger ``kg.sources``) and counted in :class:`ReadStats`; with
  ``strict=True`` the first such problem raises instead;
* if problems leave nothing at all to read, that is an error too.

Encodings: UTF-8 (with or without BOM) is tried first; anything else goes to charset-normalizer,
restricted to the encodings Chinese news actually comes in (UTF-16/UTF-32 with a BOM, GB18030
which covers GBK and GB2312, Big5). The chosen encoding of every non-UTF-8 file is logged.

HTML (``.html``/``.htm``) is reduced to its article text by trafilatura (no fetching); that
extracted text is the document, so offsets in ``kg extract`` refer to it, not to the markup.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import logging
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kg.errors import InputError
from kg.model import Document

__all__ = [
    "TEXT_SUFFIXES",
    "HTML_SUFFIXES",
    "SUFFIXES",
    "ReadStats",
    "decode_bytes",
    "read_documents",
    "sample_documents",
    "sample_path",
]

log = logging.getLogger(__name__)

TEXT_SUFFIXES = (".txt", ".md", ".jsonl")
HTML_SUFFIXES = (".html", ".htm")
#: Every file suffix kg reads; other files in a directory are skipped with a warning.
SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")

#: The encodings charset-normalizer may choose from when a file is not UTF-8. GB18030 is a
#: superset of GBK and GB2312. Unrestricted detection proposes Shift_JIS, CP949, UTF-16 without
#: BOM or Thai code pages for short Chinese snippets; restricting the candidates avoids that.
CANDIDATE_ENCODINGS = ("utf_16", "utf_32", "gb18030", "big5")
#: charset-normalizer's mess threshold, used only to rank the candidates: mixed Chinese and
#: Latin text (``區塊鏈板塊走弱，Marathon Digital跌7.9%``) scores up to ~0.55 on its
#: "weird word" check when decoded correctly, so the default 0.2 would reject real news.
_MESS_THRESHOLD = 1.0
_WIDE_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_INVALID = re.compile("[\udc80-\udcff]")  # bytes that are not UTF-8, under surrogateescape
_NON_ASCII = re.compile("[^\x00-\x7f]")
_SUPPORTED = "kg reads .txt, .md, .jsonl, .html and .htm files"
_RECORD_FIX = 'each line must be one JSON object like {"id": "a1", "text": "..."}'


@dataclass
class ReadStats:
    """What :func:`read_documents` read and what it skipped; pass one in to have it filled.

    ``skipped`` and ``malformed`` hold ``(where, reason)`` pairs (``where`` is a path, or
    ``path:line`` for a JSONL record); ``encodings`` maps each file that was not UTF-8 to the
    encoding it was read as; ``repaired`` maps each UTF-8 file with invalid bytes (read with
    U+FFFD in their place) to how many there were.
    """

    files: int = 0
    documents: int = 0
    empty: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    malformed: list[tuple[str, str]] = field(default_factory=list)
    encodings: dict[str, str] = field(default_factory=dict)
    repaired: dict[str, int] = field(default_factory=dict)

    @property
    def problems(self) -> int:
        return len(self.skipped) + len(self.malformed)

    def summary(self) -> str:
        """One line, e.g. ``read 3 files (12 documents, 1 empty); skipped 2 files, 3 malformed lines``."""
        files = f"{self.files} file{'' if self.files == 1 else 's'}"
        text = f"read {files} ({self.documents} document{'' if self.documents == 1 else 's'}"
        text += f", {self.empty} empty)" if self.empty else ")"
        if self.encodings:
            counts: dict[str, int] = {}
            for encoding in self.encodings.values():
                counts[encoding] = counts.get(encoding, 0) + 1
            text += ", " + ", ".join(f"{n} as {enc}" for enc, n in sorted(counts.items()))
        if self.repaired:
            text += f", {len(self.repaired)} with invalid bytes replaced"
        issues = []
        if self.skipped:
            issues.append(f"skipped {len(self.skipped)} file{'' if len(self.skipped) == 1 else 's'}")
        if self.malformed:
            issues.append(f"{len(self.malformed)} malformed line{'' if len(self.malformed) == 1 else 's'}")
        return text + ("; " + ", ".join(issues) if issues else "")


class _Skip(Exception):
    """A problem that skips one file or record (or stops the run with ``strict``)."""

    def __init__(self, what: str, fix: str | None = None) -> None:
        super().__init__(what)
        self.what = what
        self.fix = fix


def sample_path() -> Path:
    """The embedded sample article that ``kg build`` uses when given no input."""
    return Path(__file__).resolve().parent / "resources" / "sample" / "000_86f5fe8a0223e3b1.txt"


def sample_documents() -> Iterator[Document]:
    """The embedded sample as a document whose source does not depend on where kg is installed."""
    path = sample_path()
    text, _, _ = decode_bytes(path.read_bytes())
    yield Document(id=path.stem, text=text, source=f"kg:sample/{path.name}")


def read_documents(
    inputs: Iterable[str | Path],
    strict: bool = False,
    stats: ReadStats | None = None,
) -> Iterator[Document]:
    """Yield the documents of every input path, in a stable order.

    A directory contributes its ``.txt``/``.md``/``.jsonl``/``.html``/``.htm`` files,
    recursively, sorted by path (hidden files and directories are ignored, other files are
    skipped with a warning); ``-`` reads one document from standard input. A missing path, a
    directory with nothing to read and a file named explicitly with an unsupported suffix are
    errors. Binary, undecodable and unreadable files and malformed JSONL lines are skipped with
    one warning each -- or raise :class:`~kg.errors.InputError` if ``strict`` -- and recorded in
    ``stats``. Empty documents are yielded (and counted in ``stats.empty``); the builder skips
    them. If every input was skipped, :class:`~kg.errors.InputError` is raised at the end.
    """
    stats = stats if stats is not None else ReadStats()
    reader = _Reader(strict, stats)
    for item in inputs:
        if str(item) == "-":
            yield from reader.stdin()
            continue
        path = Path(item)
        try:
            exists, is_dir = path.exists(), path.is_dir()
        except OSError as err:  # e.g. a path inside a directory we may not list
            raise InputError(f"cannot access {path}: {_os_reason(err)}", fix="check the path and its permissions") from None
        if not exists:
            raise InputError(f"input not found: {path}", fix="check the path and try again")
        if is_dir:
            yield from reader.directory(path)
            continue
        if path.suffix.lower() not in SUFFIXES:
            raise InputError(
                f"unsupported file type {path.suffix or '(none)'}: {path}",
                fix=f"{_SUPPORTED} (or directories of them)",
            )
        yield from reader.file(path)
    if reader.yielded == 0 and reader.first_problem is not None:
        where, what = reader.first_problem
        raise InputError(
            f"nothing to read: every input was skipped (first: {what})",
            where=where,
            fix="see the warnings above; fix or convert those inputs",
        )


def decode_bytes(data: bytes) -> tuple[str, str, int]:
    """Decode file bytes; returns ``(text, encoding, invalid)`` with ``\\r\\n`` folded to ``\\n``.

    Strict UTF-8 (BOM dropped) first. Text that is UTF-8 except for a few invalid bytes (a
    stray byte, a file cut off in the middle of a character) stays UTF-8: the ``invalid`` bytes
    become U+FFFD rather than the whole file being misread as another encoding. Anything else
    goes to charset-normalizer, restricted to :data:`CANDIDATE_ENCODINGS`. Raises
    :class:`~kg.errors.InputError` for binary data (NUL bytes without a UTF-16/32 BOM) and for
    bytes no candidate decodes.
    """
    try:
        text, encoding, invalid = data.decode("utf-8-sig"), "utf_8", 0
    except UnicodeDecodeError:
        text, encoding, invalid = _decode_other(data)
    if "\x00" in text and encoding == "utf_8":
        raise _binary()
    return text.replace("\r\n", "\n"), encoding, invalid


# ------------------------------------------------------------------------------------ internals


class _Reader:
    def __init__(self, strict: bool, stats: ReadStats) -> None:
        self.strict = strict
        self.stats = stats
        self.yielded = 0
        self.first_problem: tuple[str, str] | None = None

    # -- problems

    def problem(self, where: str, what: str, fix: str | None = None, *, line: bool = False) -> None:
        """Skip one file (or one JSONL line) with a warning, or raise if strict."""
        if self.strict:
            raise InputError(what, where=where, fix=fix or "fix the input, or drop --strict to skip it")
        if self.first_problem is None:
            self.first_problem = (where, what)
        if line:
            self.stats.malformed.append((where, what))
            log.warning("skipping malformed line %s: %s", where, what)
        else:
            self.stats.skipped.append((where, what))
            log.warning("skipping %s: %s", where, what)

    def emit(self, doc: Document) -> Document:
        self.yielded += 1
        self.stats.documents += 1
        if not doc.text.strip():
            self.stats.empty += 1
        return doc

    # -- inputs

    def stdin(self) -> Iterator[Document]:
        stream = getattr(sys.stdin, "buffer", None)
        try:
            data = stream.read() if stream is not None else sys.stdin.read().encode("utf-8")
        except OSError as err:
            raise InputError(f"cannot read standard input: {_os_reason(err)}") from None
        except UnicodeDecodeError:  # a text-only stdin replacement that could not decode
            raise InputError("standard input is not valid text", fix="pipe UTF-8 text into kg") from None
        try:
            text = self.decode(data, "-")
        except _Skip as skip:
            self.problem("-", skip.what, skip.fix)
            return
        self.stats.files += 1
        yield self.emit(Document(id="stdin", text=text, source="-"))

    def directory(self, root: Path) -> Iterator[Document]:
        files: list[Path] = []
        unsupported: list[Path] = []
        unlistable: list[tuple[str, str]] = []

        def onerror(err: OSError) -> None:
            unlistable.append((str(err.filename or root), _os_reason(err)))

        for dirpath, dirnames, filenames in os.walk(root, onerror=onerror):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for name in filenames:
                if name.startswith("."):
                    continue
                path = Path(dirpath, name)
                (files if path.suffix.lower() in SUFFIXES else unsupported).append(path)
        if not files and unlistable and unlistable[0][0] == str(root):
            raise InputError(f"cannot list directory {root}: {unlistable[0][1]}", fix="check its permissions")
        if not files:
            found = f" (found only {_names(unsupported)})" if unsupported else ""
            raise InputError(
                f"no .txt, .md or .jsonl (or .html) files in directory {root}{found}",
                fix="point kg at text files or a directory that contains them",
            )
        for where, reason in unlistable:
            self.problem(where, f"cannot list directory: {reason}", "check its permissions")
        if unsupported:
            if self.strict:
                first = sorted(unsupported)[0]
                raise InputError(
                    f"unsupported file type {first.suffix or '(none)'} in directory {root}",
                    where=str(first),
                    fix=f"{_SUPPORTED}; move the file away or drop --strict to skip it",
                )
            unsupported.sort()
            for path in unsupported:
                self.stats.skipped.append((str(path), f"unsupported file type {path.suffix or '(none)'}"))
            if self.first_problem is None:
                self.first_problem = (str(unsupported[0]), "unsupported file type")
            log.warning(
                "skipping %d unsupported file%s in %s: %s (%s)",
                len(unsupported),
                "" if len(unsupported) == 1 else "s",
                root,
                _names(unsupported, root),
                _SUPPORTED,
            )
        for path in sorted(files):
            yield from self.file(path)

    def file(self, path: Path) -> Iterator[Document]:
        where = str(path)
        if path.suffix.lower() == ".jsonl" and _plain_utf8(path):
            yield from self.jsonl_stream(path)
            return
        try:
            data = path.read_bytes()
        except OSError as err:
            self.problem(where, f"cannot read file: {_os_reason(err)}", "check that the file is readable")
            return
        try:
            text = self.decode(data, where)
        except _Skip as skip:
            self.problem(where, skip.what, skip.fix)
            return
        self.stats.files += 1
        suffix = path.suffix.lower()
        if suffix == ".jsonl":
            yield from self.jsonl(path, text)
        elif suffix in HTML_SUFFIXES:
            try:
                doc = _html_document(path, text)
            except _Skip as skip:
                self.problem(where, skip.what, skip.fix)
                return
            yield self.emit(doc)
        else:
            title = None
            if suffix == ".md":
                first = text.lstrip().split("\n", 1)[0]
                if first.startswith("#"):
                    title = first.lstrip("#").strip() or None
            yield self.emit(Document(id=path.stem, text=text, title=title, source=where))

    def decode(self, data: bytes, where: str) -> str:
        try:
            text, encoding, invalid = decode_bytes(data)
        except InputError as err:
            raise _Skip(err.what, err.fix) from None
        if invalid:
            what = f"{invalid} byte{'' if invalid == 1 else 's'} not valid UTF-8"
            if self.strict:
                raise InputError(what, where=where, fix="repair or re-save the file as UTF-8, or drop --strict")
            self.stats.repaired[where] = invalid
            log.warning("%s: %s (damaged or cut-off file?), replaced with U+FFFD", where, what)
        if encoding != "utf_8":
            self.stats.encodings[where] = encoding
            log.info("read %s as %s", where, encoding)
        return text

    def jsonl(self, path: Path, text: str) -> Iterator[Document]:
        lines = text.split("\n")
        truncated_at = len(lines) if lines and lines[-1].strip() else None  # last line has no newline
        yield from self._records(path, enumerate(lines, start=1), lambda: truncated_at)

    def jsonl_stream(self, path: Path) -> Iterator[Document]:
        """A UTF-8 JSONL file read line by line: memory does not grow with the file. Same records,
        problems and repairs as reading it whole (:meth:`jsonl`)."""
        where = str(path)
        invalid = 0
        truncated_at: int | None = None

        def lines() -> Iterator[tuple[int, str]]:
            nonlocal invalid, truncated_at
            with open(path, "rb") as fh:
                for number, raw in enumerate(fh, start=1):
                    if number == 1 and raw.startswith(codecs.BOM_UTF8):
                        raw = raw[len(codecs.BOM_UTF8):]
                    if not raw.endswith(b"\n"):
                        truncated_at = number if raw.strip() else None
                    try:
                        line = raw.decode("utf-8")
                    except UnicodeDecodeError:
                        bad = len(_INVALID.findall(raw.decode("utf-8", errors="surrogateescape")))
                        if self.strict:
                            raise InputError(f"{bad} byte{'' if bad == 1 else 's'} not valid UTF-8", where=f"{where}:{number}",
                                             fix="repair or re-save the file as UTF-8, or drop --strict") from None
                        invalid += bad
                        line = raw.decode("utf-8", errors="replace")
                    yield number, line.removesuffix("\n").removesuffix("\r")

        try:
            self.stats.files += 1
            yield from self._records(path, lines(), lambda: truncated_at)
        except OSError as err:
            self.problem(where, f"cannot read file: {_os_reason(err)}", "check that the file is readable")
        if invalid:
            self.stats.repaired[where] = invalid
            log.warning("%s: %d byte%s not valid UTF-8 (damaged or cut-off file?), replaced with U+FFFD",
                        where, invalid, "" if invalid == 1 else "s")

    def _records(self, path: Path, lines: Iterable[tuple[int, str]], truncated_at: Callable[[], int | None]) -> Iterator[Document]:
        for number, line in lines:
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                doc = _record(line, path, number, where)
            except _Skip as skip:
                what = skip.what
                if number == truncated_at() and what.startswith("malformed JSON"):
                    what += " (the last line looks cut off)"
                self.problem(where, what, _RECORD_FIX, line=True)
                continue
            yield self.emit(doc)


def _plain_utf8(path: Path, sniff: int = 1 << 20) -> bool:
    """True when a file's start reads as UTF-8 (perhaps with a few damaged bytes, as
    :func:`decode_bytes` judges it) without NUL bytes or a UTF-16/32 byte-order mark, so it can
    be decoded line by line; anything else is read whole and its encoding detected."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(sniff)
    except OSError:
        return False
    if head.startswith(_WIDE_BOMS) or b"\x00" in head:
        return False
    if len(head) == sniff:
        head = head[:-3]  # the block may end inside a character
    return _utf8_damage(head) is not None


def _utf8_damage(data: bytes) -> int | None:
    """How many bytes of ``data`` are not valid UTF-8, or None when too many are for it to be
    UTF-8 text: GBK/Big5 text decodes as a few accidental UTF-8 characters among many invalid
    bytes; UTF-8 text with a stray or cut-off byte is the other way round."""
    loose = data.decode("utf-8", errors="surrogateescape")
    invalid = len(_INVALID.findall(loose))
    valid = len(_NON_ASCII.findall(loose)) - invalid
    return invalid if invalid == 0 or (valid and valid >= 4 * invalid) else None


def _record(line: str, path: Path, number: int, where: str) -> Document:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as err:
        raise _Skip(f"malformed JSON: {err.msg} (column {err.colno})") from None
    except RecursionError:
        raise _Skip("malformed JSON: nested too deeply") from None
    if not isinstance(record, dict):
        raise _Skip(f"record is a JSON {type(record).__name__}, not an object")
    if not isinstance(record.get("text"), str):
        raise _Skip('record has no "text" string')
    doc_id = record.get("id")
    doc_id = str(doc_id) if doc_id not in (None, "") else f"{path.stem}-{number}"
    date = record.get("date")
    date = date[:10] if isinstance(date, str) and _DATE.match(date) else None
    title = record.get("title") if isinstance(record.get("title"), str) else None
    return Document(
        id=doc_id,
        text=record["text"].replace("\r\n", "\n"),
        title=title,
        date=date,
        source=where,
        hints=_hints(record.get("entities")),
    )


def _hints(raw: object) -> tuple[tuple[str, str | None], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise _Skip('"entities" must be a list of {"text": ..., "type": ...}')
    hints = []
    for item in raw:
        if isinstance(item, str):
            surface, etype = item, None
        elif isinstance(item, dict) and isinstance(item.get("text"), str):
            surface, etype = item["text"], item.get("type")
        else:
            raise _Skip('each item of "entities" needs a "text" string')
        if surface.strip():
            hints.append((surface, str(etype).upper() if etype else None))
    return tuple(hints)


def _decode_other(data: bytes) -> tuple[str, str, int]:
    """Bytes that are not strict UTF-8: damaged UTF-8, a UTF-16/32 BOM, GB18030 or Big5."""
    from charset_normalizer import from_bytes

    has_bom = data.startswith(_WIDE_BOMS)
    if not has_bom and b"\x00" in data:
        raise _binary()
    if not has_bom and (invalid := _utf8_damage(data)) is not None:
        text = data.decode("utf-8", errors="replace")
        return text[1:] if text.startswith("\ufeff") else text, "utf_8", invalid
    matches = from_bytes(data, cp_isolation=list(CANDIDATE_ENCODINGS), threshold=_MESS_THRESHOLD)
    best = next((m for m in matches if m.bom), None)  # a UTF-16/32 byte-order mark settles it
    if best is None:
        best = next((m for m in matches if not m.encoding.startswith("utf")), None)
    if best is None:
        raise InputError(
            "not UTF-8, and no Chinese encoding (GB18030/GBK, Big5, UTF-16 with BOM) decodes it",
            fix="convert it to UTF-8 first, e.g. iconv -f ENCODING -t UTF-8 FILE > FILE.utf8.txt",
        )
    return str(best), best.encoding, 0


def _binary() -> InputError:
    return InputError("binary file (NUL bytes)", fix="give text files; this looks like an image, archive or program")


@contextlib.contextmanager
def _quiet(*loggers: str) -> Iterator[None]:
    """Silence a library's own error logs for a call (its failures are reported by kg instead)."""
    saved = [(logging.getLogger(name), logging.getLogger(name).level) for name in loggers]
    if log.isEnabledFor(logging.DEBUG):
        yield
        return
    for logger, _ in saved:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in saved:
            logger.setLevel(level)


def _html_document(path: Path, html: str) -> Document:
    """The article text of an HTML page (trafilatura, precision mode: no menus, ads or footers)."""
    import trafilatura

    result = None
    if html.strip():
        with _quiet("trafilatura", "htmldate"):
            try:
                result = trafilatura.bare_extraction(
                    html, with_metadata=True, include_comments=False, favor_precision=True
                )
            except Exception as err:  # noqa: BLE001  trafilatura/lxml raise assorted errors on odd markup
                reason = f"{type(err).__name__}: {err}".splitlines()[0]
                raise _Skip(f"cannot extract text from HTML ({reason})", "check the file is an HTML page") from None
    text = (getattr(result, "text", None) or "").replace("\r\n", "\n")
    if not text.strip():
        log.info("no article text found in %s", path)
    title = getattr(result, "title", None) or None
    date = getattr(result, "date", None)
    date = date[:10] if isinstance(date, str) and _DATE.match(date) else None
    return Document(id=path.stem, text=text, title=title, date=date, source=str(path))


def _os_reason(err: OSError) -> str:
    return (err.strerror or type(err).__name__).lower()


def _names(paths: list[Path], root: Path | None = None, limit: int = 5) -> str:
    shown = []
    for p in sorted(paths)[:limit]:
        try:
            shown.append(str(p.relative_to(root)) if root else p.name)
        except ValueError:
            shown.append(str(p))
    more = len(paths) - limit
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")

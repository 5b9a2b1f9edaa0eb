"""Tables derived from installed files (jieba's dictionaries, kg's models), kept on disk between runs.

Every process of a build (each ``--jobs`` worker, each ``kg`` command) needs the same tables read
out of jieba's dictionaries and kg's models (the proper nouns the CRF's clues look up, every word's
POS tag, the compiled CRF whole, the pair classifier with its tables): ~2 s of its start-up to make,
~0.2 s to load. A cached table is
keyed by everything it derives from: the files it reads (path, size, modification time), the
source of the kg modules that make it, kg's and Python's versions. When any of these changes the
table is made again; a cache directory that cannot be read or written is passed by (the table
is made as if there were no cache), so the results never depend on the cache.

The directory: ``$KG_CACHE_DIR``, else ``$XDG_CACHE_HOME/kg``, else ``~/.cache/kg``;
``KG_CACHE_DIR=off`` turns the cache off.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

__all__ = ["cache_dir", "cached"]

log = logging.getLogger(__name__)

T = TypeVar("T")


def cache_dir() -> Path | None:
    """Where cached tables live, or None when the cache is off."""
    configured = os.environ.get("KG_CACHE_DIR")
    if configured:
        return None if configured.lower() == "off" else Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "kg"


def _key(name: str, reads: Iterable[Path], code: Iterable[Path]) -> str:
    from kg import __version__

    h = hashlib.sha256(f"{name}\0{__version__}\0{sys.version_info[:2]}".encode())
    for path in reads:
        st = os.stat(path)
        h.update(f"\0{Path(path).resolve()}\0{st.st_size}\0{st.st_mtime_ns}".encode())
    for path in code:
        h.update(b"\0" + Path(path).read_bytes())
    return h.hexdigest()[:24]


def cached(name: str, make: Callable[[], T], *, reads: Iterable[Path], code: Iterable[Path]) -> T:
    """``make()``, or what it returned in an earlier run with the same files: ``reads`` are the
    files it derives from, ``code`` the source files of the kg modules that make it."""
    where = cache_dir()
    if where is None:
        return make()
    try:
        path = where / f"{name}-{_key(name, reads, code)}.pickle"
    except OSError:
        return make()
    try:
        with open(path, "rb") as fh:
            return pickle.load(fh)
    except FileNotFoundError:
        pass
    except Exception as err:  # noqa: BLE001 - a damaged or foreign file: make the table again
        log.debug("ignoring the cached %s (%s): %s", path, type(err).__name__, err)
    value = make()
    try:
        where.mkdir(parents=True, exist_ok=True)
        for old in where.glob(f"{name}-*.pickle"):  # tables of other versions of the files
            old.unlink(missing_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{name}-", dir=where)
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)  # atomic: a process reading it sees the whole file or none
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError as err:
        log.debug("cannot cache %s in %s: %s", name, where, err)
    return value

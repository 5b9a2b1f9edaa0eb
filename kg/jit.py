"""Compiled loops (numba): one place for how kg compiles them.

``compiled(f, g, ...)`` returns the functions compiled by numba (``nogil``), cached on disk
beside their module (or in ``NUMBA_CACHE_DIR``) so that a process loads them instead of
compiling; a read-only install compiles them per process instead. Without numba (it is a
dependency, so only a broken install) it returns None for each: callers keep a pure-Python
or numpy path for that case.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["compiled"]


def compiled(*functions: Callable[..., Any]) -> tuple[Callable[..., Any] | None, ...]:
    try:
        from numba import njit
    except ImportError:  # pragma: no cover - numba is a dependency
        return (None,) * len(functions)
    try:
        return tuple(njit(cache=True, nogil=True)(f) for f in functions)
    except RuntimeError:  # no writable cache location (a read-only install): compile per process
        return tuple(njit(nogil=True)(f) for f in functions)

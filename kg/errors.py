"""One exception tree. Every message says what went wrong, where, and how to fix it."""

from __future__ import annotations

__all__ = ["KGError", "InputError", "QueryError", "GraphLoadError", "ConfigError"]


class KGError(Exception):
    """Base class of every error kg raises on purpose.

    ``str(err)`` is one line: ``what (where) — fix``.
    """

    def __init__(self, what: str, *, where: str | None = None, fix: str | None = None) -> None:
        self.what = what
        self.where = where
        self.fix = fix
        super().__init__(self.line())

    def line(self) -> str:
        text = self.what
        if self.where:
            text += f" ({self.where})"
        if self.fix:
            text += f"; {self.fix}"
        return text


class InputError(KGError):
    """An input file or record cannot be read."""


class QueryError(KGError):
    """A SPARQL query is malformed or cannot be run."""


class GraphLoadError(KGError):
    """A graph file cannot be parsed."""


class ConfigError(KGError):
    """An option or resource is invalid or missing."""

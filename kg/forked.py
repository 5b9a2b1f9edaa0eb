"""A function run by a forked process, for the steps of a build that two processes share (the
graph's assembly, its outputs): the child sees this process's memory as it was at the fork (copy
on write), so nothing is pickled on the way in; what it returns, or raises, comes back through a
pipe."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from typing import Any, TypeVar

A = TypeVar("A")

__all__ = ["InFork", "alongside", "can_fork"]


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


class InFork:
    """``target(*args)`` run by a forked process (started at once); :meth:`wait` gives what it
    returned or raises what it raised, :meth:`stop` ends it."""

    def __init__(self, target: Callable[..., Any], *args: Any, name: str = "kg-fork", what: str = "a share of the build") -> None:
        context = multiprocessing.get_context("fork")
        self._what = what
        self._conn, child_end = context.Pipe(duplex=False)
        self._process = context.Process(target=_run, args=(target, args, child_end), name=name, daemon=True)
        self._process.start()
        child_end.close()

    def wait(self) -> Any:
        try:
            ok, value = self._conn.recv()
        except EOFError:
            ok, value = False, None
        self._finish()
        if ok:
            return value
        raise value or RuntimeError(f"the process writing {self._what} stopped (exit code {self._process.exitcode})")

    def stop(self) -> None:
        self._process.terminate()
        self._finish()

    def _finish(self) -> None:
        self._process.join()
        self._conn.close()


def alongside(there: Callable[[], Any], here: Callable[[], A], *, name: str = "kg-fork",
              what: str = "a share of the build") -> tuple[A, Any]:
    """(``here()``, ``there()``): ``there`` run by a forked process, started first, while this
    process runs ``here``; an error in this process stops the other, an error there is raised here."""
    child = InFork(there, name=name, what=what)
    try:
        mine = here()
    except BaseException:
        child.stop()
        raise
    return mine, child.wait()


def _run(target: Callable[..., Any], args: tuple, conn) -> None:
    """The forked process. It leaves without the interpreter's teardown, which would close what it
    shares with its parent (the build state's connection, the store)."""
    code = 0
    try:
        conn.send((True, target(*args)))
    except BaseException as err:  # noqa: BLE001 - handed to the parent, which raises it
        code = 1
        try:
            conn.send((False, err))
        except Exception:  # noqa: BLE001 - an error that does not pickle: its text
            conn.send((False, RuntimeError(f"{type(err).__name__}: {err}")))
    finally:
        conn.close()
        os._exit(code)

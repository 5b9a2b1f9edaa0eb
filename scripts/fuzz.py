"""Fuzz the text pipeline (``kg.extract``) and the graph loader (``kg.load``).

    python scripts/fuzz.py extract [--seconds 300] [--examples N] [--engine atheris|hypothesis]
    python scripts/fuzz.py build   [...]      # kg.build -> Turtle -> rdflib (isomorphic) and pyoxigraph
    python scripts/fuzz.py load    [...]      # mutated Turtle written by kg build

Targets and what counts as a failure:

* ``extract``: news fragments (Traditional and Simplified), Latin names, digits, full-width
  forms, emoji, combining marks, zero-width joiners, line separators and long runs of one
  character spliced with arbitrary Unicode, plus watch-list hints; one input in four is
  analysed in pieces of 1-300 characters (the long-document path). Any exception, or an
  entity / triple / sentence offset that does not slice back to its text in the input.
* ``build``: the same texts through ``kg.build``; the Turtle must re-read into an isomorphic
  rdflib graph and load into pyoxigraph.
* ``load``: Turtle files written by ``kg build``, mutated (byte flips, deletions, Turtle
  punctuation, splices, truncation, invalid UTF-8). ``kg.load`` must return a graph or raise
  ``kg.errors.GraphLoadError`` whose message is one line; anything else is a failure.

Engines: ``atheris`` (coverage-guided libFuzzer, the default when it is installed; kg, and
rdflib for ``load``, are instrumented) or ``hypothesis`` (random generation, ``--examples``).
Atheris writes failing inputs to ``--artifacts`` and prints libFuzzer's run count at the end
("Done N runs"); both engines print ``inputs tried: N`` and ``failures: N``.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository: tests.fragments
from tests.fragments import FRAGMENTS, NASTY  # noqa: E402

TYPES = [None, "COMPANY", "PERSON", "PRODUCT", "ORG", "BOGUS"]
_TURTLE_BITS = [b'"', b'"""', b"<", b">", b"@", b"@prefix", b".", b";", b",", b"\\", b"\\u", b"^^", b"_:",
                b"#", b"\n", b"[", b"]", b"(", b")", b"kg:", b"a ", b"'", b"\xff", b"\xc3", b"\x00", b"1e9999"]


# ------------------------------------------------------------------ inputs, for either engine


class Source:
    """What an input generator draws from: atheris' FuzzedDataProvider or hypothesis' data."""

    def __init__(self, fdp=None, data=None) -> None:
        self.fdp, self.data = fdp, data

    def int(self, lo: int, hi: int) -> int:
        if self.fdp is not None:
            return self.fdp.ConsumeIntInRange(lo, hi)
        from hypothesis import strategies as st

        return self.data.draw(st.integers(lo, hi))

    def pick(self, items):
        return items[self.int(0, len(items) - 1)]

    def text(self, size: int) -> str:
        if self.fdp is not None:
            return self.fdp.ConsumeUnicodeNoSurrogates(size)
        from hypothesis import strategies as st

        return self.data.draw(st.text(st.characters(exclude_categories=("Cs",)), max_size=size))

    def bytes(self, size: int) -> bytes:
        if self.fdp is not None:
            return self.fdp.ConsumeBytes(size)
        from hypothesis import strategies as st

        return self.data.draw(st.binary(max_size=size))

    def exhausted(self) -> bool:
        return self.fdp is not None and self.fdp.remaining_bytes() == 0


def news_text(src: Source) -> str:
    from kg.text import to_simplified, to_traditional

    parts: list[str] = []
    for _ in range(src.int(0, 10)):
        if src.exhausted():
            break
        kind = src.int(0, 5)
        if kind == 0:
            parts.append(src.pick(FRAGMENTS))
        elif kind == 1:
            fragment = src.pick(FRAGMENTS)
            parts.append(to_traditional(fragment) if src.int(0, 1) else to_simplified(fragment))
        elif kind == 2:
            parts.append(src.pick(NASTY))
        elif kind == 3:
            parts.append(src.pick(NASTY) * src.int(1, 500))
        elif kind == 4:
            parts.append(src.text(src.int(0, 40)))
        else:
            parts.append("".join(chr(src.int(0x4E00, 0x9FFF)) for _ in range(src.int(1, 12))))
    return "".join(parts)


def document(src: Source):
    from kg.model import Document

    text = news_text(src)
    hints = tuple((src.pick(["", " ", "中国电信", "Sora", "周鸿祎"]) if src.int(0, 1) else src.text(8), src.pick(TYPES))
                  for _ in range(src.int(0, 2)))
    date = src.pick([None, "2024-03-01", "0001-01-01", "9999-12-31"])
    return Document(id="fuzz", text=text, date=date, hints=hints)


def mutated_turtle(src: Source, seeds: list[bytes]) -> bytes:
    data = bytearray(src.pick(seeds))
    for _ in range(src.int(1, 8)):
        if not data:
            break
        at = src.int(0, len(data) - 1)
        op = src.int(0, 6)
        if op == 0:
            data[at] = src.int(0, 255)
        elif op == 1:
            del data[at : at + src.int(1, 64)]
        elif op == 2:
            data[at:at] = src.pick(_TURTLE_BITS)
        elif op == 3:
            data[at:at] = src.bytes(16)
        elif op == 4:
            end = min(len(data), at + src.int(1, 200))
            data[src.int(0, len(data)):src.int(0, len(data))] = data[at:end]  # splice a copy elsewhere
        elif op == 5:
            del data[at:]
        else:
            data[at:at] = src.text(8).encode("utf-8")
    return bytes(data)


# ------------------------------------------------------------------ checks


class Failure(AssertionError):
    pass


def _span(text: str, span: dict, what: str) -> None:
    if not (0 <= span["start"] < span["end"] <= len(text)) or text[span["start"] : span["end"]] != span["text"]:
        raise Failure(f"{what} {span!r} does not slice back to its text")


def check_extract(doc, chunk_chars: int | None = None) -> None:
    """``chunk_chars``: analyse in pieces of that many characters (the long-document path)."""
    import kg
    from kg.nlp import pipeline

    saved = pipeline.CHUNK_CHARS
    pipeline.CHUNK_CHARS = chunk_chars or saved
    try:
        (record,) = kg.api.extract_records([doc])
    finally:
        pipeline.CHUNK_CHARS = saved
    text = doc.text
    for entity in record["entities"]:
        _span(text, entity, "entity")
    for triple in record["triples"]:
        _span(text, triple["subject"], "subject")
        obj = triple["object"]
        if "start" in obj:
            _span(text, obj, "object")
        if obj.get("of"):
            _span(text, obj["of"], "quantity of")
        s = triple["sentence"]
        if not (0 <= s["start"] < s["end"] <= len(text)):
            raise Failure(f"sentence {s!r} outside the text")


def check_build(doc) -> None:
    import pyoxigraph
    from rdflib import Graph
    from rdflib.compare import isomorphic

    import kg

    if not doc.text.strip():
        return
    g = kg.build([doc])
    ttl = g.serialize("turtle")
    if not isomorphic(Graph().parse(data=ttl, format="turtle"), g.rdf):
        raise Failure("Turtle does not re-read to an isomorphic graph")
    store = pyoxigraph.Store()
    store.load(ttl.encode("utf-8"), format=pyoxigraph.RdfFormat.TURTLE)


_LOAD_PATH = Path(tempfile.gettempdir()) / "kg-fuzz" / "current.ttl"  # main() sets it under --artifacts


def check_load(data: bytes) -> None:
    import kg
    from kg.errors import GraphLoadError

    _LOAD_PATH.parent.mkdir(parents=True, exist_ok=True)
    _LOAD_PATH.write_bytes(data)
    try:
        kg.load(_LOAD_PATH)
    except GraphLoadError as err:
        if "\n" in str(err) or "\r" in str(err) or not str(err).strip():
            raise Failure(f"GraphLoadError message is not one line: {str(err)!r}") from None


def turtle_seeds() -> list[bytes]:
    """Turtle written by kg build: small graphs, so each mutated input parses quickly."""
    import kg
    from kg.sources import sample_path

    texts = [
        "OpenAI于2月16日发布了文生视频模型“Sora”。",
        "中國電信(00728)現擁有700多個數據中心,51.3萬個IDC機架。",
        "360集团创始人、董事长周鸿祎表示,这意味着AGI实现将从10年缩短至1年。",
    ]
    seeds = [kg.build([t]).serialize("turtle").encode("utf-8") for t in texts]
    sample = sample_path().read_text(encoding="utf-8").split("\n")
    seeds.append(kg.build(["\n".join(sample[:3])]).serialize("turtle").encode("utf-8"))
    return seeds


# ------------------------------------------------------------------ engines


_last_input: object = None  # what the target ran last: after shrinking, the minimal failing input


def _target(name: str, seeds: list[bytes]):
    def extract(src: Source) -> None:
        global _last_input
        doc = document(src)
        # one input in four goes through the long-document path, in pieces of 1-300 characters
        chunk = src.int(1, 300) if src.int(0, 3) == 0 else None
        _last_input = (doc, chunk)
        check_extract(doc, chunk)

    def build(src: Source) -> None:
        global _last_input
        _last_input = doc = document(src)
        check_build(doc)

    def load(src: Source) -> None:
        global _last_input
        _last_input = data = mutated_turtle(src, seeds)
        check_load(data)

    return {"extract": extract, "build": build, "load": load}[name]


def run_hypothesis(name: str, examples: int, seconds: float, timeout: int, seeds: list[bytes]) -> int:
    """Random inputs in rounds of at most 100 until ``examples`` or ``seconds`` run out;
    a failing input is shrunk by hypothesis and printed, and fuzzing stops."""
    import signal

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    target = _target(name, seeds)
    tried = 0

    def alarm(signum, frame):
        raise TimeoutError(f"one input ran longer than {timeout} s")

    signal.signal(signal.SIGALRM, alarm)

    def one_round(n: int):
        @settings(max_examples=n, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(st.data())
        def fuzz(data) -> None:
            nonlocal tried
            tried += 1
            signal.alarm(timeout)
            try:
                target(Source(data=data))
            finally:
                signal.alarm(0)

        return fuzz

    stop = time.monotonic() + seconds
    failures = 0
    while tried < examples and time.monotonic() < stop:
        try:
            one_round(min(100, examples - tried))()
        except Exception as err:  # noqa: BLE001 -- any exception is a finding; hypothesis has shrunk it
            failures += 1
            notes = "\n".join(getattr(err, "__notes__", []))
            print(f"FAILURE: {type(err).__name__}: {err}\n{notes}\ninput: {_last_input!r}", file=sys.stderr)
            break
    print(f"{name}: inputs tried: {tried}, failures: {failures}, engine hypothesis")
    return failures


def run_atheris(name: str, examples: int | None, seconds: float, timeout: int, seeds: list[bytes], artifacts: Path) -> None:
    """libFuzzer's loop; it prints the runs done at the end and stops at the first failure,
    writing the input to ``artifacts``."""
    import atheris

    target = _target(name, seeds)
    corpus = artifacts / f"corpus-{name}"  # kept: a later run starts from what this one found
    corpus.mkdir(parents=True, exist_ok=True)
    if name == "load":
        # the input IS the Turtle file: libFuzzer mutates the seeds written by kg build
        for i, seed in enumerate(seeds):
            (corpus / f"seed{i}.ttl").write_bytes(seed)

        def one_input(data: bytes) -> None:
            check_load(data)
    else:

        def one_input(data: bytes) -> None:
            target(Source(fdp=atheris.FuzzedDataProvider(data)))

    argv = [sys.argv[0], str(corpus), f"-max_total_time={int(seconds)}", f"-timeout={timeout}",
            "-rss_limit_mb=4096", f"-artifact_prefix={artifacts}/", "-print_final_stats=1"]
    if name != "load":  # structured input: let every input drive a full document from the start
        argv += ["-max_len=1024", "-len_control=0"]
    else:  # Turtle tokens for libFuzzer to insert
        tokens = artifacts / "turtle.dict"
        tokens.write_text("".join('"' + "".join(f"\\x{b:02x}" for b in bit) + '"\n' for bit in _TURTLE_BITS))
        argv.append(f"-dict={tokens}")
    if examples:
        argv.append(f"-runs={examples}")
    atheris.Setup(argv, one_input)
    atheris.Fuzz()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("target", choices=["extract", "build", "load"])
    parser.add_argument("--engine", choices=["atheris", "hypothesis"])
    parser.add_argument("--examples", type=int, default=20000, help="inputs to try at most")
    parser.add_argument("--seconds", type=float, default=300, help="time budget")
    parser.add_argument("--timeout", type=int, default=60, help="seconds one input may take")
    parser.add_argument("--artifacts", type=Path, default=Path(tempfile.gettempdir()) / "kg-fuzz",
                        help="atheris: corpus and failing inputs; both engines: the scratch graph file")
    args = parser.parse_args()
    global _LOAD_PATH
    _LOAD_PATH = args.artifacts / "current.ttl"

    engine = args.engine or ("atheris" if importlib.util.find_spec("atheris") else "hypothesis")
    if engine == "atheris":
        import atheris

        modules = ["kg.api", "kg.graph", "kg.nlp.pipeline", "kg.extract.base"]
        if args.target == "load":
            modules += ["rdflib.plugins.parsers.notation3", "rdflib.plugins.parsers.ntriples"]
        with atheris.instrument_imports(include=["kg"] + (["rdflib"] if args.target == "load" else [])):
            for module in modules:
                importlib.import_module(module)
            importlib.import_module("kg.extract.base").registry()  # imports every extractor, instrumented
    import logging

    from kg.nlp.pipeline import make_nlp

    logging.getLogger("rdflib").setLevel(logging.ERROR)  # "does not look like a valid URI" on every mutant
    make_nlp()
    seeds = turtle_seeds() if args.target == "load" else []
    if engine == "atheris":
        run_atheris(args.target, args.examples, args.seconds, args.timeout, seeds, args.artifacts)
    else:
        sys.exit(run_hypothesis(args.target, args.examples, args.seconds, args.timeout, seeds))


if __name__ == "__main__":
    main()

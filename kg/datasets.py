"""Loaders for the annotated Chinese NER corpora in the shared data folder.

Every loader returns a list of sentences ``(text, spans)`` where ``spans`` is a
list of ``(start, end, type)`` with **end-exclusive** character offsets into
``text`` and ``type`` one of our entity types:

    PERSON, COMPANY, ORG, GOV, PRODUCT, PLACE, POSITION

Label mapping (dataset label -> our type; anything not listed is dropped):

* CLUENER2020: name->PERSON, company->COMPANY, organization->ORG,
  government->GOV, position->POSITION, address->PLACE, scene->PLACE,
  game->PRODUCT; book and movie are creative works, not products, and are
  dropped (left as O).
* MSRA, People's Daily: PER->PERSON, LOC->PLACE, ORG->ORG (coarse).
* Resume: NAME->PERSON, ORG->ORG (coarse), TITLE->POSITION, LOC->PLACE;
  EDU, CONT, PRO, RACE dropped.
* Weibo v2: PER.NAM->PERSON, ORG.NAM->ORG (coarse), GPE.NAM/LOC.NAM->PLACE;
  all .NOM (nominal) mentions dropped.

"Coarse" datasets do not separate companies, government bodies and other
organisations; :func:`coarse` maps predicted and gold types onto the label set
that a dataset can actually score (COMPANY/ORG/GOV -> ORG; types the dataset
does not annotate -> None, i.e. ignored in evaluation).

Splits (deterministic, see :func:`split_every`):

* cluener: only the official train split is available; every 10th sentence
  (index % 10 == 0) is held out as ``dev``, the rest is ``train``.
* msra: only 3,000 sentences of the original train split are available; every
  5th sentence (index % 5 == 0) is ``dev`` (600), the rest ``train`` (2,400).
* peoples_daily: only the published dev split (2,318 sentences) is available;
  every 5th sentence (index % 5 == 0) is ``dev`` (464), the rest ``train``
  (1,854), as for msra.
* resume, weibo: the published train/dev splits.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable, Iterable, Sequence

Span = tuple[int, int, str]
Sentence = tuple[str, list[Span]]

TYPES = ("PERSON", "COMPANY", "ORG", "GOV", "PRODUCT", "PLACE", "POSITION")
DATASETS = ("cluener", "msra", "peoples_daily", "resume", "weibo")

CLUENER_MAP = {
    "name": "PERSON",
    "company": "COMPANY",
    "organization": "ORG",
    "government": "GOV",
    "position": "POSITION",
    "address": "PLACE",
    "scene": "PLACE",
    "game": "PRODUCT",
    # "book", "movie": dropped (creative works)
}
MSRA_MAP = {"PER": "PERSON", "LOC": "PLACE", "ORG": "ORG"}
PEOPLES_DAILY_MAP = MSRA_MAP
RESUME_MAP = {"NAME": "PERSON", "ORG": "ORG", "TITLE": "POSITION", "LOC": "PLACE"}
WEIBO_MAP = {"PER.NAM": "PERSON", "ORG.NAM": "ORG", "GPE.NAM": "PLACE", "LOC.NAM": "PLACE"}

# Types each dataset annotates, after coarse mapping.
_SCORED = {
    "cluener": {"PERSON", "COMPANY", "ORG", "GOV", "PRODUCT", "PLACE", "POSITION"},
    "msra": {"PERSON", "ORG", "PLACE"},
    "peoples_daily": {"PERSON", "ORG", "PLACE"},
    "resume": {"PERSON", "ORG", "POSITION", "PLACE"},
    "weibo": {"PERSON", "ORG", "PLACE"},
}
_FINE_ORG = {"cluener"}


def coarse(type_: str, dataset: str) -> str | None:
    """Map one of our types onto what ``dataset`` can score; None = not scored.

    For the coarse datasets (msra, peoples_daily, resume, weibo) COMPANY, ORG
    and GOV all become ORG. Types the dataset does not annotate give None and
    must be dropped from both gold and predictions before scoring.
    """
    if dataset not in _SCORED:
        raise ValueError(f"unknown dataset {dataset!r}")
    t = type_
    if dataset not in _FINE_ORG and t in ("COMPANY", "GOV"):
        t = "ORG"
    return t if t in _SCORED[dataset] else None


def scored_types(dataset: str) -> list[str]:
    return [t for t in TYPES if t in _SCORED[dataset]]


def default_data_dir() -> Path:
    env = os.environ.get("KG_DATA_DIR")
    if env:
        return Path(env)
    repo_root = Path(__file__).resolve().parents[1]
    return (repo_root / ".." / "shared" / "data").resolve()


def _dir(data_dir: str | os.PathLike | None) -> Path:
    return Path(data_dir) if data_dir is not None else default_data_dir()


def split_every(items: Sequence, every: int, part: str, offset: int = 0) -> list:
    """Deterministic split: items with ``index % every == offset`` are ``dev``."""
    if part == "dev":
        return [x for i, x in enumerate(items) if i % every == offset]
    if part == "train":
        return [x for i, x in enumerate(items) if i % every != offset]
    if part == "all":
        return list(items)
    raise ValueError(f"unknown part {part!r}")


# ---------------------------------------------------------------- parsers

def tags_to_spans(tags: Sequence[str], mapping: dict[str, str]) -> list[Span]:
    """Decode BIO / BMES / BIOES tags (``B-X``, ``I-X``/``M-X``, ``E-X``, ``S-X``).

    Tolerant of ill-formed sequences: an I/M/E whose type differs from the open
    span starts a new span. Labels not in ``mapping`` are dropped.
    """
    spans: list[Span] = []
    start, cur = None, None

    def close(end: int) -> None:
        nonlocal start, cur
        if cur is not None and cur in mapping:
            spans.append((start, end, mapping[cur]))
        start, cur = None, None

    for i, tag in enumerate(tags):
        if tag == "O" or "-" not in tag:
            close(i)
            continue
        prefix, label = tag.split("-", 1)
        if prefix in ("B", "S"):
            close(i)
            start, cur = i, label
        elif prefix in ("I", "M", "E"):
            if cur != label:
                close(i)
                start, cur = i, label
        else:
            close(i)
            continue
        if prefix in ("S", "E"):
            close(i + 1)
    close(len(tags))
    return spans


def parse_cluener_lines(lines: Iterable[str]) -> list[Sentence]:
    out: list[Sentence] = []
    for line in lines:
        line = line.strip()
        if not line:
            continue
        obj = json.loads(line)
        text = obj["text"]
        spans: list[Span] = []
        for label, ents in (obj.get("label") or {}).items():
            t = CLUENER_MAP.get(label)
            if t is None:
                continue
            for surface, positions in ents.items():
                for s, e in positions:  # end-inclusive
                    if text[s:e + 1] != surface:
                        raise ValueError(f"CLUENER span mismatch {surface!r} in {text!r}")
                    spans.append((s, e + 1, t))
        out.append((text, sorted(set(spans))))
    return out


def parse_conll_lines(lines: Iterable[str], mapping: dict[str, str],
                      strip_digit: bool = False, sep: str | None = None) -> list[Sentence]:
    """One ``char tag`` per line, blank line between sentences."""
    out: list[Sentence] = []
    chars: list[str] = []
    tags: list[str] = []

    def flush() -> None:
        if chars:
            out.append(("".join(chars), tags_to_spans(tags, mapping)))
        chars.clear()
        tags.clear()

    for raw in lines:
        line = raw.rstrip("\r\n")
        if not line.strip():
            flush()
            continue
        parts = line.split(sep) if sep else line.split()
        if len(parts) < 2:
            # e.g. a whitespace character as the token: keep a space
            ch, tag = " ", parts[0] if parts else "O"
        else:
            ch, tag = parts[0], parts[-1]
        if strip_digit and len(ch) > 1:
            # Weibo: character followed by its position in the word (0, 1, ..., 12)
            stripped = ch.rstrip("0123456789")
            ch = stripped if stripped else ch[0]
        # normally one character; a few broken tokens (e.g. two U+FFFD for an
        # emoji) are kept as they are, continuing the tag
        for k, c in enumerate(ch):
            chars.append(c)
            tags.append(tag if k == 0 or tag == "O" else "I-" + tag.split("-", 1)[-1])
    flush()
    return out


def parse_msra_lines(sent_lines: Iterable[str], tag_lines: Iterable[str]) -> list[Sentence]:
    out: list[Sentence] = []
    for s, t in zip(sent_lines, tag_lines):
        chars = s.split()
        tags = t.split()
        if len(chars) != len(tags):
            raise ValueError("MSRA sentence/tag length mismatch")
        if not chars:
            continue
        # tokens are single characters; keep multi-char tokens (rare) intact by
        # expanding their tag
        text_chars: list[str] = []
        full_tags: list[str] = []
        for ch, tg in zip(chars, tags):
            for k, c in enumerate(ch):
                text_chars.append(c)
                if k == 0 or tg == "O":
                    full_tags.append(tg)
                else:
                    full_tags.append("I-" + tg.split("-", 1)[1])
        out.append(("".join(text_chars), tags_to_spans(full_tags, MSRA_MAP)))
    return out


def _read(path: Path) -> list[str]:
    with open(path, encoding="utf-8") as f:
        return f.readlines()


# ---------------------------------------------------------------- loaders

def load_cluener(split: str = "train", data_dir=None) -> list[Sentence]:
    sents = parse_cluener_lines(_read(_dir(data_dir) / "cluener2020" / "train.json"))
    return split_every(sents, 10, split)


def load_msra(split: str = "train", data_dir=None) -> list[Sentence]:
    d = _dir(data_dir) / "msra_ner"
    sents = parse_msra_lines(_read(d / "val_sentences.txt"), _read(d / "val_tags.txt"))
    return split_every(sents, 5, split)


def load_peoples_daily(split: str = "dev", data_dir=None) -> list[Sentence]:
    sents = parse_conll_lines(_read(_dir(data_dir) / "peoples_daily_ner" / "example.dev"),
                              PEOPLES_DAILY_MAP)
    return split_every(sents, 5, split)


def load_resume(split: str = "train", data_dir=None) -> list[Sentence]:
    d = _dir(data_dir) / "resume_ner"
    if split == "all":
        return load_resume("train", data_dir) + load_resume("dev", data_dir)
    name = {"train": "train.char.bmes", "dev": "dev.char.bmes"}[split]
    return parse_conll_lines(_read(d / name), RESUME_MAP)


def load_weibo(split: str = "train", data_dir=None) -> list[Sentence]:
    d = _dir(data_dir) / "weibo_ner"
    if split == "all":
        return load_weibo("train", data_dir) + load_weibo("dev", data_dir)
    name = {"train": "weiboNER_2nd_conll.train", "dev": "weiboNER_2nd_conll.dev"}[split]
    return parse_conll_lines(_read(d / name), WEIBO_MAP, strip_digit=True, sep="\t")


LOADERS: dict[str, Callable[..., list[Sentence]]] = {
    "cluener": load_cluener,
    "msra": load_msra,
    "peoples_daily": load_peoples_daily,
    "resume": load_resume,
    "weibo": load_weibo,
}


def load(dataset: str, split: str = "train", data_dir=None) -> list[Sentence]:
    try:
        loader = LOADERS[dataset]
    except KeyError:
        raise ValueError(f"unknown dataset {dataset!r}; known: {', '.join(DATASETS)}") from None
    return loader(split, data_dir)


# ---------------------------------------------------------------- scoring

def score(golds: Sequence[Sequence[Span]], preds: Sequence[Sequence[Span]],
          dataset: str) -> dict[str, dict[str, float]]:
    """Exact span+type P/R/F1 per type and ``micro`` after :func:`coarse` mapping."""
    from collections import Counter

    tp: Counter = Counter()
    ng: Counter = Counter()
    np_: Counter = Counter()
    for g, p in zip(golds, preds, strict=True):
        gs = {(s, e, c) for s, e, t in g if (c := coarse(t, dataset)) is not None}
        ps = {(s, e, c) for s, e, t in p if (c := coarse(t, dataset)) is not None}
        for _, _, t in gs:
            ng[t] += 1
        for _, _, t in ps:
            np_[t] += 1
        for _, _, t in gs & ps:
            tp[t] += 1

    def prf(a: int, b: int, c: int) -> dict[str, float]:
        p = a / b if b else 0.0
        r = a / c if c else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return {"p": p, "r": r, "f": f, "n_gold": c, "n_pred": b}

    out = {t: prf(tp[t], np_[t], ng[t]) for t in scored_types(dataset)}
    out["micro"] = prf(sum(tp.values()), sum(np_.values()), sum(ng.values()))
    return out

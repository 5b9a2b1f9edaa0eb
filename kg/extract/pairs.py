"""A trained classifier for the relation between two mentions of one sentence (``pairs.v1``).

The trigger rules (``finance.v1``, ``ownership.v1``, ``profile.v1`` …) only see the shapes they
were written for. This extractor scores every nearby pair of mentions with a multinomial
logistic regression over sparse context features (the words and characters between the two
names, the words around them, their types and name endings) and emits the most probable
relation when its probability clears the threshold measured for it. The model is trained by
``scripts/train_re.py`` on FinRE (train split) and the first 4,000 lines of the DuIE 2.0 sample,
and ships as ``kg/resources/models/re-pairs-v1.npz`` (see the model card).

Classes are ``NONE``, ``SAME`` (two names of one entity, FinRE's 自己: never a fact) and
``predicate>`` / ``predicate<`` / ``predicate=``: the first mention in text order is the subject,
the second is, or the predicate is symmetric.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left, bisect_right
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import chain, repeat
from pathlib import Path

import numpy as np

from kg.cache import cached
from kg.extract.base import MODALITY_FACTOR, SentenceView, register, sentences
from kg.extract.relations import modality_of
from kg.jit import compiled
from kg.model import AGENT_TYPES, ORG_TYPES, Fact, Mention
from kg.nlp import crfvec
from kg.nlp.crfvec import StringTable, find_string
from kg.nlp.pipeline import Analysis
from kg.resources import resource_path

__all__ = [
    "FEATURE_VERSION",
    "MODEL_NAME",
    "PairModel",
    "SentenceGrams",
    "SentenceRows",
    "SentenceWords",
    "candidate_pairs",
    "classify",
    "load_model",
    "pair_features",
    "sentence_tokens",
]

MODEL_NAME = "re-pairs-v1"
FEATURE_VERSION = 1
#: Farthest apart two mentions may be (characters between them) to be a candidate pair.
MAX_GAP = 60
#: Object types a pair may end in besides agents: the profile predicates of DuIE.
VALUE_TYPES = ("DATE", "PLACE", "MONEY")
#: Which type pairs a class may join: (subject types, object types).
SIGNATURES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "chairmanOf": (("PERSON",), ORG_TYPES),
    "founderOf": (AGENT_TYPES, ORG_TYPES),
    "foundedOn": (ORG_TYPES, ("DATE",)),
    "headquarteredIn": (ORG_TYPES, ("PLACE",)),
    "registeredCapital": (ORG_TYPES, ("MONEY",)),
}
#: FinRE's relations join two agents. Restricting the symmetric ones to two organisations cost
#: 2.3 F1 on FinRE valid (short company names the recogniser types PERSON), so they are not.
_DEFAULT_SIGNATURE = (AGENT_TYPES, AGENT_TYPES)
_PUNCT = set("，,。；;：:、（）()《》“”\"'‘’—-！？!?")
_PUNCT_RE = re.compile("[" + "".join(map(re.escape, sorted(_PUNCT))) + "]")


def _coarse(t: str) -> str:
    return "ORG" if t in ORG_TYPES else t


def _bucket(n: int) -> str:
    return "0" if n == 0 else "1" if n <= 2 else "2" if n <= 5 else "3" if n <= 10 else "4" if n <= 20 else "5"


class SentenceWords:
    """The words of a sentence (sorted, non-overlapping spans) with their strings, built once
    for all the pairs of the sentence: :func:`pair_features` finds the words left of, between
    and right of two names by bisection."""

    __slots__ = ("ends", "starts", "words")

    def __init__(self, view: str, tokens: Sequence[tuple[int, int]]) -> None:
        self.words = [view[s:e] for s, e in tokens]
        self.starts = [s for s, _ in tokens]
        self.ends = [e for _, e in tokens]

    def within(self, start: int, end: int) -> list[str]:
        """The words inside ``[start, end)``."""
        return self.words[bisect_left(self.starts, start) : bisect_right(self.ends, end)]


#: Words taken by their position next to the names (lw1-lw3 before a, rw1-rw3 after b), and the
#: sizes of the bags of words before a (lw) and after b (rw).
_NEAR, _LEFT_BAG, _RIGHT_BAG = 3, 8, 10


def _context(view: str, a: Mention, b: Mention, between: int) -> tuple[str, str, str, list[str]]:
    """(a's coarse type, b's, the text between them, and the pair's features that are neither
    words nor n-grams: the types, the gap's length, the mentions between, the names' endings, a
    gap of at most one character)."""
    ta, tb = _coarse(a.type), _coarse(b.type)
    mid = view[a.end : b.start]
    f = [f"T:{ta}|{tb}", f"L:{_bucket(len(mid))}", f"N:{min(between, 3)}"]
    for key, m in (("a", a), ("b", b)):
        if m.end - m.start > 1:
            f.append(f"{key}s:{view[m.end - 1]}")
        if m.end - m.start > 2:
            f.append(f"{key}s2:{view[m.end - 2:m.end]}")
    if len(mid) <= 1:
        f.append(f"mid:{mid}")
    return ta, tb, mid, f


def _punctuation(mid: str) -> str | None:
    """The feature of the punctuation between the names (each mark once, sorted), if there is any."""
    marks = _PUNCT_RE.findall(mid)
    return "mp:" + "".join(sorted(set(marks))) if marks else None


def _typed_words(ta: str, tb: str, last_between: str, first_after: str) -> tuple[str, str]:
    """The type pair with the last word between the names, and with the first word after b."""
    return f"T:{ta}|{tb}|mwl:{last_between}", f"T:{ta}|{tb}|rw1:{first_after}"


def pair_features(view: str, tokens: Sequence[tuple[int, int]] | SentenceWords, sent_start: int, sent_end: int,
                  a: Mention, b: Mention, between: int, ngrams: bool = True) -> list[str]:
    """Sparse features of the pair (a, b), a before b, in one sentence of the Simplified ``view``.

    ``tokens`` are the word spans of the sentence (or its :class:`SentenceWords`); ``between``
    is how many other mentions lie between the two. Names themselves contribute only their last
    characters (their kind: 集团, 银行, 证券), so the model learns contexts, not companies.
    ``ngrams=False`` leaves out the character n-grams between the two (``m1:`` … ``m3:``), for
    a caller that looks them up per sentence (:class:`SentenceGrams`)."""
    ta, tb, mid, f = _context(view, a, b, between)
    for n in (1, 2, 3) if ngrams else ():
        for i in range(len(mid) - n + 1):
            g = mid[i : i + n]
            f.append(f"m{n}:{g}")
    punctuation = _punctuation(mid)
    if punctuation:
        f.append(punctuation)
    words = tokens if isinstance(tokens, SentenceWords) else SentenceWords(view, tokens)
    left = words.within(sent_start, a.start)
    middle = words.within(a.end, b.start)
    right = words.within(b.end, sent_end)
    for w in middle:
        f.append(f"mw:{w}")
    if middle:
        f.append(f"mwf:{middle[0]}")
        f.append(f"mwl:{middle[-1]}")
    for k, w in enumerate(reversed(left[-_NEAR:]), start=1):
        f.append(f"lw{k}:{w}")
    for w in left[-_LEFT_BAG:]:
        f.append(f"lw:{w}")
    for k, w in enumerate(right[:_NEAR], start=1):
        f.append(f"rw{k}:{w}")
    for w in right[:_RIGHT_BAG]:
        f.append(f"rw:{w}")
    f.extend(_typed_words(ta, tb, middle[-1] if middle else "", right[0] if right else ""))
    return f


_WORD_FAMILIES = ("mw", "mwf", "mwl", "lw", "lw1", "lw2", "lw3", "rw", "rw1", "rw2", "rw3")
_UNKNOWN_WORD = (-1,) * len(_WORD_FAMILIES)  # the rows of a word in no feature of the model
_MW, _MWF, _MWL, _LW, _LW1, _RW, _RW1 = 0, 1, 2, 3, 4, 7, 8


class SentenceRows:
    """The model rows of the features of the pairs of one sentence (:func:`pair_features`
    without the n-grams, which :class:`SentenceGrams` adds), from rows looked up once per word
    (:attr:`PairModel.word_table`) instead of a feature string per word and pair."""

    __slots__ = ("ends", "get", "rows", "sent_end", "sent_start", "starts", "view", "words")

    def __init__(self, model: PairModel, view: str, tokens: Sequence[tuple[int, int]], sent_start: int, sent_end: int) -> None:
        self.view, self.sent_start, self.sent_end, self.get = view, sent_start, sent_end, model.index.get
        self.words = [view[s:e] for s, e in tokens]
        self.starts = [s for s, _ in tokens]
        self.ends = [e for _, e in tokens]
        self.rows = list(map(model.word_table.get, self.words, repeat(_UNKNOWN_WORD)))

    def _within(self, start: int, end: int) -> tuple[int, int]:
        return bisect_left(self.starts, start), bisect_right(self.ends, end)

    def extend(self, out: list[int], a: Mention, b: Mention, between: int) -> None:
        """Append to ``out`` the rows of the features of (a, b): a row may come more than once, and
        -1 for each feature the model does not know (the scorer counts each known row once)."""
        get = self.get
        ta, tb, mid, context = _context(self.view, a, b, between)
        out.extend([get(x, -1) for x in context])
        punctuation = _punctuation(mid)
        if punctuation:
            out.append(get(punctuation, -1))
        rows, words = self.rows, self.words
        left_lo, left_hi = self._within(self.sent_start, a.start)
        mid_lo, mid_hi = self._within(a.end, b.start)
        right_lo, right_hi = self._within(b.end, self.sent_end)
        out.extend([r[_MW] for r in rows[mid_lo:mid_hi]])
        if mid_hi > mid_lo:
            out.append(rows[mid_lo][_MWF])
            out.append(rows[mid_hi - 1][_MWL])
        for k in range(min(_NEAR, left_hi - left_lo)):
            out.append(rows[left_hi - 1 - k][_LW1 + k])
        out.extend([r[_LW] for r in rows[max(left_lo, left_hi - _LEFT_BAG):left_hi]])
        for k in range(min(_NEAR, right_hi - right_lo)):
            out.append(rows[right_lo + k][_RW1 + k])
        out.extend([r[_RW] for r in rows[right_lo:min(right_hi, right_lo + _RIGHT_BAG)]])
        last_between = words[mid_hi - 1] if mid_hi > mid_lo else ""
        first_after = words[right_lo] if right_hi > right_lo else ""
        out.extend([get(x, -1) for x in _typed_words(ta, tb, last_between, first_after)])


class SentenceGrams:
    """The model rows of the character n-gram features (``m1:`` … ``m3:``) at every position of
    ``view[start:end]``, looked up once for all the pairs of a sentence (give it the stretch from
    the first pair's gap to the last's): the n-grams between two names are then a slice. The
    lookups are one compiled pass over the stretch's code points (:attr:`PairModel.gram_table`)."""

    __slots__ = ("rows", "start")

    def __init__(self, model: PairModel, view: str, start: int, end: int) -> None:
        self.start = start
        if _grams is None:  # pragma: no cover - numba is a dependency
            one, two, three = model.gram_index  # keyed by the n-gram itself: no feature name to build
            self.rows = [[one.get(c, -1) for c in view[start:end]],
                         [two.get(view[i:i + 2], -1) for i in range(start, end - 1)],
                         [three.get(view[i:i + 3], -1) for i in range(start, end - 2)]]
            return
        n = max(end - start, 0)
        codes = np.frombuffer(view[start:end].encode("utf-32-le"), dtype="<u4").astype(np.int64)
        out = np.empty(3 * n, dtype=np.int64)
        t = model.gram_table
        _grams(t.k1, t.k2, t.value, t.shift, codes, out)
        rows = out.tolist()
        self.rows = [rows[:n], rows[n : n + max(n - 1, 0)], rows[2 * n : 2 * n + max(n - 2, 0)]]

    def extend_between(self, out: list[int], a: Mention, b: Mention) -> None:
        """Append to ``out`` the rows of the n-grams of the text between a and b, a slice at a
        time (-1 for those the model does not know)."""
        lo = a.end - self.start
        for n, rows in enumerate(self.rows, start=1):
            hi = b.start - self.start - n + 1
            if hi > lo:
                out.extend(rows[lo:hi])


def candidate_pairs(mentions: Sequence[Mention]) -> Iterator[tuple[Mention, Mention, int]]:
    """Pairs (a, b, mentions between) of one sentence that some class's signature allows."""
    ms = [m for m in mentions if m.type in AGENT_TYPES or m.type in VALUE_TYPES]
    for i, a in enumerate(ms):
        for j in range(i + 1, len(ms)):
            b = ms[j]
            if b.start - a.end > MAX_GAP:
                break  # sorted by start: the rest are farther still (a long list stays linear)
            if a.type not in AGENT_TYPES and b.type not in AGENT_TYPES or a.norm == b.norm:
                continue
            yield a, b, j - i - 1


@dataclass(frozen=True)
class PairModel:
    classes: tuple[str, ...]
    index: dict[str, int]
    weights: np.ndarray  # (features, classes)
    bias: np.ndarray  # (classes,)
    thresholds: dict[str, float]
    meta: dict

    @cached_property
    def possible(self) -> frozenset[tuple[str, str]]:
        """The (first, second) mention type pairs for which some relation class could make a
        fact (its signature allows them in its direction): other pairs need no scoring."""
        types = AGENT_TYPES + VALUE_TYPES
        out = set()
        for k in self.relations:
            predicate, direction = self.classes[k][:-1], self.classes[k][-1]
            subj_types, obj_types = SIGNATURES.get(predicate, _DEFAULT_SIGNATURE)
            for ta in types:
                for tb in types:
                    subject, obj = (tb, ta) if direction == "<" else (ta, tb)
                    if subject in subj_types and obj in obj_types:
                        out.add((ta, tb))
        return frozenset(out)

    @cached_property
    def word_table(self) -> dict[str, tuple[int, ...]]:
        """Every word some word feature of the model names -> its rows in each of the word families
        of :func:`pair_features` (``mw:``, ``mwf:``, ``mwl:``, ``lw:``, ``lw1:`` … ``rw3:``), -1 for
        the families that lack it (a word in none: :data:`_UNKNOWN_WORD`). Made once from the model
        (15.5 k words), so a word's rows are one dict lookup, and a word it does not hold costs
        nothing to find out."""
        family_of = {family: k for k, family in enumerate(_WORD_FAMILIES)}
        table: dict[str, list[int]] = {}
        for name, row in self.index.items():
            family, _, word = name.partition(":")
            k = family_of.get(family)
            if k is not None:
                table.setdefault(word, list(_UNKNOWN_WORD))[k] = row
        return {word: tuple(rows) for word, rows in table.items()}

    @cached_property
    def gram_index(self) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
        """The rows of the n-gram features ``m1:`` … ``m3:``, keyed by the n-gram alone."""
        one: dict[str, int] = {}
        two: dict[str, int] = {}
        three: dict[str, int] = {}
        by_family = {"m1:": one, "m2:": two, "m3:": three}
        for name, row in self.index.items():
            table = by_family.get(name[:3])
            if table is not None:
                table[name[3:]] = row
        return one, two, three

    @cached_property
    def gram_table(self) -> StringTable:
        """:attr:`gram_index`'s three tables as one compiled string table (an n-gram's length
        tells the families apart), for :class:`SentenceGrams`. ~0.8 s to make for 64 k n-grams
        (:func:`load_model` keeps the shipped model's in kg's cache, made)."""
        return StringTable({gram: row for table in self.gram_index for gram, row in table.items()})

    @cached_property
    def relations(self) -> np.ndarray:
        """Indices of the classes that are relations (all but NONE and SAME), in class order."""
        return np.array([k for k, c in enumerate(self.classes) if c not in ("NONE", "SAME")])

    def confidence(self, probability: float) -> float:
        """The measured precision of facts with this probability (``meta["calibration"]``: rows of
        (lowest probability, precision), highest first); the probability itself without a table."""
        for low, precision in self.meta.get("calibration", ()):
            if probability >= low:
                return precision
        return probability

    def rows(self, features: Iterable[str]) -> set[int]:
        """The rows in ``weights`` of the features the model knows (each once)."""
        rows = set(map(self.index.get, features))
        rows.discard(None)
        return rows

    def probabilities(self, features: Sequence[str]) -> np.ndarray:
        """The class probabilities of one feature list."""
        return self.probabilities_of_rows([self.rows(features)])[0]

    def probabilities_of_rows(self, batch: Sequence[Collection[int]]) -> np.ndarray:
        """(len(batch), classes): the class probabilities of each collection of rows (:meth:`rows`;
        a row given more than once counts once, and negative rows, unknown features, not at all)."""
        sizes = np.fromiter(map(len, batch), dtype=np.int64, count=len(batch))
        rows = np.fromiter(chain.from_iterable(batch), dtype=np.int64, count=int(sizes.sum()))
        return self.probabilities_of_flat(rows, sizes)

    def probabilities_of_flat(self, rows: np.ndarray, sizes: np.ndarray) -> np.ndarray:
        """:meth:`probabilities_of_rows` of the collections laid end to end in ``rows``, ``sizes[k]``
        rows for the k-th."""
        scores = np.empty((len(sizes), len(self.bias)), dtype=self.weights.dtype)
        (_scores or _scores_py)(self.weights, self.bias, rows, sizes, scores)
        scores -= scores.max(axis=1, keepdims=True)
        e = np.exp(scores)
        return e / e.sum(axis=1, keepdims=True)

    def save(self, path) -> None:
        names = "\n".join(sorted(self.index, key=self.index.__getitem__)).encode("utf-8")
        meta = dict(self.meta, classes=list(self.classes), thresholds=self.thresholds)
        np.savez_compressed(
            path, features=np.frombuffer(names, dtype=np.uint8), weights=self.weights.astype(np.float16),
            bias=self.bias.astype(np.float32), meta=np.frombuffer(json.dumps(meta, ensure_ascii=False,
                                                                           sort_keys=True).encode(), dtype=np.uint8),
        )

    @classmethod
    def read(cls, path) -> PairModel:
        with np.load(path, allow_pickle=False) as z:
            names = z["features"].tobytes().decode("utf-8").split("\n")
            meta = json.loads(z["meta"].tobytes().decode("utf-8"))
            weights = z["weights"].astype(np.float32)
            bias = z["bias"].astype(np.float32)
        classes = tuple(meta.pop("classes"))
        thresholds = meta.pop("thresholds")
        return cls(classes, {n: i for i, n in enumerate(names)}, weights, bias, thresholds, meta)


def _scores_py(weights, bias, rows, sizes, out):  # pragma: no cover - compiled by numba below
    """``out[k]``: the bias plus the weights of the k-th collection of rows (``rows``, ``sizes[k]``
    at a time), each distinct non-negative row once, added in increasing order (so neither the
    order the rows come in nor repeats change the sum)."""
    C = weights.shape[1]
    at = 0
    for k in range(len(sizes)):
        known = np.sort(rows[at : at + sizes[k]])
        at += sizes[k]
        for j in range(C):
            out[k, j] = bias[j]
        last = -1
        for r in known:
            if r <= last:  # unknown (-1), or the row just added
                continue
            last = r
            for j in range(C):
                out[k, j] += weights[r, j]


def _grams_py(K1, K2, V, shift, codes, out):  # pragma: no cover - compiled by numba below
    """The rows of the n-grams of ``codes`` (n code points): ``out[p]`` of the one at p,
    ``out[n + p]`` of the two at p, ``out[2n + p]`` of the three at p (-1 for unknown ones)."""
    n = len(codes)
    for p in range(n):
        out[p] = find_string(K1, K2, V, shift, codes, p, p + 1)
        out[n + p] = find_string(K1, K2, V, shift, codes, p, p + 2) if p + 2 <= n else -1
        out[2 * n + p] = find_string(K1, K2, V, shift, codes, p, p + 3) if p + 3 <= n else -1


_scores, _grams = compiled(_scores_py, _grams_py)


@lru_cache(maxsize=1)
def load_model() -> PairModel:
    """The shipped model with the tables it is scored through already made: ~0.45 s to read and
    make, so it is kept in kg's cache (each process of a build loads it in ~0.1 s)."""
    path = resource_path("models", f"{MODEL_NAME}.npz")

    def make() -> PairModel:
        model = PairModel.read(path)
        model.word_table, model.gram_table, model.possible  # noqa: B018 - made now, so the cache holds them
        return model

    return cached("re-pairs-model", make, reads=[path], code=[Path(__file__), Path(crfvec.__file__)])


def _allowed(predicate: str, subject: Mention, obj: Mention) -> bool:
    subj_types, obj_types = SIGNATURES.get(predicate, _DEFAULT_SIGNATURE)
    return subject.type in subj_types and obj.type in obj_types


def sentence_tokens(analysis: Analysis, start: int, end: int) -> list[tuple[int, int]]:
    """The word spans inside ``[start, end)``, found by bisection (tokens are sorted)."""
    lo = bisect_left(analysis.tokens, (start, start))
    hi = bisect_left(analysis.tokens, (end, end), lo)
    return [t for t in analysis.tokens[lo:hi] if t[1] <= end]


def _pair_rows(model: PairModel, view: SentenceView, rows: list[int],
               sizes: list[int]) -> list[tuple[Mention, Mention, int]]:
    """The candidate pairs of one sentence that some class could relate; the model rows of each
    are appended to ``rows`` (with repeats and -1 for unknown features, see :meth:`PairModel.probabilities_of_flat`)
    and their number to ``sizes``."""
    analysis = view.analysis
    s = view.sentence
    possible = model.possible
    pairs = [p for p in candidate_pairs(view.mentions) if (p[0].type, p[1].type) in possible]
    if not pairs:
        return []
    tokens = sentence_tokens(analysis, s.start, s.end)
    # the words any pair's features read: a bag's worth before the first pair, one after the last
    # (first: the words starting at or before its start, one of them maybe not before it;
    # last: the words starting before the end of the last pair)
    first = bisect_right(tokens, (min(a.start for a, _, _ in pairs), len(analysis.view) + 1))
    last = bisect_left(tokens, (max(b.end for _, b, _ in pairs), -1))
    features = SentenceRows(model, analysis.view, tokens[max(0, first - 1 - _LEFT_BAG) : last + _RIGHT_BAG], s.start, s.end)
    grams = SentenceGrams(model, analysis.view, min(a.end for a, _, _ in pairs), max(b.start for _, b, _ in pairs))
    for a, b, between in pairs:
        before = len(rows)
        features.extend(rows, a, b, between)
        grams.extend_between(rows, a, b)
        sizes.append(len(rows) - before)
    return pairs


def _most_probable(model: PairModel, rows: list[int], sizes: list[int]) -> tuple[list[int], list[float]]:
    """For each pair whose rows :func:`_pair_rows` laid end to end: its most probable relation class
    (even when NONE is more probable still: its probability against the threshold measured for it
    decides) and that probability."""
    probabilities = model.probabilities_of_flat(np.array(rows, dtype=np.int64), np.array(sizes, dtype=np.int64))
    best = model.relations[np.argmax(probabilities[:, model.relations], axis=1)]
    return best.tolist(), probabilities[np.arange(len(best)), best].tolist()


def _related(model: PairModel, pairs: Sequence[tuple[Mention, Mention, int]],
             classes: Sequence[int], chosen: Sequence[float]) -> Iterator[tuple[Mention, str, Mention, float]]:
    """The pairs whose most probable relation (``classes``, ``chosen``: :func:`_most_probable`)
    clears its threshold and fits its signature, as (subject, predicate, object, probability)."""
    for (a, b, _), k, p in zip(pairs, classes, chosen):
        label = model.classes[k]
        predicate, direction = label[:-1], label[-1]
        subject, obj = (b, a) if direction == "<" else (a, b)
        if p >= model.thresholds.get(predicate, model.thresholds["*"]) and _allowed(predicate, subject, obj):
            yield subject, predicate, obj, p


def classify(model: PairModel, view: SentenceView) -> Iterator[tuple[Mention, str, Mention, float]]:
    """(subject, predicate, object, probability) for each pair the model relates above threshold."""
    rows: list[int] = []
    sizes: list[int] = []
    pairs = _pair_rows(model, view, rows, sizes)
    if pairs:
        yield from _related(model, pairs, *_most_probable(model, rows, sizes))


@register("pairs.v1")
def pairs(analysis: Analysis) -> Iterator[Fact]:
    model = load_model()
    rows: list[int] = []  # every pair's rows, end to end: one batch for the document (a row's
    sizes: list[int] = []  # probabilities do not depend on the batch, see the test)
    scored = []
    for view in sentences(analysis):
        if len(view.mentions) >= 2:
            candidates = _pair_rows(model, view, rows, sizes)
            if candidates:
                scored.append((view, candidates))
    if not scored:
        return
    classes, chosen = _most_probable(model, rows, sizes)
    done = 0
    for view, candidates in scored:
        end = done + len(candidates)
        for subject, predicate, obj, p in _related(model, candidates, classes[done:end], chosen[done:end]):
            first, last = (subject, obj) if subject.start < obj.start else (obj, subject)
            modality = modality_of(view.between(first.start, view.clause_bounds(last.end)[1]))
            confidence = round(model.confidence(p) * MODALITY_FACTOR[modality], 3)
            yield Fact(subject, predicate, obj, view.sentence, "pairs.v1", confidence, modality=modality)
            if predicate == "owns":
                yield Fact(obj, "subsidiaryOf", subject, view.sentence, "pairs.v1", confidence, modality=modality)
        done = end

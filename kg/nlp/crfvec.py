"""Vectorised inference for the NER CRF: the same tags as crfsuite, 5-10x faster.

crfsuite scores a character by looking up every feature *string* of it (40-odd per
character) in the model's attribute table, then runs Viterbi. Building those strings in
Python costs most of the CRF's time. Here the model file is read once into arrays
(:class:`CompiledCRF`): for each feature family (the character at offset -2..+2, a
character bigram or trigram around it, the jieba word it is in, the words beside it...)
a hash table of integer keys -> row of a weight matrix. A batch's emission scores are
then a handful of compiled table probes and one compiled row sum over all its characters
at once, and Viterbi runs compiled too (numba).

The model is the shipped crfsuite file, parsed from its binary format (crfsuite's
``crf1d_model.c``: a header, the label and attribute string tables as CQDB chunks, the
feature array with exact double weights), so no second artifact has to be kept in step.
The tags equal crfsuite's (same features, same weights, same Viterbi with crfsuite's
tie-break: the first best label); the sums run in another order, so scores may differ in
the last bits (tested on the news corpus: identical tags). The sparse clues (lexicon,
suffix, prefix, surname) come from :meth:`kg.nlp.crf.Featurizer.sparse` as strings, as in
training: they touch few characters.

Models trained with the optional cluster features are not compiled (``compile_model``
returns None) and keep the crfsuite path.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Sequence
from functools import lru_cache
from itertools import chain
from pathlib import Path

import numpy as np

from kg.cache import cached
from kg.jit import compiled
from kg.nlp import crf as _crf

_PAD_START = 0x110000  # "<s>": past the last code point
_PAD_END = 0x110001  # "</s>"
_BITS = 21  # a code point (or pad) fits in 21 bits; three fit in an int64
_SYMBOL = re.compile(r"</s>|<s>|.", re.DOTALL)
_WP = {"S": 0, "B": 1, "M": 2, "E": 3}
_FIB = 0x9E3779B97F4A7C15  # 2**64 / golden ratio: Fibonacci hashing

# n-gram families: attribute prefix -> offsets (relative to the character) of its symbols
_NGRAMS: dict[str, tuple[int, ...]] = {
    "c": (0,), "c-1": (-1,), "c+1": (1,), "c-2": (-2,), "c+2": (2,),
    "c-1c": (-1, 0), "cc+1": (0, 1), "c-2c-1": (-2, -1), "c+1c+2": (1, 2), "c-1c+1": (-1, 1),
    "c-2c-1c": (-2, -1, 0), "c-1cc+1": (-1, 0, 1), "cc+1c+2": (0, 1, 2),
}
# families the sparse clues produce (looked up by their whole string)
_SPARSE = ("lB", "lM", "lE", "se", "sew", "sn", "ns", "ps", "wsuf")  # (psur and sur2 have no "=")


@lru_cache(maxsize=1)
def _bmp_tables() -> tuple[np.ndarray, np.ndarray]:
    """(normalised code point, class letter) of every code point of the Basic Multilingual Plane,
    as :func:`kg.nlp.crf.normalise` and its class table give them: a batch's characters are
    then two array lookups instead of two ``str.translate`` calls through a dict (~60 ns a
    character each)."""
    norm = np.array([ord(_crf._norm_char(chr(o))) for o in range(0x10000)], dtype=np.int64)
    cls = np.array([ord(_crf._char_class(chr(o))) for o in range(0x10000)], dtype=np.int64)
    return norm, cls


def _normalised(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(normalised code points, their class letters) of the texts joined: the characters of
    ``"".join(map(kg.nlp.crf.normalise, texts))`` and of its ``translate(_CLASS_TABLE)``."""
    norm, cls = _bmp_tables()
    raw = np.frombuffer("".join(texts).encode("utf-32-le"), dtype="<u4").astype(np.int64)
    astral = raw >= 0x10000
    codes = norm[np.where(astral, 0, raw)]
    ccls = cls[codes]
    if astral.any():  # beyond the BMP (rare): character by character
        for i in np.flatnonzero(astral).tolist():
            c = _crf._norm_char(chr(raw[i]))
            codes[i], ccls[i] = ord(c), ord(_crf._char_class(c))
    return codes, ccls


def _symbols(value: str, k: int) -> list[int] | None:
    """The k symbols of an n-gram value as codes ("<s>x" -> [pad, ord("x")])."""
    if len(value) == k:
        return [ord(c) for c in value]
    parts = _SYMBOL.findall(value)
    if len(parts) != k:
        return None
    return [_PAD_START if p == "<s>" else _PAD_END if p == "</s>" else ord(p) for p in parts]


def _key(codes: Sequence[int]) -> int:
    k = 0
    for c in codes:
        k = (k << _BITS) | c
    return k


def read_model(path: str | Path) -> tuple[list[str], list[str], np.ndarray]:
    """(labels, attributes, features) of a crfsuite CRF1d model file; features is a
    structured array of (type, src, dst, weight): type 0 = attribute src -> label dst,
    type 1 = transition label src -> label dst."""
    b = Path(path).read_bytes()
    magic, _size, mtype, _version, _nf, _nl, _na, off_f, off_l, off_a, _olr, _oar = struct.unpack_from("<4sI4sI8I", b, 0)
    if magic != b"lCRF" or mtype != b"FOMC":
        raise ValueError(f"{path}: not a crfsuite CRF1d model")

    def strings(off: int) -> list[str]:
        chunk, _csize, _flag, _order, count, bwd = struct.unpack_from("<4s5I", b, off)
        if chunk != b"CQDB":
            raise ValueError(f"{path}: damaged string table at {off}")
        out = [""] * count
        for o in np.frombuffer(b, dtype="<u4", count=count, offset=off + bwd).tolist():
            rid, size = struct.unpack_from("<II", b, off + o)
            out[rid] = b[off + o + 8 : off + o + 7 + size].decode("utf-8")
        return out

    chunk, _fsize, num = struct.unpack_from("<4sII", b, off_f)
    if chunk != b"FEAT":
        raise ValueError(f"{path}: damaged feature table")
    dt = np.dtype([("type", "<u4"), ("src", "<u4"), ("dst", "<u4"), ("weight", "<f8")])
    feats = np.frombuffer(b, dtype=dt, count=num, offset=off_f + 12).copy()
    return strings(off_l), strings(off_a), feats


class _Table:
    """int64 keys -> weight-matrix rows (the zero row when absent): an open-addressing hash
    table (Fibonacci hashing, linear probing) probed by a compiled loop, ~5x faster than a
    binary search of the sorted keys for the millions of lookups of a batch."""

    def __init__(self, items: dict[int, int], zero: int) -> None:
        size = 1 << max(4, (2 * len(items)).bit_length())  # at most half full
        self.shift = 64 - size.bit_length() + 1
        self.keys = np.full(size, -1, dtype=np.int64)  # keys are non-negative: -1 marks a free slot
        self.rows = np.full(size, zero, dtype=np.int64)
        for k, r in items.items():
            _insert(self.keys, self.rows, self.shift, k, r)
        self.zero = zero

    def __call__(self, q: np.ndarray) -> np.ndarray:
        out = np.empty(q.shape, dtype=np.int64)
        _lookup(self.keys, self.rows, self.shift, q, self.zero, out)
        return out


def _slot(key: int, shift: int) -> int:
    return ((key * _FIB) & 0xFFFFFFFFFFFFFFFF) >> shift  # as the compiled probe's uint64 product


def _insert(keys: np.ndarray, rows: np.ndarray, shift: int, key: int, row: int) -> None:
    mask = len(keys) - 1
    i = _slot(key, shift)
    while keys[i] != -1 and keys[i] != key:
        i = (i + 1) & mask
    keys[i] = key
    rows[i] = row


def _batch_words(texts: Sequence[str], words: Sequence[Sequence[tuple[int, int]] | None],
                 bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The words of every text as :func:`kg.nlp.crf._word_info` gives them (its spans, the
    characters no span covers as one-character words), side by side: (starts, ends) in the
    coordinates of the joined texts (text k starts at ``bounds[k]``), in order. Spans that are
    sorted, non-empty, disjoint and inside their text (a segmenter's) are taken as arrays;
    other texts' go through ``_word_info`` one by one."""
    counts = np.fromiter((len(w) if w else 0 for w in words), dtype=np.int64, count=len(words))
    flat = np.fromiter(chain.from_iterable(chain.from_iterable(w for w in words if w)), dtype=np.int64,
                       count=2 * int(counts.sum())).reshape(-1, 2)
    offset = np.repeat(bounds[:-1], counts)
    ws, we = flat[:, 0] + offset, flat[:, 1] + offset
    if not (np.all(flat[:, 0] >= 0) and np.all(we <= np.repeat(bounds[1:], counts)) and np.all(we > ws)
            and np.all(ws[1:] >= we[:-1])):
        local = [_crf._word_info(len(text), w) if text else [] for text, w in zip(texts, words)]
        counts = np.fromiter(map(len, local), dtype=np.int64, count=len(local))
        flat = np.fromiter(chain.from_iterable(chain.from_iterable(local)), dtype=np.int64,
                           count=2 * int(counts.sum())).reshape(-1, 2)
        offset = np.repeat(bounds[:-1], counts)
        return flat[:, 0] + offset, flat[:, 1] + offset
    N = int(bounds[-1])
    opened = np.zeros(N + 1, dtype=np.int64)
    opened[ws] = 1
    closed = np.zeros(N + 1, dtype=np.int64)
    closed[we] = 1
    gaps = np.flatnonzero(np.cumsum(opened - closed)[:N] == 0)  # characters in no word
    if len(gaps):
        ws, we = np.concatenate((ws, gaps)), np.concatenate((we, gaps + 1))
        order = np.argsort(ws, kind="stable")
        ws, we = ws[order], we[order]
    return ws, we


# ------------------------------------------------------------------ sparse clues, compiled

_LEX_KINDS = ("lB", "lE", "lM")
_DIST = ("0", "1", "2", "3", "m", "f")  # "ns=" distance codes: d < 4, else m(iddle) below 8, else f(ar)
_MAX_CODE = 0x110000


def _pack(s: str) -> tuple[int, int]:
    """A string of at most six characters as two int64 keys (three characters each, as code + 1,
    so that strings of different lengths differ); the compiled loops pack text the same way."""
    k1 = k2 = 0
    for c in s[:3]:
        k1 = (k1 << _BITS) | (ord(c) + 1)
    for c in s[3:6]:
        k2 = (k2 << _BITS) | (ord(c) + 1)
    return k1, k2


class StringTable:
    """Strings (at most six characters) -> small non-negative ints, probed by compiled loops:
    an open-addressing hash table over the two keys of :func:`_pack`, which are compared in
    full (exact, no false hits). ``edge[c]``: whether code point c starts (``last``: ends) some string."""

    def __init__(self, items: dict[str, int], *, last: bool = False) -> None:
        size = 1 << max(4, (2 * len(items)).bit_length())  # at most half full
        self.shift = 64 - size.bit_length() + 1
        self.k1 = np.full(size, -1, dtype=np.int64)
        self.k2 = np.zeros(size, dtype=np.int64)
        self.value = np.full(size, -1, dtype=np.int64)
        packed = [(*_pack(s), v) for s, v in items.items()]
        if packed:
            k1, k2, v = (np.array(x, dtype=np.int64) for x in zip(*packed))
            _build_strings(self.k1, self.k2, self.value, self.shift, k1, k2, v)
        self.edge = np.zeros(_MAX_CODE, dtype=np.bool_)  # first (or last) characters
        self.edge[[ord(s[-1] if last else s[0]) for s in items]] = True


def lexicon_table(lexicon: dict[str, str], tags: Sequence[str]) -> StringTable:
    """The lexicon's words and their beginnings for the compiled clue pass: each word's value is
    ``2 * (its tag's index in tags + 1)``, plus 1 when it also begins a longer word; a beginning
    of a longer word that is no word itself has the value 1. A string with no value (-1) neither
    is nor begins a word, so the pass stops lengthening there."""
    values = dict.fromkeys(sorted({w[:n] for w in lexicon for n in range(2, len(w))}), 1)  # sorted: one layout
    for word, tag in lexicon.items():
        values[word] = 2 * (tags.index(tag) + 1) + values.get(word, 0)
    return StringTable(values)


class _Clues:
    """The sparse clues of :meth:`kg.nlp.crf.Featurizer.sparse` (lexicon words, name suffixes and
    prefixes, compound surnames) computed by one compiled pass over a batch, their weight rows
    added to the scores in the order the string features would add them (the same sums)."""

    def __init__(self, row: dict[str, int]) -> None:
        # the compiled pass tries these lengths: lexicon words 2-6, suffixes 4-1, prefixes 2-1, surnames 2
        if not (_crf._LEX_MAXLEN <= 6 and max(_crf._SUF_BY_LEN) <= 4 and max(_crf._PRE_BY_LEN) <= 2
                and {len(s) for s in _crf.COMPOUND_SURNAMES} == {2}):
            raise ValueError("the CRF's clue tables changed: update _clues_py to their lengths")
        lex_tags = sorted(set(_crf._LEX_TAGS.values()))
        types = sorted({*_crf.SUFFIXES, *_crf.PREFIXES})
        tid = {t: k for k, t in enumerate(types)}
        get = lambda name: row.get(name, -1)  # a feature the model has no weight for: -1
        self.lexicon = cached("crf-lexicon-table", lambda: lexicon_table(_crf.lexicon(), lex_tags),
                              reads=[_crf._jieba_dict()], code=[Path(_crf.__file__), Path(__file__)])
        self.suffix = StringTable({s: tid[t] for L in _crf._SUF_BY_LEN for s, t in _crf._SUF_BY_LEN[L].items()}, last=True)
        self.prefix = StringTable({s: tid[t] for L in _crf._PRE_BY_LEN for s, t in _crf._PRE_BY_LEN[L].items()})
        self.compound = StringTable(dict.fromkeys(_crf.COMPOUND_SURNAMES, 0))
        # a character's lexicon clues are added in the order of their sorted strings
        names = sorted(f"{kind}={t}" for kind in _LEX_KINDS for t in lex_tags)
        self.lex_rank = np.array([[names.index(f"{kind}={t}") for t in lex_tags] for kind in _LEX_KINDS], dtype=np.int64)
        self.lex_rows = np.array([get(n) for n in names], dtype=np.int64)
        self.se = np.array([[-1] + [get(f"se={t}{n}") for n in (1, 2, 3)] for t in types], dtype=np.int64)
        self.sew = np.array([[-1] + [get(f"sew={t}{n}") for n in (1, 2, 3)] for t in types], dtype=np.int64)
        self.sn = np.array([get(f"sn={t}1") for t in types], dtype=np.int64)
        self.ns = np.array([[get(f"ns={t}{d}") for d in _DIST] for t in types], dtype=np.int64)
        self.ps = np.array([get(f"ps={t}") for t in types], dtype=np.int64)
        self.wsuf = np.array([[get(f"wsuf={t}{p}") for p in _WP] for t in types], dtype=np.int64)
        self.sur2 = get("sur2")

    def add(self, W: np.ndarray, E: np.ndarray, codes: np.ndarray, ccls: np.ndarray, bounds: np.ndarray,
            wstart: np.ndarray) -> None:
        """Add the clues' weights to the scores ``E`` of the joined texts (``codes``: their
        normalised characters, ``ccls`` their classes, ``wstart[p]``: where the word ending at p
        starts, else -1)."""
        lx, sf, pf, cp = self.lexicon, self.suffix, self.prefix, self.compound
        _clues(W, E, codes, ccls, bounds, wstart,
               lx.k1, lx.k2, lx.value, lx.shift, lx.edge, sf.k1, sf.k2, sf.value, sf.shift, sf.edge,
               pf.k1, pf.k2, pf.value, pf.shift, pf.edge, cp.k1, cp.k2, cp.value, cp.shift, cp.edge,
               self.lex_rank, self.lex_rows, self.se, self.sew, self.sn, self.ns, self.ps, self.wsuf, self.sur2)


class CompiledCRF:
    """A crfsuite NER model as lookup tables and a weight matrix (see module docstring)."""

    def __init__(self, labels: list[str], attrs: list[str], feats: np.ndarray) -> None:
        """The tables of a model's (labels, attributes, features) as :func:`read_model` gives them:
        ~1.5 s to make, so :func:`compile_model` keeps the whole object in kg's cache."""
        self.labels = labels
        L = len(labels)
        n_attr = len(attrs)
        self.zero = n_attr  # the all-zero row
        W = np.zeros((n_attr + 1, L))
        state = feats[feats["type"] == 0]
        # crfsuite adds a feature's weight per occurrence; an attribute has one per label
        np.add.at(W, (state["src"].astype(np.int64), state["dst"].astype(np.int64)), state["weight"])
        self.W = W
        trans = feats[feats["type"] == 1]
        T = np.zeros((L, L))
        np.add.at(T, (trans["src"].astype(np.int64), trans["dst"].astype(np.int64)), trans["weight"])
        self.T = T

        z = self.zero
        ngram: dict[str, dict[int, int]] = {f: {} for f in _NGRAMS}
        self.row: dict[str, int] = {}  # whole attribute string -> row (sparse clues, words)
        wp = [z] * 4
        wpl = [[z] * 6 for _ in range(4)]
        sur = [z] * 4
        wpc: dict[int, int] = {}
        wt: dict[str, list[int]] = {}
        cls: dict[str, int] = {}
        t3: dict[int, int] = {}
        self.bias = z
        for r, a in enumerate(attrs):
            fam, eq, value = a.partition("=")
            if not eq:
                if a == "b":
                    self.bias = r
                elif a.startswith("sur") and a[3:] in _WP:
                    sur[_WP[a[3:]]] = r
                self.row[a] = r  # pwP, nwP, psur, sur2
                continue
            if fam in _NGRAMS:
                codes = _symbols(value, len(_NGRAMS[fam]))
                if codes is not None:
                    ngram[fam][_key(codes)] = r
            elif fam == "t":
                cls[value] = r
            elif fam == "t3":
                if len(value) == 3:
                    t3[_key([ord(c) for c in value])] = r
            elif fam == "wp" and value in _WP:
                wp[_WP[value]] = r
            elif fam == "wpl" and len(value) == 2 and value[0] in _WP and value[1].isdigit():
                wpl[_WP[value[0]]][int(value[1])] = r
            elif fam == "wpc" and len(value) == 2 and value[0] in _WP:
                wpc[(_WP[value[0]] << _BITS) | ord(value[1])] = r
            elif fam == "wt" and value and value[-1] in _WP:
                wt.setdefault(value[:-1], [z] * 4)[_WP[value[-1]]] = r
            elif fam in ("w", "pw", "nw") or fam in _SPARSE:
                self.row[a] = r
            else:
                raise ValueError(f"unknown CRF feature family {fam!r} (attribute {a!r})")
        self.ngram = {f: _Table(d, z) for f, d in ngram.items()}
        self.wp = np.array(wp, dtype=np.int64)
        self.wpl = np.array(wpl, dtype=np.int64)
        self.sur = np.array(sur, dtype=np.int64)
        self.wpc = _Table(wpc, z)
        self.wt_tags = {tag: k + 1 for k, tag in enumerate(sorted(wt))}
        self.wt = np.array([[z] * 4] + [wt[t] for t in sorted(wt)], dtype=np.int64)
        self.cls = np.full(128, z, dtype=np.int64)
        for c, r in cls.items():
            if len(c) == 1 and ord(c) < 128:
                self.cls[ord(c)] = r
        self.t3 = _Table(t3, z)
        self.surname = np.zeros(_PAD_END + 1, dtype=bool)
        self.surname[[ord(c) for c in _crf.SURNAMES]] = True
        rw = self.row
        self.first_prev = rw.get("pw=<s>", z)
        self.last_next = rw.get("nw=</s>", z)
        self.pwP = rw.get("pwP", z)
        self.nwP = rw.get("nwP", z)
        self.psur = rw.get("psur", z)
        self.clues = _Clues(self.row)
        self.words, self.word_rows = self._word_table()

    def _word_table(self) -> tuple[StringTable, np.ndarray]:
        """The words any word feature can fire for, as a compiled string table -> their row in
        ``word_rows``: the rows of "w=", "pw=", "nw=" (the word itself, as the previous / next
        word), its lexicon tag's index for "wt=", whether it is a person-context word. Row 0 is
        every other word's (no feature). All of them have at most six characters (checked), so
        a word is probed straight from the batch's code points, no string made (~0.6 s to make)."""
        z = self.zero
        get = self.row.get
        lexicon, tags, person = _crf.lexicon(), self.wt_tags, _crf.PERSON_CONTEXT
        words = {a.partition("=")[2] for a in self.row if a.startswith(("w=", "pw=", "nw="))}
        words.update(w for w, tag in lexicon.items() if tag in tags)
        words.update(person)
        words.discard("")
        if max(map(len, words), default=0) > 6:
            raise ValueError("a CRF word feature names a word longer than six characters")
        ordered = sorted(words)  # one layout
        rows = [(z, z, z, 0, 0)]
        rows += [(get("w=" + w, z), get("pw=" + w, z), get("nw=" + w, z), tags.get(lexicon.get(w, ""), 0), w in person)
                 for w in ordered]
        return StringTable(dict(zip(ordered, range(1, len(rows))))), np.array(rows, dtype=np.int64)

    # ------------------------------------------------------------------ scores

    def emissions(self, texts: Sequence[str], words: Sequence[Sequence[tuple[int, int]] | None]) -> tuple[np.ndarray, np.ndarray]:
        """State scores of every character of every text, computed for all texts at once:
        ``(E, bounds)``, E of shape (total characters, labels), text k's rows
        ``E[bounds[k]:bounds[k + 1]]``. A character's score is the sum of its features' weights."""
        sizes = np.array([len(x) for x in texts], dtype=np.int64)  # normalised: one character for one
        bounds = np.concatenate(([0], np.cumsum(sizes)))
        N = int(bounds[-1])
        W = self.W
        z = self.zero
        if N == 0:
            return np.zeros((0, W.shape[1])), bounds
        codes, classes = _normalised(texts)
        # every text padded with two "<s>" before and two "</s>" after, side by side
        doc = np.repeat(np.arange(len(texts)), sizes)
        idx = np.arange(N) + 2 + 4 * doc
        first = bounds[:-1] + 2 + 4 * np.arange(len(texts))  # padded index of each text's first char
        P = np.full(N + 4 * len(texts), _PAD_END, dtype=np.int64)
        P[first - 1] = _PAD_START
        P[first - 2] = _PAD_START
        P[idx] = codes
        at = {d: P[idx + d] for d in (-2, -1, 0, 1, 2)}
        rows: list[np.ndarray] = []
        for fam, offs in _NGRAMS.items():
            key = at[offs[0]]
            for d in offs[1:]:
                key = (key << _BITS) | at[d]
            rows.append(self.ngram[fam](key))
        C = np.full(len(P), ord("E"), dtype=np.int64)
        C[first - 1] = ord("B")
        C[idx] = ccls = classes
        rows.append(self.cls[ccls])
        rows.append(self.t3((C[idx - 1] << 2 * _BITS) | (ccls << _BITS) | C[idx + 1]))

        # words: each character's place in its word (S B M E), the word's own features and
        # its neighbours' (the first word of a text follows "<s>", the last precedes "</s>")
        ws, we = _batch_words(texts, words, bounds)
        nw_ = len(ws)
        lens = we - ws
        firsts = np.searchsorted(ws, bounds[:-1][sizes > 0])  # each text's first word
        wid = np.repeat(np.arange(nw_), lens)
        off = np.arange(N) - (np.cumsum(lens) - lens)[wid]
        wlen = lens[wid]
        wpos = np.where(wlen == 1, 0, np.where(off == 0, 1, np.where(off == wlen - 1, 3, 2)))
        rows.append(self.wp[wpos])
        rows.append(self.wpl[wpos, np.minimum(wlen, 5)])
        rows.append(self.wpc((wpos << _BITS) | codes))
        is_surname = self.surname[codes]
        rows.append(np.where(is_surname, self.sur[wpos], z))
        after_surname = np.zeros(N, dtype=bool)  # "psur": the previous character of the text is a surname
        after_surname[1:] = is_surname[:-1]
        after_surname[bounds[:-1][sizes > 0]] = False
        rows.append(np.where(after_surname, self.psur, z))
        ids = np.empty(nw_, dtype=np.int64)
        t = self.words
        _find_words(t.k1, t.k2, t.value, t.shift, codes, ws, we, ids)
        wrow, pw, nw, wtag, isp = self.word_rows[ids].T
        rows.append(wrow[wid])
        rows.append(self.wt[wtag[wid], wpos])
        isp = isp.astype(bool)
        starts = firsts
        ends = np.concatenate((starts[1:], [nw_])) - 1
        prev = np.roll(pw, 1)
        prev[starts] = self.first_prev
        nxt = np.roll(nw, -1)
        nxt[ends] = self.last_next
        prevP = np.roll(isp, 1)
        prevP[starts] = False
        nxtP = np.roll(isp, -1)
        nxtP[ends] = False
        rows.append(prev[wid])
        rows.append(nxt[wid])
        rows.append(np.where(prevP, self.pwP, z)[wid])
        rows.append(np.where(nxtP, self.nwP, z)[wid])

        E = np.empty((N, W.shape[1]))
        _sum_rows(W, np.stack(rows), self.bias, E)
        # the sparse clues (few characters have any)
        wstart = np.full(N, -1, dtype=np.int64)
        wstart[we - 1] = ws
        self.clues.add(W, E, codes, ccls, bounds, wstart)
        return E, bounds

    def tag_ids(self, texts: Sequence[str], words: Sequence[Sequence[tuple[int, int]] | None]) -> list[np.ndarray]:
        """Best label ids for each character of each text (crfsuite's Viterbi, per text)."""
        E, bounds = self.emissions(texts, words)
        out = np.empty(len(E), dtype=np.int64)
        _viterbi(E, bounds, self.T, out)
        return [out[bounds[k] : bounds[k + 1]] for k in range(len(texts))]

    def tag(self, texts: Sequence[str], words: Sequence[Sequence[tuple[int, int]] | None]) -> list[list[str]]:
        labels = self.labels
        return [[labels[i] for i in ids.tolist()] for ids in self.tag_ids(texts, words)]


def compile_model(path: str | Path) -> CompiledCRF | None:
    """The compiled model, or None when it uses features only crfsuite handles (clusters)
    or numba is not installed. Made once per model file (and jieba dictionary, and version of
    this code) and kept in kg's cache: every process of a build loads it in ~0.1 s instead of
    making it in ~1.5 s."""
    if _viterbi is None:
        return None
    path = Path(path)

    def make() -> CompiledCRF | None:
        labels, attrs, feats = read_model(path)
        if any(a.startswith(("k=", "kc=", "k-1", "k+1", "kk+1", "wk=", "wkc=", "pwk=", "nwk=")) for a in attrs):
            return None
        return CompiledCRF(labels, attrs, feats)

    return cached("crf-compiled", make, reads=[path, _crf._jieba_dict()], code=[Path(_crf.__file__), Path(__file__)])


def _viterbi_py(E, bounds, T, out):  # pragma: no cover - compiled by numba below
    """crfsuite's Viterbi (crf1d_context.c) over each text ``E[bounds[k]:bounds[k+1]]``,
    best label ids into ``out``; a strict ``<`` keeps the first best label, as crfsuite does."""
    L = T.shape[0]
    score = np.empty(L)
    new = np.empty(L)
    arg = np.empty(L, np.int64)
    back = np.empty((E.shape[0], L), np.int64)
    for k in range(len(bounds) - 1):
        a = bounds[k]
        b = bounds[k + 1]
        if b <= a:
            continue
        for j in range(L):
            score[j] = E[a, j]
        for t in range(a + 1, b):
            # for each label j the best previous label i; i runs outermost so that the inner loop
            # reads a row of T (it vectorises), and in increasing order with a strict < so that
            # each j keeps its first best i, as the loop over i per j did
            for j in range(L):
                new[j] = -np.inf
                arg[j] = 0
            for i in range(L):
                si = score[i]
                for j in range(L):
                    s = si + T[i, j]
                    better = new[j] < s
                    new[j] = s if better else new[j]
                    arg[j] = i if better else arg[j]
            for j in range(L):
                back[t, j] = arg[j]
                score[j] = new[j] + E[t, j]
        j = 0
        best = score[0]
        for i in range(1, L):
            if best < score[i]:
                best = score[i]
                j = i
        out[b - 1] = j
        for t in range(b - 1, a, -1):
            j = back[t, j]
            out[t - 1] = j


def _lookup_py(keys, rows, shift, q, zero, out):  # pragma: no cover - compiled by numba below
    """``out[t]``: the row of key ``q[t]`` in the table (``zero`` when absent)."""
    mask = len(keys) - 1
    fib = np.uint64(_FIB)
    sh = np.uint64(shift)
    for t in range(len(q)):
        k = q[t]
        i = np.int64((np.uint64(k) * fib) >> sh)
        r = zero
        while keys[i] != -1:
            if keys[i] == k:
                r = rows[i]
                break
            i = (i + 1) & mask
        out[t] = r


def _sum_rows_py(W, R, bias, E):  # pragma: no cover - compiled by numba below
    """``E[t] = W[R[0, t]] + W[bias] + W[R[1, t]] + ...``: each character's feature weights
    summed in the order numpy summed them before (so the scores are the same to the last bit)."""
    L = W.shape[1]
    for t in range(R.shape[1]):
        r0 = R[0, t]
        for j in range(L):
            E[t, j] = W[r0, j] + W[bias, j]
        for f in range(1, R.shape[0]):
            r = R[f, t]
            for j in range(L):
                E[t, j] += W[r, j]


def _mix_py(k1, k2):  # pragma: no cover - compiled by numba below
    """The hash of a packed string (uint64 arithmetic, wrapping)."""
    return (np.uint64(k1) * np.uint64(_FIB)) ^ (np.uint64(k2) * np.uint64(0xC2B2AE3D27D4EB4F))


def _build_strings_py(K1, K2, V, shift, k1, k2, v):  # pragma: no cover - compiled by numba below
    """Insert the packed strings (k1, k2) -> v; a string seen before keeps its first value."""
    mask = len(K1) - 1
    sh = np.uint64(shift)
    for t in range(len(k1)):
        i = np.int64((_mix(k1[t], k2[t]) * np.uint64(_FIB)) >> sh)
        while K1[i] != -1 and not (K1[i] == k1[t] and K2[i] == k2[t]):
            i = (i + 1) & mask
        if K1[i] == -1:
            K1[i] = k1[t]
            K2[i] = k2[t]
            V[i] = v[t]


def _find_py(K1, K2, V, shift, codes, start, end):  # pragma: no cover - compiled by numba below
    """The value of the string ``codes[start:end]`` (at most six characters), else -1."""
    k1 = np.int64(0)
    k2 = np.int64(0)
    for p in range(start, min(end, start + 3)):  # as _pack
        k1 = (k1 << _BITS) | (codes[p] + 1)
    for p in range(start + 3, end):
        k2 = (k2 << _BITS) | (codes[p] + 1)
    mask = len(K1) - 1
    i = np.int64((_mix(k1, k2) * np.uint64(_FIB)) >> np.uint64(shift))
    while K1[i] != -1:
        if K1[i] == k1 and K2[i] == k2:
            return V[i]
        i = (i + 1) & mask
    return -1


def _find_words_py(K1, K2, V, shift, codes, ws, we, out):  # pragma: no cover - compiled by numba below
    """``out[k]``: the value of the word ``codes[ws[k]:we[k]]`` in the table, 0 when it is not
    there (or longer than six characters)."""
    for k in range(len(ws)):
        v = -1
        if we[k] - ws[k] <= 6:
            v = find_string(K1, K2, V, shift, codes, ws[k], we[k])
        out[k] = max(v, 0)


def _add_row_py(W, E, p, r):  # pragma: no cover - compiled by numba below
    if r >= 0:
        for j in range(W.shape[1]):
            E[p, j] += W[r, j]


def _clues_py(W, E, codes, ccls, bounds, wstart,
              LK1, LK2, LV, Lsh, Ledge, SK1, SK2, SV, Ssh, Sedge, PK1, PK2, PV, Psh, Pedge, CK1, CK2, CV, Csh, Cedge,
              lex_rank, lex_rows, se, sew, sn, ns, ps, wsuf, sur2):  # pragma: no cover - compiled by numba below
    """:meth:`_Clues.add`: each family of clues in its own pass, so that every character gets
    its clues in the order ``Featurizer.sparse`` lists them (lexicon, se, sew, sn, ns, ps, sur2, wsuf)."""
    N = len(codes)
    H, P, S = 72, 80, 83  # ord("H"), ord("P"), ord("S"): Han, punctuation, space
    mask = np.zeros(N, np.int64)
    suf_t = np.full(N, -1, np.int64)
    suf_n = np.zeros(N, np.int64)
    for k in range(len(bounds) - 1):
        a = bounds[k]
        b = bounds[k + 1]
        # lexicon words from each Han character (lengths 2 to 6): begin / inside / end marks
        for i in range(a, b - 1):
            if ccls[i] != H or not Ledge[codes[i]]:
                continue
            for L in range(2, 7):
                if i + L > b:
                    break
                v = find_string(LK1, LK2, LV, Lsh, codes, i, i + L)  # see lexicon_table
                if v < 0:
                    break  # no word is or starts with these L characters
                if v >= 2:
                    t = v // 2 - 1
                    mask[i] |= 1 << lex_rank[0, t]
                    mask[i + L - 1] |= 1 << lex_rank[1, t]
                    for m in range(i + 1, i + L - 1):
                        mask[m] |= 1 << lex_rank[2, t]
                if v % 2 == 0:
                    break  # no longer word starts with them
        # the longest name suffix ending at each character
        for i in range(a, b):
            if not Sedge[codes[i]]:
                continue
            for L in range(4, 0, -1):
                if L <= i - a + 1:
                    t = find_string(SK1, SK2, SV, Ssh, codes, i - L + 1, i + 1)
                    if t >= 0:
                        suf_t[i] = t
                        suf_n[i] = L
                        break
    for p in range(N):
        if mask[p]:
            for r in range(len(lex_rows)):
                if mask[p] & (1 << r):
                    _add_row(W, E, p, lex_rows[r])
    for p in range(N):
        if suf_t[p] >= 0:
            _add_row(W, E, p, se[suf_t[p], min(suf_n[p], 3)])
    for p in range(N):
        if suf_t[p] >= 0 and wstart[p] >= 0:
            _add_row(W, E, p, sew[suf_t[p], min(suf_n[p], 3)])
    for k in range(len(bounds) - 1):
        a = bounds[k]
        b = bounds[k + 1]
        for i in range(a + 1, b):
            if suf_t[i] >= 0 and suf_n[i] == 1:
                _add_row(W, E, i - 1, sn[suf_t[i]])
    for k in range(len(bounds) - 1):
        a = bounds[k]
        b = bounds[k + 1]
        # the next multi-character suffix ahead in the clause, up to 12 characters back
        prev = a - 1
        for j in range(a, b):
            if suf_t[j] < 0 or suf_n[j] < 2:
                continue
            lo = max(prev + 1, j - 12)
            for i in range(j, lo - 1, -1):
                if ccls[i] == P or ccls[i] == S:
                    break
                d = j - i
                _add_row(W, E, i, ns[suf_t[j], d if d < 4 else (4 if d < 8 else 5)])
            prev = j
    for k in range(len(bounds) - 1):
        a = bounds[k]
        b = bounds[k + 1]
        for i in range(a, b):
            if not Pedge[codes[i]]:
                continue
            for L in range(2, 0, -1):
                if i + L <= b:
                    t = find_string(PK1, PK2, PV, Psh, codes, i, i + L)
                    if t >= 0:
                        _add_row(W, E, i, ps[t])
                        break
    for k in range(len(bounds) - 1):
        a = bounds[k]
        b = bounds[k + 1]
        for i in range(a, b - 1):
            if Cedge[codes[i]] and find_string(CK1, CK2, CV, Csh, codes, i, i + 2) >= 0:
                _add_row(W, E, i, sur2)
    for end in range(N):
        ws = wstart[end]
        if suf_t[end] < 0 or ws < 0:
            continue
        t = suf_t[end]
        if ws == end:
            _add_row(W, E, ws, wsuf[t, 0])
        else:
            _add_row(W, E, ws, wsuf[t, 1])
            for m in range(ws + 1, end):
                _add_row(W, E, m, wsuf[t, 2])
            _add_row(W, E, end, wsuf[t, 3])


_viterbi, _lookup, _sum_rows, _mix, _build_strings, find_string, _add_row, _clues = compiled(
    _viterbi_py, _lookup_py, _sum_rows_py, _mix_py, _build_strings_py, _find_py, _add_row_py, _clues_py)
(_find_words,) = compiled(_find_words_py)

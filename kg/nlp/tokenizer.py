"""A spaCy tokenizer over our own ``jieba.Tokenizer`` instance.

spaCy's built-in jieba segmenter calls the process-wide ``jieba.cut``; adding
lexicon words there would change every other caller. We hold our own instance
and load the lexicon into it as a user dictionary.
"""

from __future__ import annotations

import logging
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from itertools import accumulate

from spacy.tokens import Doc
from spacy.util import get_words_and_spaces
from spacy.vocab import Vocab

from kg.errors import ConfigError
from kg.nlp import DEFAULT_SEGMENTER

__all__ = ["SEGMENTERS", "JiebaTokenizer", "check_segmenter", "join_numbers", "new_jieba", "words_and_spaces"]

#: Segmentation backends: jieba (pure Python, the reference) and jieba-fast (``jieba_fast_dat``,
#: a C++ implementation of the same algorithm with a larger dictionary; the default).
SEGMENTERS = ("jieba", "jieba-fast")


def _backend(segmenter: str):
    if segmenter == "jieba":
        import jieba

        return jieba
    if segmenter == "jieba-fast":
        try:
            import jieba_fast_dat
        except ImportError:
            raise ConfigError("the jieba-fast segmenter is not installed",
                              fix="pip install jieba-fast-dat (a dependency of kg), or use --segmenter jieba") from None
        return jieba_fast_dat
    raise ConfigError(f"unknown segmenter {segmenter!r}", fix="choose " + " or ".join(SEGMENTERS))


def check_segmenter(segmenter: str) -> None:
    """ConfigError (one line, with the fix) unless ``segmenter`` is known and installed."""
    _backend(segmenter)


def new_jieba(words: Iterable[str] = (), segmenter: str = DEFAULT_SEGMENTER):
    """A fresh, initialised tokenizer of the ``segmenter`` backend with ``words`` added as user words."""
    jieba = _backend(segmenter)
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word in words:
        if len(word) > 1:
            # A high frequency keeps lexicon entries whole; HMM still finds unseen names.
            known = tokenizer.FREQ.get(word, 0) if hasattr(tokenizer, "FREQ") else tokenizer.get_freq(word) or 0
            tokenizer.add_word(word, freq=max(known, 20000))
    return tokenizer


#: A number as jieba keeps it whole (15.74, 20%); jieba-fast-dat splits it (15 . 74, 20 %-).
_NUMBER = re.compile(r"(?=\d)(?<![A-Za-z0-9.])\d+(?:\.\d+)?%?(?![A-Za-z0-9])")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_SPACE = re.compile(r"\s")


def join_numbers(text: str, words: list[str]) -> list[str]:
    """``words`` (covering ``text`` in order) re-cut so that every number is one token, as jieba
    cuts it: boundaries inside a number go, and a non-Han token straddling a number's end is
    split there (%- after 20). Other boundaries stay."""
    numbers = list(_NUMBER.finditer(text))
    if not numbers:
        return words
    cuts = list(accumulate(map(len, words)))
    drop: set[int] = set()
    add: set[int] = set()
    for m in numbers:
        lo = bisect_right(cuts, m.start())
        hi = bisect_left(cuts, m.end())
        drop.update(cuts[lo:hi])  # strictly inside the number
        for edge in (m.start(), m.end()):
            i = bisect_left(cuts, edge)
            if edge == 0 or i == len(cuts) or cuts[i] == edge:
                continue  # already a boundary (or the text's end)
            left = cuts[i - 1] if i else 0
            if not _HAN.search(text, left, cuts[i]):
                add.add(edge)
    if not drop and not add:
        return words
    bounds = sorted((set(cuts) - drop) | add)
    out, start = [], 0
    for end in bounds:
        out.append(text[start:end])
        start = end
    return out


def words_and_spaces(words: list[str], text: str) -> tuple[list[str], list[bool]]:
    """spaCy's ``get_words_and_spaces`` for words that tile ``text`` exactly (a segmenter's output),
    in one pass: whitespace words become gaps, one space after a word becomes its trailing space.
    spaCy's own looks each word up in the rest of the text, quadratic in a long text."""
    if sum(map(len, words)) != len(text):
        return get_words_and_spaces(words, text)  # not a tiling: spaCy's
    if not _SPACE.search(text):  # most Chinese text: the words as they are, no trailing spaces
        return list(words), [False] * len(words)
    if any(w[:1].isspace() != w.isspace() for w in words):
        return get_words_and_spaces(words, text)  # a word starting with a space: spaCy's
    out: list[str] = []
    spaces: list[bool] = []
    pos = 0  # consumed up to here
    start = 0  # where the current word starts
    n = len(text)
    for word in words:
        end = start + len(word)
        if not word.isspace():
            if start > pos:
                out.append(text[pos:start])
                spaces.append(False)
            out.append(word)
            spaces.append(False)
            pos = end
            if pos < n and text[pos] == " ":
                spaces[-1] = True
                pos += 1
        start = end
    if pos < n:
        out.append(text[pos:])
        spaces.append(False)
    return out, spaces


class JiebaTokenizer:
    """Segment with jieba (HMM on for unseen names); spaces kept as spaCy whitespace."""

    def __init__(self, vocab: Vocab, words: Iterable[str] = (), segmenter: str = DEFAULT_SEGMENTER) -> None:
        self.vocab = vocab
        self.segmenter = segmenter
        self.jieba = new_jieba(words, segmenter)

    def __call__(self, text: str) -> Doc:
        words = [w for w in self.jieba.cut(text, HMM=True) if w]
        if self.segmenter != "jieba":
            words = join_numbers(text, words)
        if not words:
            doc = Doc(self.vocab, words=[], spaces=[])
        elif not _SPACE.search(text) and sum(map(len, words)) == len(text):
            # most Chinese text: the words tile it with no spaces, so their spans are known here
            # (kg.nlp.pipeline.token_spans reads them instead of the Doc's arrays)
            doc = Doc(self.vocab, words=words, spaces=[False] * len(words))
            ends = list(accumulate(map(len, words)))
            doc.user_data["kg_tokens"] = list(zip([0, *ends], ends))
        else:
            words, spaces = words_and_spaces(words, text)
            doc = Doc(self.vocab, words=words, spaces=spaces)
        doc.user_data["kg_text"] = text  # Doc.text rebuilds the string from Token objects: slow
        return doc

    # spaCy calls these when a pipeline is saved; the lexicon is rebuilt from config on load.
    def to_bytes(self, **kwargs) -> bytes:
        return b""

    def from_bytes(self, data: bytes, **kwargs) -> JiebaTokenizer:
        return self

    def to_disk(self, path, **kwargs) -> None:
        return None

    def from_disk(self, path, **kwargs) -> JiebaTokenizer:
        return self

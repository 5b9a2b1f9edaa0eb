"""A spaCy tokenizer over our own ``jieba.Tokenizer`` instance.

spaCy's built-in jieba segmenter calls the process-wide ``jieba.cut``; adding
lexicon words there would change every other caller. We hold our own instance
and load the lexicon into it as a user dictionary.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from spacy.tokens import Doc
from spacy.util import get_words_and_spaces
from spacy.vocab import Vocab

__all__ = ["JiebaTokenizer", "new_jieba"]


def new_jieba(words: Iterable[str] = ()):
    """A fresh, initialised ``jieba.Tokenizer`` with ``words`` added as user words."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word in words:
        if len(word) > 1:
            # A high frequency keeps lexicon entries whole; HMM still finds unseen names.
            tokenizer.add_word(word, freq=max(tokenizer.FREQ.get(word, 0), 20000))
    return tokenizer


class JiebaTokenizer:
    """Segment with jieba (HMM on for unseen names); spaces kept as spaCy whitespace."""

    def __init__(self, vocab: Vocab, words: Iterable[str] = ()) -> None:
        self.vocab = vocab
        self.jieba = new_jieba(words)

    def __call__(self, text: str) -> Doc:
        words = [w for w in self.jieba.cut(text, HMM=True) if w]
        if not words:
            return Doc(self.vocab, words=[], spaces=[])
        words, spaces = get_words_and_spaces(words, text)
        return Doc(self.vocab, words=words, spaces=spaces)

    # spaCy calls these when a pipeline is saved; the lexicon is rebuilt from config on load.
    def to_bytes(self, **kwargs) -> bytes:
        return b""

    def from_bytes(self, data: bytes, **kwargs) -> "JiebaTokenizer":
        return self

    def to_disk(self, path, **kwargs) -> None:
        return None

    def from_disk(self, path, **kwargs) -> "JiebaTokenizer":
        return self

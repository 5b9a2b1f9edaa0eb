"""Text normalisation: the Simplified analysis view, script detection, sentence splitting.

The analysis view has exactly the same length as the original text, character
for character, so every offset found on it is an offset into the original.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

from kg.model import Sentence

__all__ = ["analysis_view", "detect_script", "split_sentences", "to_traditional", "to_simplified"]

# Full-width ASCII (U+FF01..U+FF5E) -> ASCII, ideographic space -> space: one char to one char.
_WIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_WIDTH[0x3000] = 0x20


@lru_cache(maxsize=2)
def _converter(config: str):
    import opencc  # the C++ build; imported lazily so `import kg` stays cheap

    return opencc.OpenCC(config)


def to_simplified(text: str) -> str:
    """Character-level Traditional -> Simplified conversion (same length as ``text``)."""
    return _aligned(text, "t2s")


def to_traditional(text: str) -> str:
    """Character-level Simplified -> Traditional conversion (same length as ``text``)."""
    return _aligned(text, "s2t")


def _aligned(text: str, config: str) -> str:
    conv = _converter(config)
    out = conv.convert(text)
    if len(out) == len(text):
        return out
    # OpenCC's phrase tables changed a length somewhere: fall back line by line, then char by char.
    parts = []
    for line in text.splitlines(keepends=True):
        converted = conv.convert(line)
        if len(converted) != len(line):
            converted = "".join(c2 if len(c2 := conv.convert(ch)) == 1 else ch for ch in line)
        parts.append(converted)
    return "".join(parts)


def analysis_view(text: str) -> str:
    """Simplified, width-folded view of ``text`` with identical length and offsets."""
    return to_simplified(text.translate(_WIDTH))


_HAN = re.compile(r"[\u3400-\u9fff]")


def detect_script(text: str, view: str | None = None) -> str:
    """``zh-Hant``, ``zh-Hans`` or ``und`` (no Chinese characters), by counting
    characters that only one of the two scripts uses. ``view`` is the analysis view of
    ``text`` when already computed (saves one conversion)."""
    sample = text[:20000]
    if not _HAN.search(sample):
        return "und"
    sample = sample.translate(_WIDTH)
    simplified = view[:20000] if view is not None else to_simplified(sample)
    if sample == simplified:  # no Traditional-only character: Simplified whatever the other count (saves a conversion)
        return "zh-Hans"
    trad_only = _differences(sample, simplified)
    simp_only = _differences(sample, to_traditional(sample))
    return "zh-Hant" if trad_only > simp_only else "zh-Hans"


def _differences(a: str, b: str) -> int:
    """At how many positions two strings of one length differ (compared as arrays of code points)."""
    return int(np.count_nonzero(np.frombuffer(a.encode("utf-32-le"), "<u4") != np.frombuffer(b.encode("utf-32-le"), "<u4")))


# A sentence ends after 。！？!?；; or an ellipsis, plus any closing quotes/brackets,
# or at a line break: any of Unicode's mandatory breaks (UAX #14 BK, CR, LF, NL), so text
# with old Mac line ends (\r) or U+2028/U+2029 separators is not one endless sentence.
LINE_BREAKS = "\n\r\x0b\x0c\x85\u2028\u2029"
_SENT_END = re.compile(rf"(?:[。！？!?；;]+|…+|\.{{3,}})[”’」』）)\]]*|[{LINE_BREAKS}]+")


def split_sentences(text: str) -> list[Sentence]:
    """Split into sentences; offsets are end-exclusive, surrounding whitespace trimmed."""
    sentences: list[Sentence] = []
    start = 0
    for match in _SENT_END.finditer(text):
        _add(sentences, text, start, match.end())
        start = match.end()
    _add(sentences, text, start, len(text))
    return sentences


def _add(out: list[Sentence], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        out.append(Sentence(start, end, text[start:end]))

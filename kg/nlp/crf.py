"""Statistical Chinese NER: a linear-chain CRF (python-crfsuite) over characters.

Run it on the **Simplified** view of the text. Features per character: the
character and its class, character uni/bi/tri-grams in a +-2 window, the jieba
word it belongs to (B/M/E/S position, length, the word itself when short, the
neighbouring words), generic suffix / prefix clues for organisations, companies,
government bodies, places and job titles (does a known suffix end here, how far
ahead is the next one), proper nouns from jieba's bundled dictionary
(nr/ns/nt/nz/j) covering the character, surname and speech-verb clues for
person names. Optional (not in the shipped model): unsupervised character /
word clusters learned from raw news text (``ner-clusters-v1.tsv``,
scripts/build_ner_clusters.py, ``train_ner.py --clusters``).
See kg/resources/models/MODEL_CARD.md for data and scores.

Speed: feature groups are cached per character, character bigram and word
across sentences, and features the loaded model has no weight for are dropped
before they reach crfsuite (crfsuite ignores unknown attributes anyway, so the
tags are identical; it just spends less time looking strings up).

Usage::

    tagger = CRFTagger.load()               # shipped model
    tagger.tag("阿里巴巴集团首席执行官张勇在杭州表示")
    # -> [(0, 6, 'COMPANY'), (6, 11, 'POSITION'), (11, 13, 'PERSON'), (14, 16, 'PLACE')]

A CRFTagger is not thread-safe (crfsuite tagger state); use one per thread
or process.

``words`` (optional) are jieba token spans ``(start, end)`` on the same text,
e.g. from ``jieba.Tokenizer().cut(text)`` (HMM on, the default, as in training);
when omitted the tagger segments with its own ``jieba.Tokenizer`` instance.
"""

from __future__ import annotations

import re
import threading
from itertools import compress, count, repeat
from operator import add, itemgetter
from pathlib import Path
from typing import Iterable, Sequence

import pycrfsuite

MODEL_VERSION = "ner-crf-v1"
FEATURE_VERSION = 3
# v3: the v2 feature set (same strings), new extraction code (different order within
# a character's list); optionally + unsupervised character / word cluster features
# (CLUSTERS_VERSION). The shipped model does not use the clusters (see MODEL_CARD.md);
# the tagger switches them on by itself for a model trained with them.
USE_CLUSTERS = False

Span = tuple[int, int, str]


def default_model_path() -> Path:
    return Path(__file__).resolve().parent.parent / "resources" / "models" / f"{MODEL_VERSION}.crfsuite"


# ------------------------------------------------------------------ lexical clues
# General-purpose Chinese suffix lists (not taken from any dataset).

SUFFIXES: dict[str, tuple[str, ...]] = {
    "COM": (
        "公司", "集团", "银行", "证券", "保险", "基金", "控股", "股份", "有限", "科技",
        "实业", "传媒", "电子", "网络", "地产", "置业", "电器", "药业", "制药", "航空",
        "能源", "资本", "投资", "信托", "期货", "资管", "汽车", "电气", "通信", "软件",
        "食品", "化工", "钢铁", "矿业", "物流", "酒店", "商场", "超市", "百货", "工厂",
        "厂", "店", "行", "所",
    ),
    "ORG": (
        "大学", "学院", "中学", "小学", "学校", "医院", "协会", "学会", "研究院", "研究所",
        "研究中心", "中心", "基金会", "联合会", "商会", "俱乐部", "队", "党", "组织", "联盟",
        "出版社", "电视台", "报社", "杂志", "日报", "晚报", "博物馆", "图书馆", "实验室",
        "联合国", "社", "团", "会", "院", "台", "报",
    ),
    "GOV": (
        "政府", "国务院", "部", "局", "厅", "署", "委", "委员会", "办公室", "办", "法院",
        "检察院", "公安", "派出所", "人大", "政协", "海关", "监狱", "管委会", "总局",
        "监会", "发改委", "财政部", "外交部", "军区", "部队", "中央",
    ),
    "LOC": (
        "省", "市", "县", "区", "镇", "乡", "村", "街", "路", "道", "州", "国", "岛",
        "山", "河", "江", "湖", "海", "湾", "港", "城", "大厦", "广场", "公园", "机场",
        "车站", "站", "号", "楼", "大道", "小区", "景区", "寺", "宫", "桥", "自治区",
    ),
    "POS": (
        "长", "总裁", "经理", "主席", "董事", "总监", "书记", "主任", "秘书", "总统",
        "总理", "教授", "记者", "编辑", "委员", "顾问", "院士", "博士", "工程师", "会计师",
        "律师", "分析师", "研究员", "首席", "执行官", "代表", "发言人", "总经理", "局长",
        "市长", "省长", "董事长", "员", "师", "官", "家", "手", "教练", "主管", "总",
        "ceo", "cfo", "cto", "coo",
    ),
}

PREFIXES: dict[str, tuple[str, ...]] = {
    "LOC": ("中国", "美国", "日本", "英国", "北京", "上海", "广州", "深圳", "香港", "台湾"),
    "POS": ("副", "总", "首席", "常务", "执行", "独立", "高级", "前"),
}

# Words that often follow or precede a person name.
PERSON_CONTEXT = frozenset(
    "表示 说 称 指出 认为 介绍 透露 强调 坦言 告诉 先生 女士 小姐 老师 同志 教授 博士 记者 "
    "等 和 与 及 曾 则 也 还 是 被 对 向 为 让 请 担任 出任 兼任 获得 发表 回应 说道 笑 问 "
    "董事长 总裁 总经理 主席 经理 书记 市长 省长 部长 局长 主任 CEO 创始人 行长 总监".split()
)

SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔"
    "向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌"
    "毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦"
    "麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩"
    "明佘池查麻苑迟邝"
)
COMPOUND_SURNAMES = frozenset("欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 令狐 长孙 宇文 司徒 夏侯".split())

_MAX_SUF = max(len(s) for v in SUFFIXES.values() for s in v)
_SUF_BY_LEN: dict[int, dict[str, str]] = {}
for _t, _l in SUFFIXES.items():
    for _s in _l:
        _SUF_BY_LEN.setdefault(len(_s), {}).setdefault(_s, _t)
_SUF_LENS = sorted(_SUF_BY_LEN, reverse=True)
# last character -> the lengths of the suffixes ending in it, longest first
_SUF_LENS_BY_LAST: dict[str, tuple[int, ...]] = {
    c: tuple(L for L in _SUF_LENS if any(s[-1] == c for s in _SUF_BY_LEN[L]))
    for c in {s[-1] for v in SUFFIXES.values() for s in v}
}
_PRE_BY_LEN: dict[int, dict[str, str]] = {}
for _t, _l in PREFIXES.items():
    for _s in _l:
        _PRE_BY_LEN.setdefault(len(_s), {}).setdefault(_s, _t)
_PRE_LENS = sorted(_PRE_BY_LEN, reverse=True)
_SUF_LAST = frozenset(x[-1] for v in SUFFIXES.values() for x in v)
_PRE_FIRST = frozenset(x[0] for v in PREFIXES.values() for x in v)

_LOOKAHEAD = 12

# jieba dictionary part-of-speech tags used as lexicon features (person, place,
# organisation, other proper noun, abbreviation).
_LEX_TAGS = {"nr": "nr", "nrt": "nr", "nrfg": "nr", "ns": "ns", "nt": "nt", "nz": "nz", "j": "j"}
_LEX_MAXLEN = 6
_lexicon: dict[str, str] | None = None
_lexicon_prefixes: dict[str, tuple[int, ...]] = {}  # first two characters -> lengths of the words, ascending
_lexicon_lock = threading.Lock()


def lexicon() -> dict[str, str]:
    """word -> coarse tag for the proper-noun entries of jieba's bundled dict.txt."""
    global _lexicon, _lexicon_prefixes
    if _lexicon is None:
        with _lexicon_lock:
            if _lexicon is None:
                from kg.cache import cached

                path = _jieba_dict()
                _lexicon, _lexicon_prefixes = cached("crf-lexicon", lambda: _read_lexicon(path), reads=[path], code=[Path(__file__)])
    return _lexicon


def _jieba_dict() -> Path:
    import importlib.util

    return Path(importlib.util.find_spec("jieba").origin).resolve().parent / "dict.txt"  # without importing jieba


def _read_lexicon(path: Path) -> tuple[dict[str, str], dict[str, tuple[int, ...]]]:
    """(word -> coarse tag, first two characters -> lengths of the words) of jieba's dict.txt."""
    lex: dict[str, str] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and 2 <= len(parts[0]) <= _LEX_MAXLEN:
                t = _LEX_TAGS.get(parts[2])
                if t is not None:
                    lex[parts[0].lower()] = t
    lengths: dict[str, set[int]] = {}
    for w in lex:
        lengths.setdefault(w[:2], set()).add(len(w))
    return lex, {p: tuple(sorted(v)) for p, v in lengths.items()}


# ------------------------------------------------------------------ normalisation

def _norm_char(c: str) -> str:
    o = ord(c)
    if 0xFF01 <= o <= 0xFF5E:  # full-width ASCII
        c = chr(o - 0xFEE0)
    elif o == 0x3000:
        c = " "
    if c.isdigit():
        return "0"
    low = c.lower()
    return low if len(low) == 1 else c  # keep offsets: one char in, one char out


def _char_class(c: str) -> str:
    o = ord(c)
    if 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0x20000 <= o <= 0x2FFFF:
        return "H"
    if c == "0":
        return "D"
    if "a" <= c <= "z":
        return "L"
    if c.isspace():
        return "S"
    if c.isalpha():
        return "A"
    return "P"


# ------------------------------------------------------------------ segmentation

class _Segmenter:
    """Lazily created private jieba.Tokenizer (never touches jieba's global one)."""

    def __init__(self) -> None:
        self._tok = None
        self._lock = threading.Lock()

    def tokenizer(self):
        if self._tok is None:
            with self._lock:
                if self._tok is None:
                    import logging

                    import jieba

                    jieba.setLogLevel(logging.WARNING)
                    tok = jieba.Tokenizer()
                    tok.initialize()
                    self._tok = tok
        return self._tok

    def words(self, text: str) -> list[tuple[int, int]]:
        spans = []
        pos = 0
        for w in self.tokenizer().cut(text, HMM=True):
            spans.append((pos, pos + len(w)))
            pos += len(w)
        if pos != len(text):  # should not happen; fall back to characters
            return [(i, i + 1) for i in range(len(text))]
        return spans


# ------------------------------------------------------------------ clusters
# Unsupervised character / word clusters learned from raw news text
# (scripts/build_ner_clusters.py); shipped next to the model.

CLUSTERS_VERSION = "ner-clusters-v1"
_clusters: tuple[dict[str, str], dict[str, str], dict[str, str], dict[str, str]] | None = None
_clusters_lock = threading.Lock()


def default_clusters_path() -> Path:
    return Path(__file__).resolve().parent.parent / "resources" / "models" / f"{CLUSTERS_VERSION}.tsv"


def clusters(path: str | Path | None = None):
    """(char -> fine id, char -> coarse id, word -> fine id, word -> coarse id)."""
    global _clusters
    if path is not None:
        return _read_clusters(Path(path))
    if _clusters is None:
        with _clusters_lock:
            if _clusters is None:
                _clusters = _read_clusters(default_clusters_path())
    return _clusters


def _read_clusters(p: Path):
    cf: dict[str, str] = {}
    cc: dict[str, str] = {}
    wf: dict[str, str] = {}
    wc: dict[str, str] = {}
    with open(p, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            kind, item, fine, coarse = line.rstrip("\n").split("\t")
            if kind == "c":
                cf[item], cc[item] = fine, coarse
            else:
                wf[item], wc[item] = fine, coarse
    return cf, cc, wf, wc


# ------------------------------------------------------------------ features

def normalise(text: str) -> str:
    """The text as the features see it: full-width folded, digits as 0, lower case; one
    character for one, so offsets hold."""
    norm = text.translate(_NORM_TABLE)
    if len(norm) != len(text):  # cannot happen (one char in, one char out); be safe
        norm = "".join(_norm_char(c) for c in text)
    return norm


class _NormTable(dict):
    """str.translate table: ord -> normalised char, filled on first use."""

    def __missing__(self, o: int) -> str:
        r = _norm_char(chr(o))
        self[o] = r
        return r


class _ClassTable(dict):
    def __missing__(self, o: int) -> str:
        r = _char_class(chr(o))
        self[o] = r
        return r


_NORM_TABLE = _NormTable()
_SUF_LAST_RX = re.compile("[" + re.escape("".join(sorted(_SUF_LAST))) + "]")
_PRE_FIRST_RX = re.compile("[" + re.escape("".join(sorted(_PRE_FIRST))) + "]")
_SURNAME_RX = re.compile("[" + "".join(sorted(SURNAMES)) + "]")
_COMPOUND_RX = re.compile("(?=(" + "|".join(sorted(COMPOUND_SURNAMES)) + "))")
_G0, _G1, _G2, _G3 = itemgetter(0), itemgetter(1), itemgetter(2), itemgetter(3)
_CLASS_TABLE = _ClassTable()
_CACHE_MAX = 300_000


def _word_info(n: int, words: Sequence[tuple[int, int]] | None):
    """Non-overlapping word spans covering 0..n in order (gaps become one-char words)."""
    if words:
        # fast path: contiguous spans covering the text in order (jieba output)
        pos = 0
        ok = True
        for s, e in words:
            if s != pos or e <= s:
                ok = False
                break
            pos = e
        if ok and pos == n:
            return list(words)
    widx = [-1] * n
    wl: list[tuple[int, int]] = []
    if words:
        for s, e in words:
            s = max(0, s)
            e = min(n, e)
            if e <= s:
                continue
            # skip overlaps
            if any(widx[k] != -1 for k in range(s, e)):
                continue
            for k in range(s, e):
                widx[k] = len(wl)
            wl.append((s, e))
    for i in range(n):
        if widx[i] == -1:
            widx[i] = len(wl)
            wl.append((i, i + 1))
    # re-order words by start so that prev/next word work
    return sorted(wl)


class Featurizer:
    """Feature extraction for one model.

    ``known`` (the attribute names of a trained model, or None) drops features
    the model has no weight for *before* they reach crfsuite: the CRF sees the
    same weighted features, so the tags are the same, but crfsuite does much less
    string work. Per-trigram / per-window feature groups are cached across
    sentences (bounded caches).
    """

    def __init__(self, known: frozenset[str] | set[str] | None = None, use_clusters: bool = True) -> None:
        self.known = known
        self.use_clusters = use_clusters
        self._cl = clusters() if use_clusters else None
        self._c1: dict[str, tuple[tuple[str, ...], ...]] = {}
        self._c2: dict[str, tuple[tuple[str, ...], ...]] = {}
        self._cWS: dict[str, list[tuple[str, ...]]] = {}
        self._cP: dict[str | None, tuple[str, ...]] = {}
        self._cN: dict[str | None, tuple[str, ...]] = {}

    def _filter(self, feats) -> tuple[str, ...]:
        kn = self.known
        if kn is None:
            return tuple(feats)
        return tuple(filter(kn.__contains__, feats))

    def _unigram(self, c: str) -> tuple[tuple[str, ...], ...]:
        """Feature groups of the (padded) char c, by the role it plays for a position:
        itself, c-1, c+1, c-2, c+2."""
        own = ["b", "c=" + c]
        if len(c) == 1:
            own.append("t=" + c.translate(_CLASS_TABLE))
        m1 = ["c-1=" + c]
        p1 = ["c+1=" + c]
        if self._cl is not None:
            cf, cc, _, _ = self._cl
            k = cf.get(c, "?")
            own += ["k=" + k, "kc=" + cc.get(c, "?")]
            m1.append("k-1=" + k)
            p1.append("k+1=" + k)
        r = (self._filter(own), self._filter(m1), self._filter(p1),
             self._filter(["c-2=" + c]), self._filter(["c+2=" + c]))
        self._c1[c] = r
        return r

    def _bigram(self, p: str, q: str) -> tuple[tuple[str, ...], ...]:
        """Feature groups of the (padded) char bigram p q, by the position they go to:
        A = the position of q (p is c-1), B = the position of p (q is c+1),
        C = the position after q (p q = c-2 c-1), D = the position before p (c+1 c+2)."""
        up = self._c1.get(p) or self._unigram(p)
        uq = self._c1.get(q) or self._unigram(q)
        pq = p + q
        kn = self.known
        A = ("c-1c=" + pq,)
        B = ("cc+1=" + pq,)
        if self._cl is not None:
            cf = self._cl[0]
            x, y = cf.get(p, "?"), cf.get(q, "?")
            A += ("k-1k=" + x + "|" + y,)
            B += ("kk+1=" + x + "|" + y,)
        C = ("c-2c-1=" + pq,)
        D = ("c+1c+2=" + pq,)
        if kn is not None:
            A = tuple(filter(kn.__contains__, A))
            B = tuple(filter(kn.__contains__, B))
            C = ("c-2c-1=" + pq,) if C[0] in kn else ()
            D = ("c+1c+2=" + pq,) if D[0] in kn else ()
        r = (uq[0] + up[1] + A, uq[2] + B, up[3] + C, uq[4] + D)
        if len(self._c2) > _CACHE_MAX:
            self._c2.clear()
        self._c2[pq] = r
        return r

    def _word_self(self, w: str) -> list[tuple[str, ...]]:
        """Features that depend only on the word (per position in the word)."""
        r = self._cWS.get(w)
        if r is not None:
            return r
        L = len(w)
        wl = str(L if L < 5 else 5)
        if L == 1:
            wps = ("S",)
        else:
            wps = ("B",) + ("M",) * (L - 2) + ("E",)
        tag = lexicon().get(w, "")
        common = []
        if L <= 4:
            common.append("w=" + w)
        if self._cl is not None:
            wk = self._cl[2].get(w)
            if wk is not None:
                common.append("wk=" + wk)
                common.append("wkc=" + self._cl[3][w])
        r = []
        for c, wp in zip(w, wps):
            f = ["wp=" + wp, "wpl=" + wp + wl, "wpc=" + wp + c]
            if c in SURNAMES:
                f.append("sur" + wp)
            f += common
            if tag:
                f.append("wt=" + tag + wp)
            r.append(self._filter(f))
        if len(self._cWS) > _CACHE_MAX:
            self._cWS.clear()
        self._cWS[w] = r
        return r

    def _word_ctx(self, w: str | None, side: str) -> tuple[str, ...]:
        """Features a word gives to its right (side 'p') or left ('n') neighbour."""
        cache = self._cP if side == "p" else self._cN
        r = cache.get(w)
        if r is not None:
            return r
        if w is None:
            f = ["pw=<s>"] if side == "p" else ["nw=</s>"]
        else:
            f = []
            if len(w) <= 4:
                f.append(side + "w=" + w)
            if w in PERSON_CONTEXT:
                f.append(side + "wP")
            if self._cl is not None:
                k = self._cl[2].get(w) if len(w) > 1 else "c" + self._cl[0].get(w, "?")
                if k is not None:
                    f.append(side + "wk=" + k)
        r = self._filter(f)
        if len(cache) > _CACHE_MAX:
            cache.clear()
        cache[w] = r
        return r

    @staticmethod
    def sparse(norm: str, cls: str, word_start: dict[int, int], psur: bool = True) -> dict[int, list[str]]:
        """The sparse clues (lexicon matches, suffixes, prefixes, surnames) of the normalised
        text: position -> feature strings, unfiltered. ``word_start`` maps the last character of
        each word to its first. ``psur=False`` leaves out the commonest, "psur" (the character
        after a surname), for a caller that adds it itself."""
        n = len(norm)

        # sparse per-char features
        extra: dict[int, list[str]] = {}

        # suffix ending at i: type and length (longest match)
        suf_end: dict[int, str] = {}
        suf_start: dict[int, int] = {}
        for m in _SUF_LAST_RX.finditer(norm):
            i = m.start()
            for L in _SUF_LENS_BY_LAST[m.group()]:
                if L <= i + 1:
                    t = _SUF_BY_LEN[L].get(norm[i - L + 1:i + 1])
                    if t is not None:
                        suf_end[i] = t + str(min(L, 3))
                        suf_start[i] = i - L + 1
                        break
        # lexicon matches (all dictionary proper nouns covering a char, not only
        # the ones jieba chose): begin / inside / end marks per tag
        lx = lexicon()
        lp = _lexicon_prefixes
        if n > 1:
            cand = list(compress(count(), map(lp.__contains__, map(add, norm, norm[1:]))))
        else:
            cand = []
        if cand:
            lex_feats: dict[int, set[str]] = {}
            for i in cand:
                if cls[i] != "H":
                    continue
                for L in lp[norm[i:i + 2]]:
                    if i + L > n:
                        break
                    t = lx.get(norm[i:i + L])
                    if t is None:
                        continue
                    for k in range(i, i + L):
                        if k not in lex_feats:
                            lex_feats[k] = set()
                    lex_feats[i].add("lB=" + t)
                    lex_feats[i + L - 1].add("lE=" + t)
                    for k in range(i + 1, i + L - 1):
                        lex_feats[k].add("lM=" + t)
            for k, v in lex_feats.items():
                extra[k] = sorted(v)

        # suffix clues
        if suf_end:
            for i, se in suf_end.items():
                x = extra.get(i)
                if x is None:
                    x = extra[i] = []
                x.append("se=" + se)
                if i in word_start:
                    x.append("sew=" + se)
                if i > 0 and suf_start[i] == i:  # a (one-char) suffix starts right after i-1
                    y = extra.get(i - 1)
                    if y is None:
                        y = extra[i - 1] = []
                    y.append("sn=" + se)
            # next multi-char suffix ahead within the same clause (no punctuation/space):
            # walk back from each multi-char suffix end up to _LOOKAHEAD chars, stopping
            # at punctuation / space or at the previous multi-char suffix end
            ends = sorted(j for j, se in suf_end.items() if not se.endswith("1"))
            prev = -1
            for j in ends:
                t = suf_end[j][:3]
                lo = max(prev + 1, j - _LOOKAHEAD)
                for i in range(j, lo - 1, -1):
                    k = cls[i]
                    if k == "P" or k == "S":
                        break
                    d = j - i
                    x = extra.get(i)
                    if x is None:
                        x = extra[i] = []
                    x.append("ns=" + t + (str(d) if d < 4 else ("m" if d < 8 else "f")))
                prev = j
        # prefix starting at i
        for m in _PRE_FIRST_RX.finditer(norm):
            i = m.start()
            for L in _PRE_LENS:
                if i + L <= n:
                    t = _PRE_BY_LEN[L].get(norm[i:i + L])
                    if t is not None:
                        x = extra.get(i)
                        if x is None:
                            x = extra[i] = []
                        x.append("ps=" + t)
                        break
        # person-name clues
        for m in _SURNAME_RX.finditer(norm, 0, n - 1 if psur else 0):
            i = m.start() + 1
            x = extra.get(i)
            if x is None:
                x = extra[i] = []
            x.append("psur")
        for m in _COMPOUND_RX.finditer(norm):
            i = m.start()
            x = extra.get(i)
            if x is None:
                x = extra[i] = []
            x.append("sur2")

        # word-final suffix clue for every char of the word
        for end, sew in suf_end.items():  # in text order, as the words are
            ws = word_start.get(end)
            if ws is not None:
                we = end + 1
                sew = "wsuf=" + sew[:3]
                if we - ws == 1:
                    extra.setdefault(ws, []).append(sew + "S")
                else:
                    extra.setdefault(ws, []).append(sew + "B")
                    for k in range(ws + 1, we - 1):
                        extra.setdefault(k, []).append(sew + "M")
                    extra.setdefault(we - 1, []).append(sew + "E")
        return extra

    def __call__(self, text: str, words: Sequence[tuple[int, int]] | None) -> list[list[str]]:
        n = len(text)
        if n == 0:
            return []
        norm = normalise(text)
        cls = norm.translate(_CLASS_TABLE)
        wl = _word_info(n, words)
        kn = self.known
        extra = self.sparse(norm, cls, {e - 1: s for s, e in wl})

        # char window features (c-2 .. c+2), cached per char bigram / trigram and
        # spread to the positions they belong to (columns A, B, C, D, TL, TM, TR)
        P = ["<s>", "<s>", *norm, "</s>", "</s>"]
        K2 = list(map(add, P, P[1:]))  # n + 3 bigrams
        V2 = list(map(self._c2.get, K2))
        if None in V2:
            big = self._bigram
            for j, v in enumerate(V2):
                if v is None:
                    v = self._c2.get(K2[j])  # may have been added meanwhile
                    V2[j] = v if v is not None else big(P[j], P[j + 1])
        colA = list(map(_G0, V2[1:n + 1]))
        colB = list(map(_G1, V2[2:n + 2]))
        colC = list(map(_G2, V2[0:n]))
        colD = list(map(_G3, V2[3:n + 3]))
        # trigram-level strings (mostly rare): built column-wise, filtered per position
        K3 = list(map(add, K2, P[2:]))  # n + 2 trigrams
        sL = list(map(add, repeat("c-2c-1c="), K3[0:n]))
        sM = list(map(add, repeat("c-1cc+1="), K3[1:n + 1]))
        sR = list(map(add, repeat("cc+1c+2="), K3[2:n + 2]))
        sK = list(map(add, repeat("c-1c+1="), map(add, P[1:n + 1], P[3:n + 3])))
        Kp = "B" + cls + "E"
        t3 = list(map(add, repeat("t3="), map(add, map(add, Kp, Kp[1:]), Kp[2:])))
        knc = kn.__contains__ if kn is not None else None

        # assemble, word by word
        feats: list[list[str]] = []
        app = feats.append
        word_self = self._word_self
        cWS = self._cWS.get
        cP = self._cP.get
        cN = self._cN.get
        word_ctx = self._word_ctx
        wstr = [norm[s:e] for s, e in wl]
        prevf = word_ctx(None, "p")
        nxt_w = wstr[1:]
        nxt_w.append(None)
        for (ws, we), w, nwd in zip(wl, wstr, nxt_w):
            nf = cN(nwd)
            if nf is None:
                nf = word_ctx(nwd, "n")
            ctx = prevf + nf
            prevf = cP(w)
            if prevf is None:
                prevf = word_ctx(w, "p")
            selfs = cWS(w)
            if selfs is None:
                selfs = word_self(w)
            if we - ws == 1:
                app([*colA[ws], *colB[ws], *colC[ws], *colD[ws], t3[ws], *selfs[0], *ctx,
                     *filter(knc, (sL[ws], sM[ws], sR[ws], sK[ws]))])
            else:
                for a_, b_, c_, d_, t3_, sf, l_, m_, r_, k_ in zip(
                        colA[ws:we], colB[ws:we], colC[ws:we], colD[ws:we], t3[ws:we], selfs,
                        sL[ws:we], sM[ws:we], sR[ws:we], sK[ws:we]):
                    app([*a_, *b_, *c_, *d_, t3_, *sf, *ctx, *filter(knc, (l_, m_, r_, k_))])
        if len(feats) != n:  # words must cover the text exactly once (see _word_info)
            raise AssertionError("word spans do not cover the text")
        if kn is None:
            for i, x in extra.items():
                feats[i] += x
        else:
            for i, x in extra.items():
                feats[i] += [s for s in x if s in kn]
        return feats


_default_featurizer: Featurizer | None = None


def sent2features(text: str, words: Sequence[tuple[int, int]] | None) -> list[list[str]]:
    """All features (unfiltered) of every character, as used for training."""
    global _default_featurizer
    if _default_featurizer is None or _default_featurizer.use_clusters != USE_CLUSTERS:
        _default_featurizer = Featurizer(None, use_clusters=USE_CLUSTERS)
    return _default_featurizer(text, words)


def model_attributes(tagger: pycrfsuite.Tagger) -> frozenset[str]:
    """Names of the attributes that have a state-feature weight in the model."""
    import os
    import re
    import tempfile

    fd, name = tempfile.mkstemp(suffix=".txt")
    os.close(fd)
    try:
        tagger.dump(name)
        out = set()
        rx = re.compile(r"^\s*\(\d+\) (.*) --> ")
        with open(name, encoding="utf-8", errors="surrogateescape", newline="\n") as f:
            section = None
            for line in f:
                if line.startswith("STATE_FEATURES"):
                    section = "s"
                    continue
                if section == "s":
                    if line.startswith("}"):
                        break
                    m = rx.match(line)
                    if m:
                        out.add(m.group(1))
        return frozenset(out)
    finally:
        os.unlink(name)

# ------------------------------------------------------------------ tags

def spans_to_tags(n: int, spans: Iterable[Span], scheme: str = "BIOES") -> list[str]:
    tags = ["O"] * n
    for s, e, t in sorted(spans, key=lambda x: (x[0], -(x[1] - x[0]))):
        if s < 0 or e > n or e <= s or any(tags[k] != "O" for k in range(s, e)):
            continue  # drop overlapping / invalid spans
        if scheme == "BIOES":
            if e - s == 1:
                tags[s] = "S-" + t
            else:
                tags[s] = "B-" + t
                for k in range(s + 1, e - 1):
                    tags[k] = "I-" + t
                tags[e - 1] = "E-" + t
        else:
            tags[s] = "B-" + t
            for k in range(s + 1, e):
                tags[k] = "I-" + t
    return tags


def tags_to_spans(tags: Sequence[str]) -> list[Span]:
    """Decode BIO or BIOES; tolerant (I/E without B opens a span)."""
    out: list[Span] = []
    start, cur = -1, None
    for i, tag in enumerate(tags):
        if tag == "O":
            if cur is not None:
                out.append((start, i, cur))
            start, cur = -1, None
            continue
        p, t = tag[0], tag[2:]
        if p in ("B", "S") or cur != t:
            if cur is not None:
                out.append((start, i, cur))
            start, cur = i, t
        if p in ("S", "E"):
            out.append((start, i + 1, cur))
            start, cur = -1, None
    if cur is not None:
        out.append((start, len(tags), cur))
    return out


# ------------------------------------------------------------------ tagger

class CRFTagger:
    """Tags text with the CRF: compiled (:mod:`kg.nlp.crfvec`, vectorised features and a
    numba Viterbi) when the model allows, else through crfsuite with feature strings. Both
    give the same tags."""

    def __init__(self, tagger: pycrfsuite.Tagger, path: Path | None = None, compiled: bool = True) -> None:
        self._tagger = tagger
        self.path = path
        self._seg = _Segmenter()
        self._featurizer: Featurizer | None = None
        self._compiled = None
        if compiled and path is not None:
            from kg.nlp.crfvec import compile_model

            self._compiled = compile_model(path)

    @property
    def _feat(self) -> Featurizer:
        """The string featurizer for crfsuite (built on first use: reading the model's
        attribute names costs a second)."""
        if self._featurizer is None:
            known = model_attributes(self._tagger)
            # cluster features only if the model was trained with them (FEATURE_VERSION 3)
            self._featurizer = Featurizer(known, use_clusters=any(a.startswith("k=") for a in known))
        return self._featurizer

    @classmethod
    def load(cls, path: str | Path | None = None, compiled: bool = True) -> "CRFTagger":
        p = Path(path) if path is not None else default_model_path()
        if not p.is_file():
            raise FileNotFoundError(f"CRF model not found: {p}")
        t = pycrfsuite.Tagger()
        t.open(str(p))
        return cls(t, p, compiled)

    @property
    def labels(self) -> list[str]:
        return list(self._tagger.labels())

    def words(self, text: str) -> list[tuple[int, int]]:
        return self._seg.words(text)

    def tag(self, text: str, words: list[tuple[int, int]] | None = None) -> list[Span]:
        if not text:
            return []
        return self.tag_many([text], [words])[0]

    def tag_many(self, texts: Iterable[str],
                 words: Iterable[list[tuple[int, int]] | None] | None = None) -> list[list[Span]]:
        """Spans of each text; the compiled model tags them all in one go."""
        texts = list(texts)
        wl = [None] * len(texts) if words is None else list(words)
        wl = [self._seg.words(t) if w is None and t else w for t, w in zip(texts, wl)]
        if self._compiled is not None:
            tags = self._compiled.tag(texts, wl)
        else:
            tags = [self._tagger.tag(self._feat(t, w)) if t else [] for t, w in zip(texts, wl)]
        return [_trimmed(t, tags_to_spans(g)) for t, g in zip(texts, tags)]


def _trimmed(text: str, spans: list[Span]) -> list[Span]:
    """Never return spans that are only whitespace/punctuation at the edges."""
    out = []
    for s, e, t in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e, t))
    return out

"""Statistical Chinese NER: a linear-chain CRF (python-crfsuite) over characters.

Run it on the **Simplified** view of the text. Features per character: the
character and its class, character uni/bi/tri-grams in a +-2 window, the jieba
word it belongs to (B/M/E/S position, length, the word itself when short, the
neighbouring words), generic suffix / prefix clues for organisations, companies,
government bodies, places and job titles (does a known suffix end here, how far
ahead is the next one), proper nouns from jieba's bundled dictionary
(nr/ns/nt/nz/j) covering the character, surname and speech-verb clues for
person names. See kg/resources/models/MODEL_CARD.md for data and scores.

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

import threading
from pathlib import Path
from typing import Iterable, Sequence

import pycrfsuite

MODEL_VERSION = "ner-crf-v1"
FEATURE_VERSION = 2

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
_lexicon_prefixes: frozenset[str] = frozenset()
_lexicon_lock = threading.Lock()


def lexicon() -> dict[str, str]:
    """word -> coarse tag for the proper-noun entries of jieba's bundled dict.txt."""
    global _lexicon, _lexicon_prefixes
    if _lexicon is None:
        with _lexicon_lock:
            if _lexicon is None:
                import jieba

                lex: dict[str, str] = {}
                path = Path(jieba.__file__).resolve().parent / "dict.txt"
                with open(path, encoding="utf-8") as f:
                    for line in f:
                        parts = line.split()
                        if len(parts) == 3 and 2 <= len(parts[0]) <= _LEX_MAXLEN:
                            t = _LEX_TAGS.get(parts[2])
                            if t is not None:
                                lex[parts[0].lower()] = t
                _lexicon_prefixes = frozenset(w[:2] for w in lex)
                _lexicon = lex
    return _lexicon


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


# ------------------------------------------------------------------ features

def _word_info(n: int, words: Sequence[tuple[int, int]] | None):
    """Per-char word index array from spans (gaps become one-char words)."""
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
    order = sorted(range(len(wl)), key=lambda k: wl[k][0])
    rank = {k: r for r, k in enumerate(order)}
    return [rank[k] for k in widx], [wl[k] for k in order]


def sent2features(text: str, words: Sequence[tuple[int, int]] | None) -> list[list[str]]:
    n = len(text)
    if n == 0:
        return []
    chars = [_norm_char(c) for c in text]
    cls = [_char_class(c) for c in chars]
    norm = "".join(chars)
    widx, wl = _word_info(n, words)
    wstr = [norm[s:e] for s, e in wl]

    # suffix ending at i: type and length (longest match)
    suf_end: list[str | None] = [None] * n
    suf_start = [0] * n
    for i in range(n):
        if chars[i] not in _SUF_LAST:
            continue
        for L in _SUF_LENS:
            if L <= i + 1:
                t = _SUF_BY_LEN[L].get(norm[i - L + 1:i + 1])
                if t is not None:
                    suf_end[i] = f"{t}{min(L, 3)}"
                    suf_start[i] = i - L + 1
                    break
    # prefix starting at i
    pre_start: list[str | None] = [None] * n
    for i in range(n):
        if chars[i] not in _PRE_FIRST:
            continue
        for L in _PRE_LENS:
            if i + L <= n:
                t = _PRE_BY_LEN[L].get(norm[i:i + L])
                if t is not None:
                    pre_start[i] = t
                    break
    # next multi-char suffix ahead within the same clause (no punctuation/space)
    nxt: list[str | None] = [None] * n
    nxt_d = [0] * n
    cur_t, cur_j = None, -1
    for i in range(n - 1, -1, -1):
        if cls[i] in ("P", "S"):
            cur_t, cur_j = None, -1
        elif suf_end[i] is not None and not suf_end[i].endswith("1"):
            cur_t, cur_j = suf_end[i][:3], i
        if cur_t is not None and cur_j - i <= _LOOKAHEAD:
            nxt[i] = cur_t
            nxt_d[i] = cur_j - i
        else:
            nxt[i] = None

    # lexicon matches (all dictionary proper nouns covering a char, not only
    # the ones jieba chose): begin / inside / end marks per tag
    lx = lexicon()
    lp = _lexicon_prefixes
    lex_feats: list[set[str] | None] = [None] * n
    for i in range(n):
        if cls[i] != "H":
            continue
        if norm[i:i + 2] not in lp:
            continue
        for L in range(2, _LEX_MAXLEN + 1):
            if i + L > n:
                break
            t = lx.get(norm[i:i + L])
            if t is None:
                continue
            for k in range(i, i + L):
                if lex_feats[k] is None:
                    lex_feats[k] = set()
            lex_feats[i].add("lB=" + t)
            lex_feats[i + L - 1].add("lE=" + t)
            for k in range(i + 1, i + L - 1):
                lex_feats[k].add("lM=" + t)
    wtag = [lx.get(x, "") for x in wstr]

    # fixed features, built column-wise (much faster than per-char lists)
    C = ["<s>", "<s>"] + chars + ["</s>", "</s>"]
    K = ["B", "B"] + cls + ["E", "E"]
    cm2, cm1, c0, cp1, cp2 = C[0:n], C[1:n + 1], chars, C[3:n + 3], C[4:n + 4]
    km1, kp1 = K[1:n + 1], K[3:n + 3]
    wps: list[str] = [""] * n
    wls: list[int] = [0] * n
    for ws, we in wl:
        L = we - ws
        if L == 1:
            wps[ws] = "S"
        else:
            wps[ws] = "B"
            for k in range(ws + 1, we - 1):
                wps[k] = "M"
            wps[we - 1] = "E"
        for k in range(ws, we):
            wls[k] = L if L < 5 else 5
    feats = [list(r) for r in zip(
        ["b"] * n,
        ["c=" + x for x in c0],
        ["c-1=" + x for x in cm1],
        ["c+1=" + x for x in cp1],
        ["c-2=" + x for x in cm2],
        ["c+2=" + x for x in cp2],
        ["c-1c=" + x + y for x, y in zip(cm1, c0)],
        ["cc+1=" + x + y for x, y in zip(c0, cp1)],
        ["c-2c-1=" + x + y for x, y in zip(cm2, cm1)],
        ["c+1c+2=" + x + y for x, y in zip(cp1, cp2)],
        ["c-1c+1=" + x + y for x, y in zip(cm1, cp1)],
        ["c-1cc+1=" + x + y + z for x, y, z in zip(cm1, c0, cp1)],
        ["c-2c-1c=" + x + y + z for x, y, z in zip(cm2, cm1, c0)],
        ["cc+1c+2=" + x + y + z for x, y, z in zip(c0, cp1, cp2)],
        ["t=" + x for x in cls],
        ["t3=" + x + y + z for x, y, z in zip(km1, cls, kp1)],
        ["wp=" + x for x in wps],
        ["wpl=" + x + str(y) for x, y in zip(wps, wls)],
        ["wpc=" + x + y for x, y in zip(wps, c0)],
    )]

    # per-word features, computed once per word
    nw = len(wl)
    word_feats: list[list[str]] = []
    for wi in range(nw):
        w = wstr[wi]
        wf = []
        if len(w) <= 4:
            wf.append("w=" + w)
        word_feats.append(wf)
    ctx_feats: list[list[str]] = []
    for wi in range(nw):
        cf = []
        if wi > 0:
            pw = wstr[wi - 1]
            if len(pw) <= 4:
                cf.append("pw=" + pw)
            if pw in PERSON_CONTEXT:
                cf.append("pwP")
        else:
            cf.append("pw=<s>")
        if wi + 1 < nw:
            nwd = wstr[wi + 1]
            if len(nwd) <= 4:
                cf.append("nw=" + nwd)
            if nwd in PERSON_CONTEXT:
                cf.append("nwP")
        else:
            cf.append("nw=</s>")
        ctx_feats.append(cf)

    for i in range(n):
        f = feats[i]
        wi = widx[i]
        we = wl[wi][1]
        wp = wps[i]
        f.extend(word_feats[wi])
        if wtag[wi]:
            f.append("wt=" + wtag[wi] + wp)
        if lex_feats[i] is not None:
            f.extend(sorted(lex_feats[i]))
        f.extend(ctx_feats[wi])
        # suffix / prefix clues
        se = suf_end[i]
        if se is not None:
            f.append("se=" + se)
            if i == we - 1:
                f.append("sew=" + se)
        sew = suf_end[we - 1]
        if sew is not None:
            f.append("wsuf=" + sew[:3] + wp)
        if nxt[i] is not None:
            d = nxt_d[i]
            f.append("ns=" + nxt[i] + (str(d) if d < 4 else ("m" if d < 8 else "f")))
        if i + 1 < n and suf_end[i + 1] is not None and suf_start[i + 1] == i + 1:
            f.append("sn=" + suf_end[i + 1])  # a suffix starts right after
        ps = pre_start[i]
        if ps is not None:
            f.append("ps=" + ps)
        # person-name clues
        c = c0[i]
        if c in SURNAMES:
            f.append("sur" + wp)
        if i + 1 < n and norm[i:i + 2] in COMPOUND_SURNAMES:
            f.append("sur2")
        if i > 0 and c0[i - 1] in SURNAMES:
            f.append("psur")
    return feats


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
    def __init__(self, tagger: pycrfsuite.Tagger, path: Path | None = None) -> None:
        self._tagger = tagger
        self.path = path
        self._seg = _Segmenter()

    @classmethod
    def load(cls, path: str | Path | None = None) -> "CRFTagger":
        p = Path(path) if path is not None else default_model_path()
        if not p.is_file():
            raise FileNotFoundError(f"CRF model not found: {p}")
        t = pycrfsuite.Tagger()
        t.open(str(p))
        return cls(t, p)

    @property
    def labels(self) -> list[str]:
        return list(self._tagger.labels())

    def words(self, text: str) -> list[tuple[int, int]]:
        return self._seg.words(text)

    def tag(self, text: str, words: list[tuple[int, int]] | None = None) -> list[Span]:
        if not text:
            return []
        if words is None:
            words = self._seg.words(text)
        xseq = sent2features(text, words)
        tags = self._tagger.tag(xseq)
        spans = tags_to_spans(tags)
        # never return spans that are only whitespace/punctuation at the edges
        out = []
        for s, e, t in spans:
            while s < e and text[s].isspace():
                s += 1
            while e > s and text[e - 1].isspace():
                e -= 1
            if e > s:
                out.append((s, e, t))
        return out

    def tag_many(self, texts: Iterable[str],
                 words: Iterable[list[tuple[int, int]] | None] | None = None) -> list[list[Span]]:
        if words is None:
            return [self.tag(t) for t in texts]
        return [self.tag(t, w) for t, w in zip(texts, words)]

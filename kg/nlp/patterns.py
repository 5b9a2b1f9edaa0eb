"""Rule layers for what rules do best: stock codes, numbers with units, dates,
organisation suffixes, titles followed by names, quoted product names.

Every function takes the Simplified analysis text (and jieba token spans where
it needs them) and yields ``Candidate`` spans; nothing here knows any article.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Collection, Iterator, Mapping, Sequence
from operator import itemgetter
from typing import NamedTuple

from kg.text import LINE_BREAKS

__all__ = [
    "Candidate",
    "dates",
    "numbers",
    "stock_codes",
    "org_suffixes",
    "titled_people",
    "quoted_products",
    "tokens_among",
    "SURNAMES",
]


class Candidate(NamedTuple):
    start: int
    end: int
    type: str
    source: str
    canonical: str | None = None
    code: str | None = None


# ---------------------------------------------------------------- numbers
def _anchored(first: str, pattern: str) -> re.Pattern[str]:
    """``pattern`` behind a lookahead for the characters its matches can start with (``first``, a
    class that holds all of them): the same matches, but Python's engine then skips the other
    positions of a text in C instead of trying the whole pattern at each (2-3x faster scans
    of news text, where these patterns match at few places)."""
    return re.compile(f"(?={first})(?:{pattern})")


_DIGITS = r"(?:\d+(?:,\d{3})*(?:\.\d+)?)"
_CN_NUM = r"(?:[零〇一二两三四五六七八九十百千]+(?:点[零〇一二三四五六七八九]+)?)"
_NUM = rf"(?:{_DIGITS}|{_CN_NUM})"
_NUM_FIRST = r"[\d零〇一二两三四五六七八九十百千]"  # what a number (or 百分之) starts with
_MAG = r"(?:万亿|千亿|百亿|十亿|亿|千万|百万|十万|万|千|百)"
_FUZZ = r"(?:多|余|几)"
CLASSIFIERS = (
    "个|家|座|台|辆|架|名|位|人|款|项|套|块|张|部|条|所|户|次|批|种|只|颗|栋|间|倍|吨|千克|公斤|"
    "克|公里|千米|平方米|平方公里|米|亩|公顷|升|千瓦时|千瓦|兆瓦|吉瓦|瓦|小时|分钟|秒|天|年|周|岁|股|手|份|件|片|根|枚|例|篇|帧"
)
CURRENCIES = "人民币元|美元|港元|港币|欧元|日元|英镑|韩元|元"
LATIN_UNITS = r"(?:[EPTGMK]?(?:flops|FLOPS|Flops|FLOPs)|EB|PB|TB|GB|MB|GHz|MHz|nm|kWh|kW|MW|GW|Gbps|G|W)"

MONEY_RE = _anchored(_NUM_FIRST, rf"{_NUM}{_MAG}?{_FUZZ}?(?:{CURRENCIES})")
_SPACE = r"[ \t\u00a0]"  # within a line: a value never continues on the next one
PERCENT_RE = _anchored(_NUM_FIRST, rf"(?:{_DIGITS}{_SPACE}?%|百分之{_CN_NUM}|{_NUM}个百分点)")
QUANTITY_RE = _anchored(_NUM_FIRST, rf"{_NUM}{_MAG}?{_FUZZ}?(?:{CLASSIFIERS})|{_DIGITS}{_SPACE}?{LATIN_UNITS}(?![A-Za-z])")

# ---------------------------------------------------------------- dates
DATE_RE = _anchored(
    r"[\d今去明前]",
    r"\d{4}-\d{1,2}-\d{1,2}"
    r"|\d{4}年\d{1,2}月\d{1,2}[日号]"
    r"|\d{4}年\d{1,2}月(?:[初底末中]|上旬|中旬|下旬)?"
    r"|\d{1,2}月\d{1,2}[日号]"
    r"|\d{4}年(?:初|底|末|中|上半年|下半年|第[一二三四]季度|[一二三四]季度)?"
    r"|(?:今|去|明|前)年(?:初|底|末|上半年|下半年)?"
    r"|\d{1,2}月(?:初|底|末|中|份)"
)


def dates(text: str) -> Iterator[Candidate]:
    for m in DATE_RE.finditer(text):
        yield Candidate(m.start(), m.end(), "DATE", "pattern")


def numbers(text: str) -> Iterator[Candidate]:
    """Money, percentages and counted quantities (700多个, 51.3万个, 6.2Eflops)."""
    for regex, etype in ((MONEY_RE, "MONEY"), (PERCENT_RE, "PERCENT"), (QUANTITY_RE, "QUANTITY")):
        for m in regex.finditer(text):
            if m.start() > 0 and (text[m.start() - 1].isdigit() or text[m.start() - 1] == "."):
                continue  # inside a longer number
            yield Candidate(m.start(), m.end(), etype, "pattern")


# ---------------------------------------------------------------- stock codes
_CODE = r"(?:\d{6}\.(?:SH|SZ|SS|BJ)|\d{4,5}\.HK|(?:SH|SZ|HK)\d{4,6}|\d{4,6}|[A-Z]{1,5}\.(?:US|O|N))"
STOCK_IN_PARENS = re.compile(rf"[（(]\s*(?:(?:港股|A股|美股|股票代码|代码)[:：]?\s*)?({_CODE})\s*[)）]")
STOCK_BARE = _anchored(r"[\dS]", r"(?<![\dA-Za-z.])(\d{6}\.(?:SH|SZ|SS|BJ)|\d{4,5}\.HK|(?:SH|SZ)\d{6})(?![\dA-Za-z])")
_NAME_CHARS = re.compile(r"[\u4e00-\u9fffA-Za-z0-9·&\-]+$")
# Whole tokens after which a company name starts: function words and reporting verbs.
_NAME_BREAKS = set(
    "对 为 由 及 和 与 向 在 把 被 将 从 给 让 据 于 是 等 其 而 但 如 即 或 以及 包括 例如 比如 其中 此外 另外 同时 "
    "据悉 今日 昨日 目前 近日 日前 所属 旗下 提到 研究 覆盖 首次 关注 推荐 建议 发布 公告 宣布 获悉 表示 称 指 "
    "相关 概念股 龙头股 个股 股票 港股 A股 美股 标的 龙头 包含 涉及 子公司 母公司 控股股东 股东".split()
)


def _in_title(text: str, pos: int) -> bool:
    """Whether ``pos`` is inside an open 《…》 book/report title."""
    open_ = text.rfind("《", max(0, pos - 40), pos)
    return open_ >= 0 and text.find("》", open_, pos) < 0


def normalise_code(code: str) -> str:
    """Exchange-normalised code: 600519.SH, 00700.HK style where the exchange is given."""
    code = code.upper()
    if code.startswith(("SH", "SZ", "HK")) and code[2:].isdigit():
        return f"{code[2:]}.{code[:2]}"
    return code.replace(".SS", ".SH")


def stock_codes(text: str, tokens: Sequence[tuple[int, int]] = ()) -> Iterator[Candidate]:
    """``NAME(CODE)``: a COMPANY span carrying the code, and a STOCK span for the code.

    The name is the run of name characters before the bracket, cut after the last
    whole-token function word or reporting verb (对, 所属, 研究, 提到 …) and any number."""
    order: list[int] = []  # jieba tokens' starts: in text order, not overlapping (made at the first code)
    starts: set[int] = set()
    for m in STOCK_IN_PARENS.finditer(text):
        if not order and len(tokens):  # (tokens may be an array)
            order = [s for s, _ in tokens]
            starts = set(order)
        code = normalise_code(m.group(1))
        if re.fullmatch(r"(?:19|20)\d\d", code) or _in_title(text, m.start()):
            continue  # (2024) is a year; 《…(2024)》 is a title, not a listing
        yield Candidate(m.start(1), m.end(1), "STOCK", "pattern", code=code)
        run = _NAME_CHARS.search(text, max(0, m.start() - 24), m.start())
        if not run:
            continue
        begin = run.start()
        for k in range(bisect_left(order, begin), len(tokens)):  # the whole tokens inside the run
            s_, e_ = tokens[k]
            if e_ > m.start():
                break
            word = text[s_:e_]
            if word in _NAME_BREAKS or re.fullmatch(r"[\d.]+[年月日号]?", word):
                begin = e_
        while begin < m.start() and text[begin] in "-·&":
            begin += 1
        if starts and begin not in starts and begin != run.start():
            continue
        if 2 <= m.start() - begin <= 16 and not text[begin : m.start()].isdigit():
            yield Candidate(begin, m.start(), "COMPANY", "pattern", code=code)
    for m in STOCK_BARE.finditer(text):
        yield Candidate(m.start(1), m.end(1), "STOCK", "pattern", code=normalise_code(m.group(1)))


#: Up to this many words, :func:`tokens_among` finds them with ``str.find`` (a C scan of the
#: text per word); a larger vocabulary (a user's lexicon of titles) is looked up token by token.
_FIND_MAX = 64


def tokens_among(text: str, tokens: Sequence[tuple[int, int]], vocabulary: Collection[str]) -> list[int]:
    """The indices, in order, of the tokens (sorted, non-overlapping spans of ``text``) whose
    text is one of ``vocabulary``'s words. A small vocabulary is found in the text first, so that
    only the tokens starting where one of its words does are looked at."""
    if len(vocabulary) > _FIND_MAX or "" in vocabulary:
        return [i for i, (s, e) in enumerate(tokens) if text[s:e] in vocabulary]
    found = set()
    for word in vocabulary:
        pos = text.find(word)
        while pos >= 0:
            found.add(pos)
            pos = text.find(word, pos + 1)
    out = []
    for pos in sorted(found):
        i = bisect_left(tokens, pos, key=itemgetter(0))  # the first token starting at or after pos
        while i < len(tokens) and tokens[i][0] == pos:
            if text[pos : tokens[i][1]] in vocabulary:
                out.append(i)
            i += 1
    return out


# ---------------------------------------------------------------- organisations
ORG_SUFFIXES = {
    "股份有限公司": "COMPANY",
    "有限责任公司": "COMPANY",
    "有限公司": "COMPANY",
    "集团": "COMPANY",
    "公司": "COMPANY",
    "控股": "COMPANY",
    "银行": "COMPANY",
    "证券": "COMPANY",
    "基金": "COMPANY",
    "保险": "COMPANY",
    "资本": "COMPANY",
    "科技": "COMPANY",
    "大学": "ORG",
    "学院": "ORG",
    "研究院": "ORG",
    "研究所": "ORG",
    "协会": "ORG",
    "委员会": "GOV",
    "管理局": "GOV",
}
_STOP_HEADS = set(
    "该 这家 本 我们 旗下 子 母 上市 相关 互联网 科技 一家 多家 各家 这些 其他 国内 国外 海外 头部 龙头 "
    "大型 中小 民营 国有 外资 合资 金融 投资 商业 部分 全部 所有 成立 控股 参股 新 老 大 小 其 分 总".split()
)


#: jieba dictionary tags that never start a name: verbs, adverbs, prepositions, pronouns …
_NON_NAME_TAGS = ("v", "d", "p", "c", "r", "u", "m", "f", "t", "a", "q", "y", "e", "o")
_PROPER_TAGS = {"ns", "nz", "nt", "nr", "nrt", "nrfg", "j", None}


def _is_name_token(token: str, tags: Mapping[str, str]) -> bool:
    if token in _STOP_HEADS:
        return False
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9&.\-]*", token):
        return True
    tag = tags.get(token)
    if tag is not None and tag.startswith(_NON_NAME_TAGS):
        return False
    return bool(re.fullmatch(r"[\u4e00-\u9fff]{2,6}", token))


def org_suffixes(
    text: str, tokens: Sequence[tuple[int, int]], tags: Mapping[str, str] | None = None
) -> Iterator[Candidate]:
    """Name-like tokens followed by organisation suffix tokens: 360集团, 中国电信股份有限公司.

    ``tags`` is jieba's dictionary word -> POS tag: a verb or adverb is no name (减持公司)."""
    tags = tags or {}
    for i in tokens_among(text, tokens, ORG_SUFFIXES):
        start, end = tokens[i]
        etype = ORG_SUFFIXES[text[start:end]]
        if i == 0:
            continue
        pstart, pend = tokens[i - 1]
        if pend != start or not _is_name_token(text[pstart:pend], tags):
            continue
        if tags.get(text[pstart:pend]) == "n" and text[start:end] == "公司":
            continue  # a common noun + 公司 is a kind of company (芯片公司), not a name
        k = i - 2  # 中国 雄安 集团: earlier proper-noun tokens belong to the name
        while k >= 0 and i - k <= 3 and tokens[k][1] == pstart and end - tokens[k][0] <= 12:
            word = text[tokens[k][0] : tokens[k][1]]
            if word in _STOP_HEADS or tags.get(word, None) not in _PROPER_TAGS or len(word) < 2:
                break
            pstart = tokens[k][0]
            k -= 1
        j = i + 1  # 星河 科技 有限公司: take the chained suffixes too
        while j < len(tokens) and tokens[j][0] == end and text[tokens[j][0] : tokens[j][1]] in ORG_SUFFIXES:
            end = tokens[j][1]
            etype = ORG_SUFFIXES[text[tokens[j][0] : end]]
            j += 1
        yield Candidate(pstart, end, etype, "pattern")


# ---------------------------------------------------------------- people after titles
SURNAMES = set(
    "王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 高 林 罗 郑 梁 谢 宋 唐 许 韩 冯 邓 曹 彭 曾 肖 田 董 袁 潘 于 蒋 蔡 "
    "余 杜 叶 程 苏 魏 吕 丁 任 沈 姚 卢 姜 崔 钟 谭 陆 汪 范 金 石 廖 贾 夏 韦 付 方 白 邹 孟 熊 秦 邱 江 尹 薛 闫 段 雷 侯 "
    "龙 史 陶 黎 贺 顾 毛 郝 龚 邵 万 钱 严 覃 武 戴 莫 孔 向 汤 常 温 康 施 文 牛 樊 葛 邢 安 齐 易 乔 伍 庞 颜 倪 庄 聂 "
    "章 鲁 岳 翟 殷 詹 申 欧 耿 关 兰 焦 俞 左 柳 甘 祝 包 宁 尚 符 舒 阮 柯 纪 梅 童 凌 毕 单 季 裴 霍 涂 成 苗 谷 盛 曲 "
    "翁 冉 骆 蓝 路 游 辛 靳 管 柴 蒙 鲍 华 喻 祁 蒲 房 滕 屈 饶 解 牟 艾 尤 阳 时 穆 农 司 卓 古 吉 缪 简 车 项 连 芦 "
    "麦 褚 娄 窦 戚 岑 景 党 宫 费 卜 冷 晏 席 卫 米 柏 宗 瞿 桂 全 佟 应 臧 闵 苟 邬 边 卞 姬 师 和 仇 栾 隋 商 刁 沙 荣 "
    "巫 寇 桑 郎 甄 丛 仲 虞 敖 巩 明 佘 池 查 麻 苑 迟 邝 官 封 谈 匡 鞠 惠 荆 乐 冀 郁 胥 南 班 储 原 栗 燕 楚 鄢 劳 谌 "
    "奚 皮 粟 冼 蔺 楼 盘 满 闻 位 厉 伊 仝 区 郜 海 阚 花 权 强 帅 屠 豆 朴 盖 练 廉 禹 井 祖 漆 巴 丰 支 卿 国 狄 平 计 "
    "索 宣 晋 相 初 门 云 容 敬 来 扈 晁 芮 都 普 阙 浦 戈 伏 鹿 薄 邸 雍 辜 羊 阿 乌 母 裘 亓 修 邰 赫 杭 况 那 宿 鲜 印 "
    "逯 隆 茹 诸 战 慕 危 玉 银 亢 嵇 公 哈 湛 宾 戎 勾 茅 利 於 呼 居 揭 干 但 尉 冶 斯 元 束 檀 衣 信 展 阴 昝 智 幸 奉 "
    "植 衡 富 尧 闭 由 欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 令狐 长孙 宇文 司徒 夏侯".split()
)
_NOT_NAMES = set(
    "表示 指出 认为 称 说 也 在 的 是 将 已 等 及 和 与 对 就 为 曾 还 则 都 又 并 兼 同时 此前 目前 近日 今日 昨日 "
    "日前 此外 介绍 透露 强调 坦言 直言 预计 预测 提出 回应 接受 采访 公开 发表 告诉 记者 一行 先生 女士 本人 "
    "任 担任 出任 辞任 兼任".split()
)


def titled_people(
    text: str, tokens: Sequence[tuple[int, int]], titles: set[str]
) -> Iterator[Candidate]:
    """``TITLE NAME``: 董事长周鸿祎 — a job title token followed by a surname-initial name token."""
    for i in tokens_among(text, tokens, titles):
        start, end = tokens[i]
        if i == len(tokens) - 1:
            break
        yield Candidate(start, end, "POSITION", "pattern")
        nstart, nend = tokens[i + 1]
        # jieba often splits an unseen name after the surname: 张|明远, 王|立新
        if (
            nend - nstart == 1
            and i + 2 < len(tokens)
            and tokens[i + 2][0] == nend
            and 1 <= tokens[i + 2][1] - tokens[i + 2][0] <= 2
            and text[nstart:nend] in SURNAMES
        ):
            nend = tokens[i + 2][1]
        name = text[nstart:nend]
        if (
            2 <= len(name) <= 4
            and re.fullmatch(r"[\u4e00-\u9fff·]+", name)
            and (name[0] in SURNAMES or name[:2] in SURNAMES)
            and name not in _NOT_NAMES
            and name[1:] not in _NOT_NAMES
        ):
            yield Candidate(nstart, nend, "PERSON", "pattern")


# ---------------------------------------------------------------- quoted products
PRODUCT_CUES = (
    "模型", "大模型", "产品", "系统", "平台", "应用", "软件", "芯片", "手机", "游戏",
    "机器人", "套餐", "App", "APP", "app", "操作系统", "服务", "工具", "助手", "汽车", "车型",
)
QUOTED = re.compile(rf"[“\"「『]([^“”\"「」『』，。,；;！？{LINE_BREAKS}]{{1,24}})[”\"」』]")


def quoted_products(text: str) -> Iterator[Candidate]:
    """A quoted name right after or before a product cue: 模型“Sora”, “能力+算力”套餐."""
    for m in QUOTED.finditer(text):
        before = text[max(0, m.start() - 6) : m.start()]
        after = text[m.end() : m.end() + 6]
        if before.endswith(PRODUCT_CUES) or after.startswith(PRODUCT_CUES):
            yield Candidate(m.start(1), m.end(1), "PRODUCT", "pattern")


# ---------------------------------------------------------------- latin names with a cue
LATIN_NAME = _anchored("[A-Z]", r"(?<![A-Za-z0-9])[A-Z][A-Za-z0-9]*(?:[·.\-][A-Za-z0-9]+)*(?: ?\d+(?:\.\d+)?)?(?![A-Za-z0-9])")
COMPANY_CUES = ("公司", "集团", "Inc", "Ltd", "Corp")


def latin_names(text: str) -> Iterator[Candidate]:
    """English names typed by the word after them: Pika等应用 -> PRODUCT, Xyz公司 -> COMPANY."""
    for m in LATIN_NAME.finditer(text):
        if len(m.group(0)) < 2:
            continue
        after = text[m.end() : m.end() + 8].lstrip(" 等")
        before = text[max(0, m.start() - 4) : m.start()]
        if after.startswith(COMPANY_CUES):
            yield Candidate(m.start(), m.end(), "COMPANY", "pattern")
        elif after.startswith(PRODUCT_CUES) or before.endswith(PRODUCT_CUES):
            yield Candidate(m.start(), m.end(), "PRODUCT", "pattern")


# ---------------------------------------------------------------- compounds and guesses
_DEMAND_TAIL = re.compile(r"[^，。；、,;：:\s“”\"（）()]{0,8}?需求")


def compound_concepts(text: str, cands: Sequence[Candidate]) -> Iterator[Candidate]:
    """A concept followed by a demand word is the demand for that concept:
    对算力基础设施的相关需求 -> 算力需求 (the span covers the whole phrase)."""
    for c in cands:
        if c.type != "CONCEPT" or text[c.start : c.end].endswith("需求"):
            continue
        m = _DEMAND_TAIL.match(text, c.end)
        if m:
            head = c.canonical or text[c.start : c.end]
            yield Candidate(c.start, m.end(), "CONCEPT", c.source, f"{head}需求")


def looks_like_person(name: str) -> bool:
    """Two or three Han characters after a common surname (four with a compound surname)."""
    if not re.fullmatch(r"[\u4e00-\u9fff]{2,4}", name):
        return False
    if name[:2] in SURNAMES:
        return len(name) in (3, 4)
    return len(name) in (2, 3) and name[0] in SURNAMES


def guess_type(name: str, default: str = "CONCEPT") -> str:
    """The type a bare name most likely has, from its suffix; ``default`` when nothing says."""
    core = re.sub(r"[\sA-Za-z0-9&.\-]+$", "", name) or name  # 某某公司XYZ -> 某某公司
    for suffix, etype in sorted(ORG_SUFFIXES.items(), key=lambda kv: -len(kv[0])):
        if core.endswith(suffix) and len(name) > len(suffix):
            return etype
    if name.endswith(PRODUCT_CUES):
        return "PRODUCT"
    return default

"""Mentions -> canonical entities with stable keys (and so stable IRIs).

Keys: the lexicon's canonical name or the Simplified, width-folded surface, with
legal and listing suffixes stripped (股份有限公司, -SW, …); mentions that carry the
same stock code are one entity. Organisation types share one key space so a
company tagged ORG in one sentence is still the same company.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from functools import lru_cache
from urllib.parse import quote

from kg.model import ORG_TYPES, Mention
from kg.text import analysis_view

__all__ = ["Entity", "Resolver", "code_key", "name_key", "type_group"]

_LISTING = re.compile(r"[-－]?(?:SW|W|S|B|SWR|U)$")
_LEGAL = re.compile(r"(?:股份有限公司|有限责任公司|有限公司|股份公司|公司)$")
_GROUP = re.compile(r"(?:集团|控股)$")


_CODE = re.compile(r"^(?:(SH|SZ|HK|BJ)\.?)?([0-9]{4,6}|[A-Z]{1,5})(?:\.(SH|SS|SZ|HK|BJ|US|O|N|OQ|NQ))?$")


def code_key(code: str) -> str:
    """One key per listing, however it is written: 0728.HK, 00728, HK00728 -> HK:00728;
    600519, 600519.SH, SH600519 -> SH:600519; 000001.SZ, SZ000001 -> SZ:000001; BABA.N -> US:BABA.
    Bare 4–5 digit codes are Hong Kong codes; bare 6-digit codes are A shares (6… Shanghai,
    0…/3… Shenzhen, 4…/8… Beijing)."""
    text = code.strip().upper()
    m = _CODE.match(text)
    if m is None:
        return text
    prefix, body, suffix = m.groups()
    exchange = prefix or suffix
    if exchange == "SS":
        exchange = "SH"
    if body.isdigit():
        if exchange is None:
            if len(body) <= 5:
                exchange = "HK"
            else:
                exchange = {"6": "SH", "0": "SZ", "3": "SZ", "4": "BJ", "8": "BJ", "9": "SH", "2": "SZ"}.get(body[0], "CN")
        if exchange == "HK":
            body = body.zfill(5)
        return f"{exchange}:{body}"
    return f"US:{body}" if exchange in (None, "US", "O", "N", "OQ", "NQ") else f"{exchange}:{body}"


def type_group(etype: str) -> str:
    return "org" if etype in ORG_TYPES else etype.lower()


def name_key(mention: Mention) -> str:
    """The comparable name of a mention: canonical or Simplified form, suffixes stripped."""
    return _name_key(mention.canonical or mention.norm, mention.norm, mention.type)


@lru_cache(maxsize=1 << 17)  # the same names recur in every document (and twice per graph build)
def _name_key(given: str, norm: str, etype: str) -> str:
    # Quotes and title brackets are not part of the name: “亚行”, 《魔兽世界》 (datasets differ on them).
    name = analysis_view(given.strip()).strip("“”\"'‘’「」『』《》 ") or norm
    if etype in ORG_TYPES:
        base = _LISTING.sub("", name)
        base = _LEGAL.sub("", base)
        stripped = _GROUP.sub("", base)
        name = stripped if len(stripped) >= 2 else (base if len(base) >= 2 else name)
    return name.lower()


@lru_cache(maxsize=1 << 17)  # per mention, twice per graph build: the same names recur
def _key(given: str, norm: str, etype: str) -> str:
    return f"{type_group(etype)}:{_name_key(given, norm, etype)}"


@lru_cache(maxsize=1 << 17)
def _path(key: str) -> str:
    group, name = key.split(":", 1)
    return f"{group}/{_iri_safe(name)}"


def _iri_safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_.~·" else quote(c, safe="") for c in name)


@dataclass
class Entity:
    key: str  # "group:name"
    types: Counter = field(default_factory=Counter)
    surfaces: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))  # script -> surface counts
    norms: Counter = field(default_factory=Counter)
    codes: set[str] = field(default_factory=set)
    documents: set[str] = field(default_factory=set)  # only when the Resolver keeps mentions
    from_lexicon: bool = False

    @property
    def type(self) -> str:
        from kg.model import ENTITY_TYPES

        return min(self.types, key=lambda t: (-self.types[t], ENTITY_TYPES.index(t) if t in ENTITY_TYPES else 99))

    @property
    def path(self) -> str:
        return _path(self.key)

    def absorb(self, other: Entity) -> None:
        """Add another's counts, codes and documents to this one's."""
        self.types.update(other.types)
        for script, surfaces in other.surfaces.items():
            self.surfaces[script].update(surfaces)
        self.norms.update(other.norms)
        self.codes |= other.codes
        self.documents |= other.documents

    def __reduce__(self):
        # the counters as plain dicts: a forked build process sends its resolver back pickled, and
        # Counter's own pickling (a Python call each way, an ABC check when made again) cost ~35 µs
        # per entity (0.8 s each way for the 21 k names of half the 10 MB news corpus)
        return _entity, (self.key, dict(self.types), {s: dict(c) for s, c in self.surfaces.items()}, dict(self.norms),
                         self.codes, self.documents, self.from_lexicon)

    def pref_labels(self) -> dict[str, str]:
        """Most frequent surface per script (ties: longest, then smallest)."""
        return {
            script: min(counts, key=lambda s: (-counts[s], -len(s), s))
            for script, counts in sorted(self.surfaces.items())
        }


def _counter(counts: dict) -> Counter:
    made = Counter.__new__(Counter)  # an empty Counter without __init__'s update() and its Mapping check
    dict.update(made, counts)
    return made


def _entity(key: str, types: dict, surfaces: dict, norms: dict, codes: set, documents: set, from_lexicon: bool) -> Entity:
    """An :class:`Entity` from what its ``__reduce__`` gives."""
    by_script: defaultdict[str, Counter] = defaultdict(Counter)
    for script, counts in surfaces.items():
        by_script[script] = _counter(counts)
    return Entity(key, _counter(types), by_script, _counter(norms), codes, documents, from_lexicon)


class Resolver:
    """Collects mentions from every document, then merges them into entities.

    Per name key it keeps counts (types, surfaces, norms), not the mentions themselves, so its
    memory grows with the number of distinct names, not with the corpus; ``keep_mentions=True``
    (``kg explain``) also keeps every mention for :meth:`mentions` and each entity's documents.
    """

    def __init__(self, keep_mentions: bool = False) -> None:
        self._parent: dict[str, str] = {}
        self._stats: dict[str, Entity] = {}  # name key -> its mentions' counts
        self._keep = keep_mentions
        self._mentions: dict[str, list[tuple[Mention, str, str]]] = defaultdict(list)
        self._code_owner: dict[str, str] = {}
        self._lexicon_keys: set[str] = set()
        self.merges: list[tuple[str, str, str]] = []  # (key, merged into, rule)

    def key_of(self, mention: Mention) -> str:
        return _key(mention.canonical or mention.norm, mention.norm, mention.type)

    def add(self, mention: Mention, document: str, script: str) -> str:
        key = self.key_of(mention)
        self._parent.setdefault(key, key)
        stats = self._stats.get(key)
        if stats is None:
            stats = self._stats[key] = Entity(key=key)
        stats.types[mention.type] += 1
        if not mention.source.endswith("coref"):  # 该公司 / 其 / 公司 name nothing: no label, no alias
            stats.surfaces[script][mention.text] += 1
        stats.norms[mention.canonical or mention.norm] += 1
        if mention.code:
            stats.codes.add(mention.code)
        if self._keep:
            stats.documents.add(document)
            self._mentions[key].append((mention, document, script))
        if not mention.source.endswith("coref") and (mention.source == "lexicon" or mention.canonical):
            self._lexicon_keys.add(key)
        if mention.code and type_group(mention.type) == "org":
            listing = code_key(mention.code)
            owner = self._code_owner.setdefault(listing, key)
            if owner != key:
                self._union(owner, key, f"stock code {listing}")
        return key

    def merge(self, other: Resolver) -> None:
        """Add the mentions another resolver collected, as if this one had been given them after
        its own: the same entities (groups, counts, codes) as one resolver given all of them.
        Only :attr:`merges` may differ (which of several equivalent unions is recorded)."""
        for key, theirs in other._stats.items():
            self._parent.setdefault(key, key)
            stats = self._stats.get(key)
            if stats is None:
                self._stats[key] = theirs
                continue
            stats.absorb(theirs)
        if self._keep:
            for key, mentions in other._mentions.items():
                self._mentions[key].extend(mentions)
        self._lexicon_keys |= other._lexicon_keys
        for listing, key in other._code_owner.items():  # one group per stock code, as add() makes them
            owner = self._code_owner.setdefault(listing, key)
            if owner != key:
                self._union(owner, key, f"stock code {listing}")
        for key, into, rule in other.merges:
            self._union(into, key, rule)

    def count(self, key: str) -> int:
        """How many mentions have this name key (each counted once by type)."""
        stats = self._stats.get(key)
        return stats.types.total() if stats is not None else 0

    def mentions(self, key: str | None = None) -> list[tuple[Mention, str, str]]:
        """(mention, document, script) of one name key, or of every key (needs ``keep_mentions``)."""
        if not self._keep:
            raise ValueError("this Resolver does not keep mentions (Resolver(keep_mentions=True))")
        if key is not None:
            return list(self._mentions.get(key, ()))
        return [item for key in sorted(self._mentions) for item in self._mentions[key]]

    def _find(self, key: str) -> str:
        while self._parent[key] != key:
            self._parent[key] = self._parent[self._parent[key]]
            key = self._parent[key]
        return key

    def _union(self, a: str, b: str, rule: str) -> None:
        ra, rb = self._find(a), self._find(b)
        if ra != rb:
            self._parent[max(ra, rb)] = min(ra, rb)
            self.merges.append((b, a, rule))

    def entities(self) -> dict[str, Entity]:
        """key -> its entity (every key of a merged group maps to the same Entity). A key merged
        with no other gives an entity that shares the resolver's counts: change neither."""
        groups: dict[str, list[str]] = defaultdict(list)
        for key in sorted(self._parent):
            groups[self._find(key)].append(key)
        out: dict[str, Entity] = {}
        for members in groups.values():
            if len(members) == 1:  # most names: the entity shares its key's counts
                (key,) = members
                out[key] = replace(self._stats[key], from_lexicon=key in self._lexicon_keys)
                continue
            best = min(members, key=lambda k: (k not in self._lexicon_keys, -self.count(k), -len(k), k))
            entity = Entity(key=best, from_lexicon=best in self._lexicon_keys)
            for k in members:
                entity.absorb(self._stats[k])
                out[k] = entity
        return out

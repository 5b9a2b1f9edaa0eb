"""What the browse pages show, read from the graph with SPARQL through the engine.

Every value that comes from a request is put into a query as a term written by
pyoxigraph (:func:`kg.server.engine.sparql_term`), never pasted in as text.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field

from kg.export.html import TYPE_COLOURS
from kg.namespaces import DCTERMS, KG, KGR_IRI, PREFIXES, RDF, RDFS, SDO, SKOS
from kg.server.engine import Engine, sparql_term

__all__ = ["BrowseError", "Browser", "highlight", "local_name", "short"]

_DEFAULT_COLOUR = "#cccccc"
_ENTITY_CLASSES = tuple(TYPE_COLOURS)


class BrowseError(Exception):
    """A page cannot be built: ``status`` and a one-line message for the reader."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def short(iri: str) -> str:
    """``kg:released`` for a known namespace, else the IRI."""
    for prefix, ns in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def local_name(iri: str) -> str:
    return iri.rsplit("#", 1)[-1] if "#" in iri else iri.rstrip("/").rsplit("/", 1)[-1]


def highlight(sentence: str, sentence_start: int | None, spans: list[tuple[int | None, int | None, str, str]]) -> list[tuple[str, str]]:
    """Cut ``sentence`` into ``(text, css_class)`` pieces marking the given spans.

    Spans are ``(start, end, text, css_class)`` with offsets into the document (kg:Evidence
    offsets); a span whose offsets do not point at its text inside the sentence is looked
    up by its text instead, and overlapping spans keep the first one."""
    marks = []
    for start, end, text, cls in spans:
        rel = None
        if start is not None and end is not None and sentence_start is not None:
            a, b = start - sentence_start, end - sentence_start
            if 0 <= a < b <= len(sentence) and (not text or sentence[a:b] == text):
                rel = (a, b)
        if rel is None and text:
            found = sentence.find(text)
            if found >= 0:
                rel = (found, found + len(text))
        if rel is not None:
            marks.append((rel[0], rel[1], cls))
    pieces, pos = [], 0
    for a, b, cls in sorted(marks):
        if a < pos:
            continue  # overlaps the previous mark
        if a > pos:
            pieces.append((sentence[pos:a], ""))
        pieces.append((sentence[a:b], cls))
        pos = b
    if pos < len(sentence):
        pieces.append((sentence[pos:], ""))
    return pieces


def _value(row: dict, name: str):
    term = row.get(name)
    return None if term is None else term["value"]


def _int(row: dict, name: str) -> int | None:
    v = _value(row, name)
    try:
        return int(v) if v is not None else None
    except ValueError:
        return None


def _float(row: dict, name: str) -> float | None:
    v = _value(row, name)
    try:
        return float(v) if v is not None else None
    except ValueError:
        return None


def _values(iris) -> str:
    return " ".join(sparql_term(i, iri=True) for i in iris)


@dataclass
class Node:
    iri: str
    label: str
    type: str = ""
    labels: list[tuple[str, str]] = field(default_factory=list)  # (text, language)

    @property
    def colour(self) -> str:
        return TYPE_COLOURS.get(self.type, _DEFAULT_COLOUR)

    @property
    def local(self) -> bool:
        return self.iri.startswith(KGR_IRI)


class Browser:
    """The browse pages' data, one method per page."""

    def __init__(self, engine: Engine, *, max_rows: int = 2000) -> None:
        self.engine = engine
        self.max_rows = max_rows

    # ---------------------------------------------------------------- plumbing

    def select(self, query: str) -> list[dict]:
        reply = self.engine.run(query, results_format="json", graph_format=None)
        if reply.status != 200:
            raise BrowseError(max(reply.status, 500), reply.text.strip())
        return json.loads(reply.body)["results"]["bindings"]

    def nodes(self, iris) -> dict[str, Node]:
        """Label (smallest rdfs:label, as KnowledgeGraph.label), all labels and type of each IRI."""
        iris = sorted(set(iris))
        out: dict[str, Node] = {}
        for i in range(0, len(iris), 400):
            chunk = iris[i : i + 400]
            rows = self.select(
                f"SELECT ?n ?k ?v WHERE {{ VALUES ?n {{ {_values(chunk)} }} "
                '{ ?n rdfs:label ?v BIND("label" AS ?k) } UNION { ?n skos:altLabel ?v BIND("alt" AS ?k) } '
                'UNION { ?n a ?v BIND("type" AS ?k) } }'
            )
            labels: dict[str, set] = defaultdict(set)
            pref: dict[str, set] = defaultdict(set)
            types: dict[str, set] = defaultdict(set)
            for r in rows:
                n, kind, v = r["n"]["value"], r["k"]["value"], r["v"]
                if kind == "type":
                    types[n].add(local_name(v["value"]))
                    continue
                labels[n].add((v["value"], v.get("xml:lang", "")))
                if kind == "label":
                    pref[n].add(v["value"])
            for n in chunk:
                shown = min(pref[n]) if pref[n] else local_name(n)
                ts = sorted(types[n])
                kind = next((t for t in ts if t in _ENTITY_CLASSES), ts[0] if ts else "")
                out[n] = Node(n, shown, kind, sorted(labels[n]))
        return out

    # ---------------------------------------------------------------- pages

    def overview(self) -> dict:
        rows = self.select("SELECT ?t (COUNT(DISTINCT ?e) AS ?n) WHERE { ?e a ?t } GROUP BY ?t ORDER BY DESC(?n) ?t")
        counts = [(local_name(r["t"]["value"]), int(r["n"]["value"])) for r in rows]
        top = self.select(
            "SELECT ?e (COUNT(DISTINCT ?a) AS ?n) WHERE { ?a a kg:Assertion . { ?a rdf:subject ?e } UNION { ?a rdf:object ?e } "
            "FILTER(isIRI(?e)) } GROUP BY ?e ORDER BY DESC(?n) ?e LIMIT 20"
        )
        nodes = self.nodes(r["e"]["value"] for r in top)
        return {
            "counts": counts,
            "colours": {t: TYPE_COLOURS.get(t, _DEFAULT_COLOUR) for t, _ in counts},
            "top": [(nodes[r["e"]["value"]], int(r["n"]["value"])) for r in top],
            "triples": self.engine.triples,
        }

    def search(self, text: str, *, limit: int = 50) -> list[tuple[Node, str]]:
        """Entities whose label, alias or stock code contains ``text``, in either script:
        the text is folded to the Simplified analysis view (kg.text.analysis_view) and every
        Traditional label in the graph has its Simplified form as a skos:altLabel."""
        from kg.text import analysis_view

        needle = analysis_view(text.strip()).lower()
        if not needle:
            return []
        lit = sparql_term(needle)
        rows = self.select(
            "SELECT DISTINCT ?e ?name WHERE { "
            f"{{ ?e rdfs:label|skos:altLabel ?name . FILTER(CONTAINS(LCASE(STR(?name)), {lit})) }} "
            f"UNION {{ ?e kg:hasStockCode ?name . FILTER(CONTAINS(STR(?name), {lit})) }} "
            "FILTER EXISTS { ?e a ?t . FILTER(?t != kg:Document) } "
            f"}} LIMIT {self.max_rows}"
        )
        best: dict[str, tuple[int, str]] = {}
        for r in rows:
            e, name = r["e"]["value"], r["name"]["value"]
            folded = analysis_view(name).lower()
            rank = 0 if folded == needle else 1 if folded.startswith(needle) else 2
            if e not in best or (rank, name) < best[e]:
                best[e] = (rank, name)
        nodes = self.nodes(best)
        order = sorted(best, key=lambda e: (best[e][0], nodes[e].type == "Quantity", len(nodes[e].label), nodes[e].label, e))
        return [(nodes[e], best[e][1]) for e in order[:limit]]

    def entity(self, iri: str) -> dict:
        e = self._iri(iri)
        props = self.select(f"SELECT ?p ?o WHERE {{ {e} ?p ?o }} ORDER BY ?p ?o LIMIT {self.max_rows}")
        incoming = self.select(f"SELECT ?s WHERE {{ ?s ?p {e} }} LIMIT 1")
        if not props and not incoming:
            raise BrowseError(404, f"nothing in the graph is called {iri}")
        types, labels, codes, other = [], [], [], []
        for r in props:
            p, o = r["p"]["value"], r["o"]
            if p == str(RDF.type):
                types.append(local_name(o["value"]))
            elif p in (str(RDFS.label), str(SKOS.prefLabel), str(SKOS.altLabel)):
                labels.append((o["value"], o.get("xml:lang", ""), local_name(p)))
            elif p == str(KG.hasStockCode):
                codes.append(o["value"])
            elif o["type"] == "literal":
                other.append((short(p), o["value"]))
        facts = self._facts(e)
        statements = self._statements(e)
        mentions = self.select(
            f"SELECT ?d ?id WHERE {{ ?d {sparql_term(str(SDO.mentions), iri=True)} {e} . "
            f"OPTIONAL {{ ?d {sparql_term(str(DCTERMS.identifier), iri=True)} ?id }} }} ORDER BY ?id LIMIT 200"
        )
        related = {iri} | {f[k] for f in facts for k in ("s", "o") if f[k + "_iri"]} | {s["about"] for s in statements if s["about"]}
        nodes = self.nodes(related)
        label_order = {"label": 0, "prefLabel": 1, "altLabel": 2}
        kinds: dict[tuple[str, str], list[str]] = defaultdict(list)
        for text, lang, kind in sorted(set(labels), key=lambda x: label_order.get(x[2], 3)):
            kinds[(text, lang)].append(kind)
        return {
            "node": nodes[iri],
            "types": sorted(set(types)),
            "labels": sorted(((t, lang, k) for (t, lang), k in kinds.items()), key=lambda x: (label_order.get(x[2][0], 3), x[1], x[0])),
            "codes": sorted(set(codes)),
            "other": sorted(set(other)),
            "facts_out": [f for f in facts if f["s"] == iri],
            "facts_in": [f for f in facts if f["o"] == iri and f["s"] != iri],
            "statements": statements,
            "documents": [(m["d"]["value"], _value(m, "id") or local_name(m["d"]["value"])) for m in mentions],
            "nodes": nodes,
        }

    def _iri(self, iri: str) -> str:
        try:
            return sparql_term(iri, iri=True)
        except ValueError:
            raise BrowseError(400, f"not an IRI: {iri!r}") from None

    _EVIDENCE = (
        "OPTIONAL { ?a kg:evidence ?ev . "
        "  OPTIONAL { ?ev kg:sentenceText ?sentence } OPTIONAL { ?ev kg:sentenceStart ?sstart } "
        "  OPTIONAL { ?ev kg:subjectText ?stext } OPTIONAL { ?ev kg:subjectStart ?sfrom } OPTIONAL { ?ev kg:subjectEnd ?sto } "
        "  OPTIONAL { ?ev kg:objectText ?otext } OPTIONAL { ?ev kg:objectStart ?ofrom } OPTIONAL { ?ev kg:objectEnd ?oto } "
        "  OPTIONAL { ?ev kg:extractor ?extractor } OPTIONAL { ?ev kg:confidence ?evconf } "
        "  OPTIONAL { ?ev kg:document ?doc OPTIONAL { ?doc dcterms:identifier ?docid } } } "
    )

    def _facts(self, e: str) -> list[dict]:
        rows = self.select(
            "SELECT ?a ?s ?p ?o ?conf ?ev ?sentence ?sstart ?stext ?sfrom ?sto ?otext ?ofrom ?oto ?extractor ?evconf ?doc ?docid "
            f"WHERE {{ {{ ?a rdf:subject {e} }} UNION {{ ?a rdf:object {e} }} "
            "?a a kg:Assertion ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o . OPTIONAL { ?a kg:confidence ?conf } "
            + self._EVIDENCE
            + f"}} ORDER BY DESC(?conf) ?p ?s ?o ?docid ?sstart ?ev LIMIT {self.max_rows}"
        )
        facts: dict[str, dict] = {}
        for r in rows:
            a = r["a"]["value"]
            if a not in facts:
                o = r["o"]
                facts[a] = {
                    "iri": a,
                    "s": r["s"]["value"],
                    "s_iri": True,
                    "p": r["p"]["value"],
                    "predicate": local_name(r["p"]["value"]),
                    "o": o["value"],
                    "o_iri": o["type"] == "uri",
                    "confidence": _float(r, "conf"),
                    "evidence": [],
                    "_seen": set(),
                }
            f = facts[a]
            ev = _value(r, "ev")
            if ev is None or ev in f["_seen"]:
                continue
            f["_seen"].add(ev)
            f["evidence"].append(self._evidence(r))
        for f in facts.values():
            del f["_seen"]
        return list(facts.values())

    def _evidence(self, r: dict) -> dict:
        sentence = _value(r, "sentence") or ""
        spans = [
            (_int(r, "sfrom"), _int(r, "sto"), _value(r, "stext") or "", "subj"),
            (_int(r, "ofrom"), _int(r, "oto"), _value(r, "otext") or "", "obj"),
        ]
        return {
            "pieces": highlight(sentence, _int(r, "sstart"), [s for s in spans if s[2] or s[0] is not None]),
            "sentence_start": _int(r, "sstart"),
            "extractor": _value(r, "extractor") or "",
            "confidence": _float(r, "evconf"),
            "doc": _value(r, "doc"),
            "docid": _value(r, "docid") or (local_name(_value(r, "doc")) if _value(r, "doc") else ""),
        }

    def _statements(self, e: str) -> list[dict]:
        rows = self.select(
            "SELECT ?st ?claim ?modality ?about ?date ?ev ?sentence ?sstart ?stext ?sfrom ?sto ?otext ?ofrom ?oto ?extractor ?evconf ?doc ?docid "
            f"WHERE {{ ?st a kg:Statement ; kg:speaker {e} . OPTIONAL {{ ?st kg:claimText ?claim }} "
            "OPTIONAL { ?st kg:modality ?modality } OPTIONAL { ?st kg:about ?about } OPTIONAL { ?st kg:date ?date } "
            + self._EVIDENCE.replace("?a kg:evidence", "?st kg:evidence")
            + f"}} ORDER BY ?docid ?sstart ?st LIMIT {self.max_rows}"
        )
        out: dict[str, dict] = {}
        for r in rows:
            st = r["st"]["value"]
            if st not in out:
                out[st] = {
                    "claim": _value(r, "claim") or "",
                    "modality": _value(r, "modality") or "",
                    "about": _value(r, "about"),
                    "date": _value(r, "date") or "",
                    "evidence": [],
                }
            if _value(r, "ev") and len(out[st]["evidence"]) < 5:
                out[st]["evidence"].append(self._evidence(r))
        return list(out.values())

    def document(self, iri: str) -> dict:
        d = self._iri(iri)
        props = self.select(f"SELECT ?p ?o WHERE {{ {d} ?p ?o }} ORDER BY ?p ?o LIMIT {self.max_rows}")
        if not any(r["p"]["value"] == str(RDF.type) and r["o"]["value"] == str(KG.Document) for r in props):
            raise BrowseError(404, f"no document is called {iri}")
        info, mentions = [], []
        for r in props:
            p, o = r["p"]["value"], r["o"]
            if p == str(SDO.mentions):
                mentions.append(o["value"])
            elif p != str(RDF.type):
                info.append((short(p), o["value"]))
        rows = self.select(
            "SELECT ?ev ?sentence ?sstart ?stext ?sfrom ?sto ?otext ?ofrom ?oto ?extractor ?evconf ?a ?s ?p ?o ?st ?claim "
            f"WHERE {{ ?ev a kg:Evidence ; kg:document {d} . "
            "OPTIONAL { ?ev kg:sentenceText ?sentence } OPTIONAL { ?ev kg:sentenceStart ?sstart } "
            "OPTIONAL { ?ev kg:subjectText ?stext } OPTIONAL { ?ev kg:subjectStart ?sfrom } OPTIONAL { ?ev kg:subjectEnd ?sto } "
            "OPTIONAL { ?ev kg:objectText ?otext } OPTIONAL { ?ev kg:objectStart ?ofrom } OPTIONAL { ?ev kg:objectEnd ?oto } "
            "OPTIONAL { ?ev kg:extractor ?extractor } OPTIONAL { ?ev kg:confidence ?evconf } "
            "OPTIONAL { ?a kg:evidence ?ev ; a kg:Assertion ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o } "
            "OPTIONAL { ?st kg:evidence ?ev ; a kg:Statement . OPTIONAL { ?st kg:claimText ?claim } } "
            f"}} ORDER BY ?sstart ?ev ?p LIMIT {self.max_rows}"
        )
        sentences: dict[int | None, dict] = {}
        iris = set(mentions)
        for r in rows:
            start = _int(r, "sstart")
            sent = sentences.setdefault(start, {"start": start, "text": _value(r, "sentence") or "", "facts": []})
            fact = {"evidence": self._evidence(r), "s": _value(r, "s"), "p": local_name(_value(r, "p") or ""), "o": _value(r, "o"),
                    "o_iri": bool(r.get("o") and r["o"]["type"] == "uri"), "claim": _value(r, "claim")}
            if fact["s"]:
                iris.add(fact["s"])
            if fact["o_iri"]:
                iris.add(fact["o"])
            sent["facts"].append(fact)
        nodes = self.nodes(iris)
        return {
            "iri": iri,
            "info": info,
            "title": next((v for k, v in info if k == "dcterms:identifier"), local_name(iri)),
            "sentences": [sentences[k] for k in sorted(sentences, key=lambda k: (k is None, k or 0))],
            "mentions": sorted((nodes[m] for m in mentions), key=lambda n: (n.type, n.label)),
            "nodes": nodes,
        }

    def neighbourhood(self, iri: str, *, hops: int = 1, max_nodes: int = 150) -> dict:
        """Nodes and fact edges within ``hops`` of ``iri`` (at most ``max_nodes`` nodes), for vis-network."""
        self._iri(iri)
        keep = {iri}
        frontier = {iri}
        edges: dict[str, dict] = {}
        truncated = False
        for _ in range(max(1, hops)):
            if not frontier:
                break
            rows = self.select(
                "SELECT ?a ?s ?p ?o ?conf ?sentence WHERE { "
                f"VALUES ?n {{ {_values(sorted(frontier))} }} "
                "{ ?a rdf:subject ?n } UNION { ?a rdf:object ?n } "
                "?a a kg:Assertion ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o . FILTER(isIRI(?o)) "
                "OPTIONAL { ?a kg:confidence ?conf } OPTIONAL { ?a kg:evidence/kg:sentenceText ?sentence } "
                f"}} ORDER BY DESC(?conf) ?a ?sentence LIMIT {self.max_rows}"
            )
            new = set()
            for r in rows:
                s, o = r["s"]["value"], r["o"]["value"]
                for n in (s, o):
                    if n not in keep and n not in new:
                        if len(keep) + len(new) >= max_nodes:
                            truncated = True
                            continue
                        new.add(n)
                if not ({s, o} <= keep | new):
                    continue
                a = r["a"]["value"]
                edge = edges.setdefault(a, {"id": a, "from": s, "to": o, "predicate": local_name(r["p"]["value"]),
                                            "confidence": _float(r, "conf") or 0.0, "sentences": []})
                sentence = _value(r, "sentence")
                if sentence and sentence not in edge["sentences"] and len(edge["sentences"]) < 3:
                    edge["sentences"].append(sentence)
            keep |= new
            frontier = new
        nodes = self.nodes(keep)
        types = sorted({n.type for n in nodes.values()})
        return {
            "centre": iri,
            "nodes": [
                {"id": n.iri, "label": n.label, "type": n.type, "color": n.colour,
                 "aliases": sorted({t for t, _ in n.labels} - {n.label})}
                for n in sorted(nodes.values(), key=lambda n: n.iri)
            ],
            "edges": sorted(edges.values(), key=lambda e: (e["from"], e["to"], e["predicate"])),
            "legend": [{"type": t, "color": TYPE_COLOURS.get(t, _DEFAULT_COLOUR)} for t in types],
            "truncated": truncated,
        }

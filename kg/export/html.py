"""Interactive HTML (pyvis / vis-network), fully offline: the library is inlined
and every remote ``<script src>``/``<link href>`` pyvis adds is removed.

Large graphs stay usable: above ``max_nodes`` the page shows the best-connected
entities with a layout computed in advance (physics off) and says so on the page;
``kg viz --focus`` draws the neighbourhood of one entity.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import networkx as nx

from kg.errors import ConfigError
from kg.graph import KnowledgeGraph

__all__ = ["MAX_NODES", "TYPE_COLOURS", "find_node", "render", "render_networkx", "subgraph"]

TYPE_COLOURS = {
    "Company": "#4e79a7",
    "Organization": "#76b7b2",
    "GovernmentBody": "#59a14f",
    "Person": "#e15759",
    "Product": "#f28e2b",
    "Place": "#edc948",
    "Concept": "#b07aa1",
    "Facility": "#9c755f",
    "Quantity": "#bab0ac",
    "Stock": "#ff9da7",
}
FONT = "Noto Sans CJK SC, Noto Sans CJK TC, PingFang SC, Microsoft YaHei, sans-serif"
_EXTERNAL = re.compile(r'<(?:script|link)\b[^>]*\b(?:src|href)="[^"]*"[^>]*>(?:\s*</script>)?', re.IGNORECASE)
#: Above this many nodes a page shows the best-connected ones, laid out in advance.
MAX_NODES = 400
#: Above this many nodes the layout is computed in advance and physics is off.
FIXED_LAYOUT_ABOVE = 100


def find_node(g: nx.MultiDiGraph, name: str) -> str | None:
    """The node whose IRI, label, alias or stock code is ``name`` (smallest IRI on ties)."""
    hits = sorted(
        n
        for n, a in g.nodes(data=True)
        if name == n or name == a.get("label") or name in a.get("aliases", "").split("|") or name in a.get("stockCode", "").split("|")
    )
    return hits[0] if hits else None


def subgraph(
    g: nx.MultiDiGraph, *, focus: str | None = None, hops: int = 1, max_nodes: int = MAX_NODES
) -> tuple[nx.MultiDiGraph, str]:
    """The neighbourhood of ``focus`` within ``hops`` (or the whole graph), cut to the
    ``max_nodes`` nodes of highest degree; returns it with a note on what was left out."""
    note = []
    if focus is not None:
        centre = find_node(g, focus)
        if centre is None:
            raise ConfigError(f"no entity matches {focus!r}", fix="give a label, alias, stock code or IRI from the graph")
        keep = set(nx.ego_graph(g.to_undirected(as_view=True), centre, radius=hops))
        g = _induced(g, keep)
        note.append(f"neighbourhood of {g.nodes[centre].get('label', centre)} within {hops} hop(s)")
    if g.number_of_nodes() > max_nodes:
        degree = dict(g.degree())
        top = sorted(g.nodes, key=lambda n: (-degree[n], n))[:max_nodes]
        note.append(f"showing the {max_nodes} best-connected of {g.number_of_nodes()} nodes; query the rest with kg query or kg viz --focus")
        g = _induced(g, top)
    return g, "; ".join(note)


def _induced(g: nx.MultiDiGraph, nodes) -> nx.MultiDiGraph:
    """The subgraph on ``nodes``, its nodes in sorted order and its edges in ``g``'s order.
    (``g.subgraph(nodes).copy()`` lists the nodes in the order of a set of strings, which changes
    from run to run, and the seeded layout depends on the order.)"""
    keep = set(nodes)
    out = g.__class__()
    out.add_nodes_from((n, g.nodes[n]) for n in sorted(keep))
    out.add_edges_from((u, v, k, d) for u, v, k, d in g.edges(keys=True, data=True) if u in keep and v in keep)
    return out


def render(kg: KnowledgeGraph, *, height: str = "800px", max_nodes: int = MAX_NODES) -> str:
    """The whole graph, or its ``max_nodes`` best-connected nodes when it is larger."""
    g, note = subgraph(kg.to_networkx(copy=False), max_nodes=max_nodes)  # read only (subgraph copies)
    return render_networkx(g, note=note, height=height)


_LT = "\ue000"  # stands for "<" inside labels until the page is written


def _safe(text: str) -> str:
    """Labels are untrusted text from the news; pyvis puts them in a <script> block as JSON,
    where ``</script>`` would end the block. "<" travels as a sentinel and becomes ``\\u003c``."""
    return str(text).replace("<", _LT)


def _scripts(label: str, aliases: list[str]) -> tuple[str, str]:
    """(Traditional, Simplified) forms of a label: the Simplified one is the analysis view;
    the Traditional one is the label itself when it is Traditional, else an alias that folds
    to the same Simplified text, else OpenCC's conversion."""
    from kg.text import analysis_view, to_traditional

    hans = analysis_view(label)
    if hans != label:
        return label, hans
    for alias in aliases:
        if alias != hans and analysis_view(alias) == hans:
            return alias, hans
    return to_traditional(label), hans


def _charmap(texts) -> dict[str, str]:
    """Traditional (and full-width) -> Simplified for every character of ``texts`` and of
    their Traditional forms, so the page's search box folds a query the way kg does."""
    from kg.text import analysis_view, to_traditional

    out: dict[str, str] = {}
    for text in texts:
        hans = analysis_view(text)
        for a, b in [*zip(text, hans), *zip(to_traditional(hans), hans)]:
            if a != b:
                out[a] = b
    return dict(sorted(out.items()))


def _script_json(value) -> str:
    """JSON for a <script> block: "<" travels as \\u003c, so no text can end the block."""
    return json.dumps(value, ensure_ascii=True, sort_keys=True).replace("<", "\\u003c")


def render_networkx(
    g: nx.MultiDiGraph, *, note: str = "", height: str = "800px", fixed_layout: bool | None = None
) -> str:
    """The page for ``g``; above ``FIXED_LAYOUT_ABOVE`` nodes (or when asked) the layout is
    computed here and physics is off, so large pages open settled.

    Node tooltips give type, labels (繁體 / 简体) and aliases; edge tooltips predicate,
    confidence and evidence sentence. Above the graph: a search box (either script, aliases,
    stock codes), filters by entity type and minimum confidence, and a Traditional /
    Simplified label switch; clicking a node lists its facts with their evidence."""
    from pyvis.network import Network

    from kg.text import analysis_view

    if fixed_layout is None:
        fixed_layout = g.number_of_nodes() > FIXED_LAYOUT_ABOVE

    net = Network(height=height, width="100%", directed=True, cdn_resources="in_line", notebook=False)
    positions = nx.spring_layout(nx.Graph(g), seed=0, scale=1000) if fixed_layout and len(g) else {}
    texts: list[str] = []
    types: set[str] = set()
    for node, attrs in sorted(g.nodes(data=True)):
        label = attrs.get("label", node)
        kind = attrs.get("type", "")
        aliases = [a for a in attrs.get("aliases", "").split("|") if a and a != label]
        codes = [c for c in attrs.get("stockCode", "").split("|") if c]
        hant, hans = _scripts(label, aliases)
        texts += [label, *aliases]
        types.add(kind)
        tip = [label, f"type: {kind or 'other'}", f"labels: {hant} (繁體) · {hans} (简体)" if hant != hans else f"label: {label}"]
        if aliases:
            tip.append("aliases: " + ", ".join(aliases))
        if codes:
            tip.append("stock code: " + ", ".join(codes))
        if attrs.get("value"):
            tip.append("value: " + attrs["value"])
        key = "\n".join(sorted({analysis_view(x).lower() for x in [label, *aliases, *codes]}))
        extra = {}
        if node in positions:
            x, y = positions[node]
            extra = {"x": round(float(x), 1), "y": round(float(y), 1), "physics": False}
        net.add_node(
            _safe(node),
            label=_safe(label),
            title=_safe("\n".join(tip)),
            color=TYPE_COLOURS.get(kind, "#cccccc"),
            font={"face": FONT},
            kgType=kind,
            kgLabels=[_safe(label), _safe(hant), _safe(hans)],
            kgAliases=[_safe(a) for a in aliases],
            kgCodes=codes,
            kgKey=_safe(key),
            **extra,
        )
    for s, o, attrs in sorted(g.edges(data=True), key=lambda e: (e[0], e[1], e[2].get("predicate", ""))):
        confidence = float(attrs.get("confidence", 0.0))
        net.add_edge(
            _safe(s), _safe(o), label=attrs["predicate"],
            title=_safe(f"{attrs['predicate']} (confidence {confidence:.2f})\n{attrs.get('sentence', '')}"),
            arrows="to",
            font={"face": FONT, "size": 10},
            kgPredicate=attrs["predicate"],
            kgConfidence=round(confidence, 3),
            kgSentence=_safe(attrs.get("sentence", "")),
            kgEvidence=int(attrs.get("evidence", 1) or 1),
        )
    if fixed_layout:
        net.toggle_physics(False)
    page = _EXTERNAL.sub("", net.generate_html(notebook=False))
    page = page.replace("\\ue000", "\\u003c").replace(_LT, "\\u003c")  # JSON-escaped or raw sentinel
    return _with_controls(page, note=note, types=types, charmap=_charmap(texts))


_CONTROLS_CSS = """
#kg-controls { font: 14px sans-serif; display: flex; flex-wrap: wrap; gap: 6px 18px; align-items: center; margin: 4px 0; }
#kg-legend label { padding: 2px 8px; margin: 2px; border-radius: 4px; display: inline-block; cursor: pointer; }
body { margin-right: 372px; }
#kg-details { position: fixed; right: 0; top: 0; bottom: 0; width: 360px; overflow: auto;
  background: #fff; border-left: 1px solid #bbb; padding: 4px 12px; font: 13px sans-serif; }
#kg-details blockquote { margin: 4px 0 8px 6px; padding-left: 6px; border-left: 3px solid #ddd; }
#kg-details dt { font-weight: bold; } #kg-details dd { margin: 0 0 4px 8px; }
"""


def _with_controls(page: str, *, note: str, types: set[str], charmap: dict[str, str]) -> str:
    """Insert the legend / type filter, confidence filter, script switch, search box and
    details panel after <body>, and their script before </body>."""
    present = [t for t in TYPE_COLOURS if t in types] + sorted(t for t in types if t not in TYPE_COLOURS)
    legend = "".join(
        f'<label style="background:{TYPE_COLOURS.get(t, "#cccccc")}"><input type="checkbox" data-type="{html.escape(t)}" checked> '
        f"{html.escape(t or 'other')}</label>"
        for t in present
    )
    controls = (
        f"<style>{_CONTROLS_CSS}</style>\n"
        '<div id="kg-controls">'
        '<span><input id="kg-search" type="search" placeholder="search 名稱 / 名称 / stock code" size="28">'
        ' <span id="kg-search-result"></span></span>'
        f'<span id="kg-legend">{legend}</span>'
        '<label>min confidence <input id="kg-min-confidence" type="range" min="0" max="1" step="0.05" value="0">'
        ' <output id="kg-min-confidence-value">0.00</output></label>'
        '<label>labels <select id="kg-script"><option value="0">as in the news</option>'
        '<option value="1">繁體</option><option value="2">简体</option></select></label>'
        "</div>"
    )
    banner = f'<div id="kg-note" style="font:13px sans-serif;color:#555">{html.escape(note)}</div>' if note else ""
    details = '<div id="kg-details"><p>Click a node or an edge to see its facts and evidence.</p></div>'
    script = f"<script>\nconst KG_CHARMAP = {_script_json(charmap)};\n{_controls_js()}</script>\n"
    page = page.replace("<body>", f"<body>\n{controls}{banner}{details}", 1)
    head, sep, tail = page.rpartition("</body>")
    return f"{head}{script}{sep}{tail}" if sep else page + script


def _controls_js() -> str:
    return (Path(__file__).with_name("html_controls.js")).read_text(encoding="utf-8")

// kg serve: the neighbourhood graph on an entity page (vis-network, served locally).
// Every text from the graph goes into the page with textContent, never as HTML.
(function () {
  "use strict";
  const box = document.getElementById("graph");
  if (!box) return;
  const details = document.getElementById("details");
  const legend = document.getElementById("legend");
  const note = document.getElementById("graph-note");

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function entityLink(node) {
    const a = el("a", node ? node.label : "?", "entity");
    if (node) a.href = "/entity?iri=" + encodeURIComponent(node.id);
    return a;
  }

  if (typeof vis === "undefined") {
    note.textContent = "the graph library did not load";
    return;
  }
  const url = box.dataset.api + "?iri=" + encodeURIComponent(box.dataset.iri);
  fetch(url, { headers: { Accept: "application/json" } })
    .then((r) => (r.ok ? r.json() : r.text().then((t) => { throw new Error(t); })))
    .then(draw)
    .catch((err) => { note.textContent = "could not load the neighbourhood: " + err.message; });

  function draw(data) {
    const byId = new Map(data.nodes.map((n) => [n.id, n]));
    const nodes = new vis.DataSet(data.nodes.map((n) => ({
      id: n.id,
      label: n.label,
      color: n.color,
      borderWidth: n.id === data.centre ? 4 : 1,
      size: n.id === data.centre ? 20 : 14,
      title: [n.label + " (" + (n.type || "?") + ")"].concat(n.aliases.length ? ["aliases: " + n.aliases.join(", ")] : []).join("\n"),
      font: { face: getComputedStyle(document.body).fontFamily },
    })));
    const edges = new vis.DataSet(data.edges.map((e) => ({
      id: e.id,
      from: e.from,
      to: e.to,
      label: e.predicate,
      arrows: "to",
      width: 1 + 2 * e.confidence,
      font: { size: 10, align: "middle" },
      title: e.predicate + " (confidence " + e.confidence.toFixed(2) + ")" + (e.sentences.length ? "\n" + e.sentences[0] : ""),
    })));
    const network = new vis.Network(box, { nodes: nodes, edges: edges }, {
      nodes: { shape: "dot", size: 14 },
      physics: { solver: "forceAtlas2Based", forceAtlas2Based: { springLength: 120 }, stabilization: { iterations: 400 } },
      interaction: { hover: true },
    });
    window.kgNetwork = network; // for tests and the console
    network.once("stabilizationIterationsDone", () => {
      network.setOptions({ physics: false });
      network.fit();
      box.dataset.ready = "true";
    });

    for (const item of data.legend) {
      const span = el("span", null, "item");
      const sw = el("span", null, "swatch");
      sw.style.background = item.color;
      span.append(sw, document.createTextNode(item.type || "other"));
      legend.append(span);
    }
    if (data.truncated) note.textContent = "showing the first " + data.nodes.length + " nodes of a larger neighbourhood";

    function factItem(e) {
      const li = el("li");
      li.append(entityLink(byId.get(e.from)), document.createTextNode(" "), el("b", e.predicate), document.createTextNode(" "),
        entityLink(byId.get(e.to)), el("span", " " + e.confidence.toFixed(2), "confidence"));
      for (const s of e.sentences) li.append(el("blockquote", s, "evidence"));
      return li;
    }
    function showNode(id) {
      const n = byId.get(id);
      details.replaceChildren();
      const h = el("h3");
      h.append(entityLink(n));
      details.append(h, el("p", (n.type || "") + (n.aliases.length ? " · aliases: " + n.aliases.join(", ") : "")));
      const list = el("ul", null, "node-facts");
      for (const e of data.edges) if (e.from === id || e.to === id) list.append(factItem(e));
      details.append(list);
    }
    function showEdge(id) {
      const e = data.edges.find((x) => x.id === id);
      if (!e) return;
      details.replaceChildren();
      const list = el("ul", null, "node-facts");
      list.append(factItem(e));
      details.append(list);
    }
    network.on("click", (params) => {
      if (params.nodes.length) showNode(params.nodes[0]);
      else if (params.edges.length) showEdge(params.edges[0]);
    });
  }
})();

/* The graph canvas's look: one Cytoscape stylesheet for resources, group cards and frames,
 * edges, and the states the page sets (selected, search match, hidden, dimmed). The audit and
 * live overlays add their own rules (outlines, glows, rate badges) on top.
 */
(function (scope) {
  "use strict";

  var S = scope.FlowscopeLayout.sizes;

  // big: thousands of drawn elements, where per-label ellipsis measuring costs seconds.
  function stylesheet(big) {
    var style = [
      { selector: "node", style: {
        "label": "data(label)", "font-size": S.FONT, "color": "#1f2933", "text-valign": "bottom",
        "text-margin-y": S.LABEL_GAP, "text-max-width": S.LABEL_MAX, "text-wrap": big ? "none" : "ellipsis",
        "width": S.ICON, "height": S.ICON, "background-color": "#8792a2", "border-width": 0,
        "text-background-color": "#ffffff", "text-background-opacity": 0.8, "text-background-padding": 1
      } },
      { selector: "node[colour]", style: { "background-color": "data(colour)", "shape": "data(shape)" } },
      { selector: "edge", style: {
        "width": 1.6, "line-color": "#4a5568", "target-arrow-color": "#4a5568",
        "target-arrow-shape": "triangle", "arrow-scale": 0.9, "curve-style": big ? "straight" : "bezier",
        "label": "", "font-size": 11, "color": "#1f2933", "text-rotation": "autorotate",
        "text-background-color": "#ffffff", "text-background-opacity": 0.92, "text-background-padding": 2
      } },
      { selector: "edge[colour]", style: { "line-color": "data(colour)", "target-arrow-color": "data(colour)" } }
    ];
    if (!big) {
      style.push({ selector: "node[icon]", style: {
        "background-image": "data(icon)", "background-width": "70%", "background-height": "70%" } });
    }
    style.push(
      // A collapsed group: a card with its name and counts inside.
      { selector: "node.fs-card", style: {
        "shape": "round-rectangle", "width": "data(w)", "height": "data(h)",
        "background-color": "#f0f4f8", "border-width": 1.5, "border-color": "#829ab1",
        "text-valign": "center", "text-halign": "center", "text-margin-y": 0, "text-wrap": "wrap",
        "text-max-width": 300, "text-background-opacity": 0, "font-size": S.CARD_FONT,
        "line-height": 1.3, "color": "#102a43"
      } },
      // An expanded group: a frame with its name on top.
      { selector: "node.fs-group", style: {
        "label": "data(label)", "text-valign": "top", "text-halign": "center", "font-size": S.CARD_TITLE_FONT,
        "font-weight": "bold", "color": "#334e68", "background-color": "#f7f9fb",
        "background-opacity": 1, "border-width": 1, "border-color": "#bcccdc", "shape": "round-rectangle",
        "padding": S.FRAME_PAD, "text-margin-y": -3, "text-background-opacity": 0
      } },
      { selector: "edge[?aggregated]", style: {
        "width": "mapData(count, 1, 30, 2, 7)", "line-color": "#627d98", "target-arrow-color": "#627d98",
        "opacity": 0.85
      } },
      { selector: 'edge[kind = "execution_role"]', style: { "line-style": "dotted", "width": 1 } },
      { selector: "edge[denied]", style: { "line-color": "#d0021b", "target-arrow-color": "#d0021b",
                                           "line-style": "dashed", "width": 2.4 } },
      // Edge labels only where someone looks: on hover, and on the selected node's edges.
      { selector: "edge.fs-labelled", style: { "label": "data(label)", "z-index": 20 } },
      { selector: "node[problem]", style: { "border-width": 3, "border-color": "#d0021b" } },
      { selector: "node.fs-match", style: { "border-width": 4, "border-color": "#f0b429" } },
      { selector: "node:selected", style: { "border-width": 4, "border-color": "#0b69a3" } },
      { selector: ".fs-dim", style: { "opacity": 0.15 } },
      { selector: "edge.fs-path", style: { "width": 3 } },
      { selector: ".fs-hidden", style: { "display": "none" } }
    );
    return style;
  }

  scope.FlowscopeStyles = { stylesheet: stylesheet };
})(window);

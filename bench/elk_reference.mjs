// ELK layered's drawing of a graph, the reference the graph benchmark compares with (issue 9).
//
// stdin:  {"nodes": [{"id", "w", "h", "parent"?}], "edges": [{"source", "target"}],
//          "groups": [{"id", "parent"?}]?, "options": {...}?}
// stdout: {"nodes": {"<id>": {"x", "y"}}, "ms": <layout time>} with x, y node CENTRES in the
//         coordinates of the whole drawing.
//
// ELK runs with its defaults apart from the algorithm and direction (layered, RIGHT), so the
// reference is plain ELK; "options" adds or overrides layout options for experiments.
// With "groups", nodes naming a group as "parent" are laid out inside it (compound nodes, as
// frames are drawn), and edges may cross group borders (hierarchy handling INCLUDE_CHILDREN).
// Self-loops are left out (they cannot cross anything when drawn as straight segments).
//
//   echo '{"nodes":[{"id":"a","w":40,"h":40},{"id":"b","w":40,"h":40}],
//          "edges":[{"source":"a","target":"b"}]}' | node bench/elk_reference.mjs
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const ELK = require("elkjs/lib/elk.bundled.js");

const DEFAULTS = { "elk.algorithm": "layered", "elk.direction": "RIGHT" };

function fail(message) {
  process.stderr.write(`elk_reference: ${message}\n`);
  process.exit(2);
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

function nest(input, leaves) {
  // Groups become compound nodes holding their members; everything else sits at the top.
  const groups = new Map();
  (input.groups || []).forEach((group, i) => {
    if (group == null || group.id == null) fail(`group ${i} has no id`);
    const id = String(group.id);
    if (groups.has(id) || leaves.some((leaf) => leaf.id === id)) fail(`id ${JSON.stringify(id)} appears twice`);
    groups.set(id, { id, children: [], parent: group.parent == null ? null : String(group.parent) });
  });
  const top = [];
  const place = (item, parent) => {
    if (parent == null) return top.push(item);
    if (!groups.has(parent)) fail(`${JSON.stringify(item.id)} names an unknown parent ${JSON.stringify(parent)}`);
    groups.get(parent).children.push(item);
  };
  groups.forEach((group) => place(group, group.parent));
  leaves.forEach((leaf) => place(leaf, leaf.parent));
  const clean = (item) => {
    delete item.parent;
    if (item.children) item.children.forEach(clean);
    return item;
  };
  return top.map(clean);
}

function graphFrom(input) {
  if (!input || !Array.isArray(input.nodes) || !Array.isArray(input.edges)) {
    fail('expected {"nodes": [...], "edges": [...]}');
  }
  const ids = new Set();
  const leaves = input.nodes.map((node, i) => {
    if (node == null || node.id == null) fail(`node ${i} has no id`);
    const id = String(node.id);
    if (ids.has(id)) fail(`node id ${JSON.stringify(id)} appears twice`);
    ids.add(id);
    const w = Number(node.w), h = Number(node.h);
    if (!(w > 0 && h > 0)) fail(`node ${JSON.stringify(id)} needs a positive w and h`);
    return { id, width: w, height: h, parent: node.parent == null ? null : String(node.parent) };
  });
  const edges = [];
  input.edges.forEach((edge, i) => {
    const source = String(edge.source), target = String(edge.target);
    if (!ids.has(source) || !ids.has(target)) fail(`edge ${i} joins an unknown node (${source} -> ${target})`);
    if (source !== target) edges.push({ id: `e${i}`, sources: [source], targets: [target] });
  });
  const options = { ...DEFAULTS, ...(input.groups && input.groups.length ? { "elk.hierarchyHandling": "INCLUDE_CHILDREN" } : {}),
                   ...(input.options || {}) };
  return { id: "root", layoutOptions: options, children: nest(input, leaves), edges };
}

const text = await readStdin();
let input;
try {
  input = JSON.parse(text);
} catch (error) {
  fail(`stdin is not JSON: ${error.message}`);
}
const graph = graphFrom(input);
const started = performance.now();
const laidOut = await new ELK().layout(graph);
const ms = performance.now() - started;
// ELK gives each node's position relative to its parent: add the parents' offsets up the tree.
const leafIds = new Set(input.nodes.map((node) => String(node.id)));
const nodes = {};
const collect = (items, dx, dy) => {
  for (const item of items || []) {
    if (leafIds.has(item.id)) nodes[item.id] = { x: dx + item.x + item.width / 2, y: dy + item.y + item.height / 2 };
    else collect(item.children, dx + item.x, dy + item.y);
  }
};
collect(laidOut.children, 0, 0);
process.stdout.write(JSON.stringify({ nodes, ms }));

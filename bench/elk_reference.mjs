// ELK layered's drawing of a graph, the reference the graph benchmark compares with (issue 9).
//
// stdin:  {"nodes": [{"id", "w", "h"}], "edges": [{"source", "target"}], "options": {...}?}
// stdout: {"nodes": {"<id>": {"x", "y"}}, "ms": <layout time>} with x, y node CENTRES.
//
// ELK runs with its defaults apart from the algorithm and direction (layered, RIGHT), so the
// reference is plain ELK; "options" adds or overrides layout options for experiments.
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

function graphFrom(input) {
  if (!input || !Array.isArray(input.nodes) || !Array.isArray(input.edges)) {
    fail('expected {"nodes": [...], "edges": [...]}');
  }
  const ids = new Set();
  const children = input.nodes.map((node, i) => {
    if (node == null || node.id == null) fail(`node ${i} has no id`);
    const id = String(node.id);
    if (ids.has(id)) fail(`node id ${JSON.stringify(id)} appears twice`);
    ids.add(id);
    const w = Number(node.w), h = Number(node.h);
    if (!(w > 0 && h > 0)) fail(`node ${JSON.stringify(id)} needs a positive w and h`);
    return { id, width: w, height: h };
  });
  const edges = [];
  input.edges.forEach((edge, i) => {
    const source = String(edge.source), target = String(edge.target);
    if (!ids.has(source) || !ids.has(target)) fail(`edge ${i} joins an unknown node (${source} -> ${target})`);
    if (source !== target) edges.push({ id: `e${i}`, sources: [source], targets: [target] });
  });
  return { id: "root", layoutOptions: { ...DEFAULTS, ...(input.options || {}) }, children, edges };
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
const nodes = {};
for (const child of laidOut.children) {
  nodes[child.id] = { x: child.x + child.width / 2, y: child.y + child.height / 2 };
}
process.stdout.write(JSON.stringify({ nodes, ms }));

"""Graph page benchmark: synthetic graphs of 500, 2,000 and 10,000 nodes (edges ≈ 1.5×).

For each size the rows go straight into a SQLite file database served by Daphne (the same
harness as tests/browser), and headless Chromium (/usr/bin/chromium) measures:

- drawn: navigation start → the graph drawn (Cytoscape's first render, then one frame), and
  the renderer process's CPU time over the same span (all threads, so it can exceed wall
  time; it does not grow when other processes hold the cores);
- interactive: navigation start → the main thread free again after drawing;
- frame time while panning: requestAnimationFrame deltas during 150 frames of programmatic
  pans (cy.panBy each frame), and during a real mouse drag (the gesture Cytoscape optimises
  with hideEdgesOnViewport / textureOnViewport);
- the JSON API (/api/graph/) for the largest graph: median of 7 requests, and its size.

Targets (issue 3): 2,000 nodes drawn ≤ 1.5 s; 10,000 drawn and pannable; API ≤ 300 ms.
Usage: .venv/bin/python bench/graph_page_bench.py [--sizes 500,2000,10000] [--renderer auto|canvas|webgl]
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser.harness import log_in

# Cytoscape skips its own redraws when they run long, so frame deltas alone flatter a big
# graph: the redraws it actually made ('render' events) are counted too.
PAN_FRAMES = """async (frames) => {
    const cy = window.flowscope.cy, deltas = [];
    let renders = 0;
    const count = () => { renders++; };
    cy.on('render', count);
    let last = await new Promise(r => requestAnimationFrame(r));
    const start = last;
    for (let i = 0; i < frames; i++) {
        cy.panBy({x: i % 60 < 30 ? 9 : -9, y: i % 40 < 20 ? 4 : -4});
        const now = await new Promise(r => requestAnimationFrame(r));
        deltas.push(now - last);
        last = now;
    }
    cy.off('render', count);
    return {deltas: deltas, renders: renders, seconds: (last - start) / 1000};
}"""

START_FRAME_LOG = """() => {
    window.__frames = [];
    let last = performance.now();
    const tick = (now) => { window.__frames.push(now - last); last = now;
                            if (window.__frames.length < 100000) window.__raf = requestAnimationFrame(tick); };
    window.__raf = requestAnimationFrame(tick);
}"""

STOP_FRAME_LOG = "() => { cancelAnimationFrame(window.__raf); return window.__frames.slice(1); }"


def frame_stats(deltas):
    deltas = sorted(deltas)
    return {"median": statistics.median(deltas), "p95": deltas[int(len(deltas) * 0.95) - 1],
            "max": deltas[-1], "fps": 1000 / statistics.mean(deltas)}


def cpu_seconds(cdp):
    """CPU time of the page's renderer process (all its threads: main, raster, layout worker).
    Unlike wall time it does not grow while other processes hold the cores."""
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return metrics.get("ProcessTime", 0.0)


def measure_page(browser, site, credentials, renderer, without_overlays=False):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    if without_overlays:
        context.route("**/audit-overlay.js", lambda route: route.fulfill(status=200, body="", content_type="text/javascript"))
    page = context.new_page()
    log_in(page, credentials, site.url)
    cdp = context.new_cdp_session(page)
    cdp.send("Performance.enable")
    results = []
    for _ in range(3):
        before = cpu_seconds(cdp)
        page.goto(site.url + ("/" if renderer == "auto" else f"/?renderer={renderer}"))
        page.wait_for_selector("#fs-graph[data-state=ready]", timeout=300000)
        cpu_drawn = cpu_seconds(cdp) - before
        page.wait_for_function("() => window.flowscope.state.interactiveAt", timeout=300000)
        results.append(page.evaluate("""() => ({
            drawn: window.flowscope.state.readyAt, interactive: window.flowscope.state.interactiveAt,
            nodes: window.flowscope.cy.nodes().not('.fs-group').length,
            edges: window.flowscope.cy.edges().length,
            renderer: document.getElementById('fs-graph').dataset.renderer})"""))
        results[-1]["cpu"] = cpu_drawn
    drawn = statistics.median(r["drawn"] for r in results)
    cpu = statistics.median(r["cpu"] for r in results)
    interactive = statistics.median(r["interactive"] for r in results)
    page.wait_for_timeout(500)
    panned = page.evaluate(PAN_FRAMES, 150)
    programmatic = frame_stats(panned["deltas"])
    programmatic["redraws_per_second"] = panned["renders"] / panned["seconds"]
    box = page.locator("#fs-graph").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.evaluate(START_FRAME_LOG)
    page.mouse.down()
    for i in range(60):
        page.mouse.move(x + (i % 30 - 15) * 12, y + (i % 20 - 10) * 6)
    page.mouse.up()
    dragged = frame_stats(page.evaluate(STOP_FRAME_LOG))
    context.close()
    return {"drawn": drawn, "interactive": interactive, "cpu": cpu, "nodes": results[0]["nodes"],
            "edges": results[0]["edges"], "renderer": results[0]["renderer"],
            "pan": programmatic, "drag": dragged}


def measure_api(browser, site, credentials, runs=7):
    context = browser.new_context()
    page = context.new_page()
    log_in(page, credentials, site.url)
    times, size = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        response = page.request.get(site.url + "/api/graph/")
        body = response.body()
        times.append((time.perf_counter() - start) * 1000)
        size = len(body)
    context.close()
    return {"median": statistics.median(times), "min": min(times), "bytes": size}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="500,2000,10000")
    parser.add_argument("--renderer", default="auto", choices=["auto", "canvas", "webgl"])
    parser.add_argument("--without-overlays", action="store_true",
                        help="block audit-overlay.js, to time graph.js alone")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    workdir = Path(tempfile.mkdtemp(prefix="flowscope-graph-bench-"))
    os.environ.pop("REDIS_URL", None)
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'flowscope.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
    # Playwright's sync API runs an event loop in this thread; the ORM calls between page
    # loads are plain blocking code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    import django

    django.setup()
    from playwright.sync_api import sync_playwright

    from tests.browser.harness import (
        Site,
        clear_graph,
        create_user,
        insert_graph,
        launch_chromium,
        synthetic_graph,
    )

    site = Site(workdir).start()
    rows, api = [], None
    try:
        credentials = create_user("default")
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            for size in sizes:
                clear_graph("default")
                nodes, edges = synthetic_graph(size)
                insert_graph("default", nodes, edges)
                result = measure_page(browser, site, credentials, args.renderer, args.without_overlays)
                result["size"] = size
                rows.append(result)
                print(f"{size:>6} nodes ({result['nodes']} drawn, {result['edges']} edges, {result['renderer']}): "
                      f"drawn {result['drawn'] / 1000:.2f} s (renderer CPU {result['cpu']:.2f} s), "
                      f"interactive {result['interactive'] / 1000:.2f} s; "
                      f"pan frames median {result['pan']['median']:.1f} ms p95 {result['pan']['p95']:.1f} ms "
                      f"max {result['pan']['max']:.0f} ms ({result['pan']['fps']:.0f} fps, "
                      f"{result['pan']['redraws_per_second']:.0f} graph redraws/s); "
                      f"drag median {result['drag']['median']:.1f} ms p95 {result['drag']['p95']:.1f} ms "
                      f"max {result['drag']['max']:.0f} ms", flush=True)
            api = measure_api(browser, site, credentials)
            print(f"/api/graph/ with {sizes[-1]} nodes: median {api['median']:.0f} ms, "
                  f"min {api['min']:.0f} ms, {api['bytes'] / 1e6:.1f} MB", flush=True)
            browser.close()
    finally:
        site.stop()

    print()
    for row in rows:
        if row["size"] == 2000:
            print(f"ratio 2,000 nodes drawn / 1.5 s target = {row['drawn'] / 1500:.2f} (≤ 1 passes)")
        if row["size"] == 10000:
            print(f"ratio 10,000 nodes pan p95 frame / 100 ms (still pannable) = {row['pan']['p95'] / 100:.2f}")
    if api:
        print(f"ratio API median / 300 ms target = {api['median'] / 300:.2f} (≤ 1 passes)")


if __name__ == "__main__":
    main()

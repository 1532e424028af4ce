"""HTML pages. The graph is drawn in the browser from the JSON API; history is server-rendered."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from .models import SyncRun
from .vocabulary import SyncStatus

RUNS_PER_PAGE = 25
# A diff can list thousands of changes (a first sync adds everything); show the start of each.
DIFF_ITEMS_SHOWN = 500


def page_config(request, focus=None):
    """What graph.js needs to find the API, as the "flowscope-config" json_script element."""
    return {
        "graph_url": reverse("api-graph"),
        "node_url_prefix": reverse("api-node", args=["x"])[:-1],
        "node_page_prefix": reverse("node", args=["x"])[:-1],
        "sync_url": reverse("api-sync"),
        "status_url": reverse("api-status"),
        "sync_runs_url": reverse("api-sync-runs"),
        "history_url": reverse("history"),
        "ws_path": "/ws/live/",
        "focus": focus,
        "user": request.user.get_username(),
    }


@login_required
def graph_page(request):
    return render(request, "flows/graph.html", {"config": page_config(request)})


@login_required
def node_page(request, arn):
    """A deep link: the graph page, focused on one node (the page shows "not found" itself)."""
    return render(request, "flows/graph.html", {"config": page_config(request, focus=arn)})


@login_required
def history(request):
    runs = SyncRun.objects.select_related("account")
    page = Paginator(runs, RUNS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "flows/history.html",
        {
            "page": page,
            "runs": page.object_list,
            "running": SyncStatus.RUNNING,
        },
    )


@login_required
def sync_run_page(request, run_id):
    run = get_object_or_404(SyncRun.objects.select_related("account"), pk=run_id)
    diff = run.diff or {}
    sections = []
    for part in ("nodes", "edges"):
        for change in ("added", "removed", "changed"):
            items = (diff.get(part) or {}).get(change) or []
            sections.append(
                {
                    "part": part,
                    "change": change,
                    "count": len(items),
                    "items": items[:DIFF_ITEMS_SHOWN],
                    "hidden": max(0, len(items) - DIFF_ITEMS_SHOWN),
                }
            )
    return render(
        request,
        "flows/sync_run.html",
        {
            "run": run,
            "sections": sections,
            "api_calls_by_service": sorted((run.api_calls_by_service or {}).items()),
        },
    )

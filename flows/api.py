"""The JSON API. Every endpoint requires an authenticated user."""
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from .export import RENDERERS, graph_document
from .models import SyncRun


def api_login_required(view):
    """Like login_required, but answers 401 JSON instead of redirecting to the login page."""
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return JsonResponse({"error": "authentication required"}, status=401)
        return view(request, *args, **kwargs)
    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


@require_GET
@api_login_required
def graph(request):
    """The whole graph in the export format; ?format=dot|mermaid for the drawings."""
    fmt = request.GET.get("format", "json")
    if fmt not in RENDERERS:
        return JsonResponse({"error": f"unknown format {fmt!r}", "formats": sorted(RENDERERS)}, status=400)
    document = graph_document()
    if fmt == "json":
        return JsonResponse(document)
    return HttpResponse(RENDERERS[fmt](document), content_type="text/plain; charset=utf-8")


@require_GET
@api_login_required
def sync_runs(request):
    runs = SyncRun.objects.select_related("account")[:50]
    return JsonResponse({"runs": [run_summary(r) for r in runs]})


def run_summary(run):
    return {
        "id": run.pk, "account": run.account.account_id, "status": run.status,
        "regions": run.regions, "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "duration_ms": run.duration_ms, "api_calls": run.api_calls, "errors": run.errors,
        "progress": run.progress, "node_count": run.node_count, "edge_count": run.edge_count,
        "added": {"nodes": run.nodes_added, "edges": run.edges_added},
        "removed": {"nodes": run.nodes_removed, "edges": run.edges_removed},
        "changed": {"nodes": run.nodes_changed, "edges": run.edges_changed},
    }

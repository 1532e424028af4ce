"""/healthz (public, for load balancers), /api/health/ (the page's status line) and /metrics."""
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ..api import api_login_required, require_GET
from . import health, metrics


@never_cache
@require_GET
def healthz(request):
    """No login: a load balancer has none. It says what works, never what the data is."""
    overall, checks = health.report()
    return JsonResponse({"status": overall, "checks": checks},
                        status=503 if overall == "fail" else 200)


@never_cache
@require_GET
@api_login_required
def api_health(request):
    """The report with the last sync and what to do, for people (the graph page)."""
    overall, checks = health.report(include_sync=True)
    return JsonResponse({"status": overall, "checks": checks})


@never_cache
@require_GET
@api_login_required
def metrics_view(request):
    """Prometheus format. Login or `Authorization: Bearer <token>` (manage.py create_api_token),
    like the JSON API: the figures name accounts and regions."""
    return HttpResponse(generate_latest(metrics.registry()), content_type=CONTENT_TYPE_LATEST)

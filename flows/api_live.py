"""The live feed's JSON API: recent invocations, one invocation with its log lines, and the
per-function figures the inspector charts. Same authentication as the rest of the API.

Log lines are AWS data: they leave here as JSON strings and the page sets them as text.
"""
import logging

from django.http import JsonResponse

from . import params as checked
from .api import api_login_required, require_GET
from .live.delivery import delivery_mode
from .live.focus import is_tailing
from .live.reads import function_stats, invocation_detail, invocations_since
from .live.store import invocation_item
from .models import Invocation, Resource

DEFAULT_LIMIT = 200
MAX_LIMIT = 1000
MAX_MINUTES = 24 * 60

log = logging.getLogger(__name__)


def _int_param(request, name, default, low, high):
    """?name=N clamped to [low, high]; None when it is not a number (the caller answers 400)."""
    raw = request.GET.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        return None
    return max(low, min(high, value))


@require_GET
@api_login_required
def invocations(request):
    """Completed invocations in the feed's shape (the WebSocket's items).

    ``?after=N``: those with id > N, oldest first (what a reconnecting page missed; ``more``
    says a full page came back and the page should ask again from its last id). Without it:
    the ``limit`` latest in event time (when they started), oldest first, to fill the feed when
    the page opens: ids follow commit order, which interleaves log groups polled apart.
    """
    limit = _int_param(request, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    after = _int_param(request, "after", None, 0, 2**62)
    if limit is None or (request.GET.get("after", "").strip() and after is None):
        return JsonResponse({"error": "limit and after must be whole numbers"}, status=400)
    if after is not None:
        items = invocations_since(after, limit)
    else:
        rows = (Invocation.objects.filter(seq__isnull=False).order_by("-started_at", "-seq")
                .only("seq", "function_arn", "request_id", "started_at", "duration_ms",
                      "billed_ms", "memory_mb", "max_memory_mb", "init_ms", "status",
                      "error_type")[:limit])
        items = [invocation_item(row) for row in reversed(rows)]
    return JsonResponse({"items": items, "more": after is not None and len(items) >= limit})


@require_GET
@api_login_required
def invocation(request, invocation_id):
    """One invocation by its feed id, with its log lines (plain strings)."""
    key = (Invocation.objects.filter(seq=invocation_id)
           .values_list("function_arn", "request_id").first())
    detail = invocation_detail(*key) if key else None
    if detail is None:
        return JsonResponse({"error": "no such invocation", "id": invocation_id}, status=404)
    return JsonResponse(detail)


@require_GET
@api_login_required
@checked.answers_bad_parameters
def function_stats_view(request, arn):
    """Per-minute series and totals over the last ``?minutes=`` (default 60) for one function."""
    checked.function_arn("arn", arn)
    minutes = _int_param(request, "minutes", 60, 1, MAX_MINUTES)
    if minutes is None:
        return JsonResponse({"error": "minutes must be a whole number"}, status=400)
    stats = function_stats(arn, minutes=minutes)
    # How its events reach Flowscope: pushed through a Kinesis stream, or polled.
    where = Resource.objects.filter(arn=arn).values_list("account__account_id", "region").first()
    stats["delivery"] = delivery_mode(*where) if where else "polling"
    # True while a Live Tail session follows this function (Live Tail mode, focused).
    try:
        stats["live_tail"] = is_tailing(arn)
    except Exception:  # Redis away: say nothing rather than fail the figures
        log.warning("could not read the Live Tail state", exc_info=True)
        stats["live_tail"] = False
    return JsonResponse(stats)

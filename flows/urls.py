from django.urls import path

from . import api, api_audit, api_live, views, views_audit

urlpatterns = [
    path("", views.graph_page, name="graph"),
    path("node/<path:arn>", views.node_page, name="node"),
    path("history/", views.history, name="history"),
    path("history/<int:run_id>/", views.sync_run_page, name="sync-run"),
    path("api/graph/", api.graph, name="api-graph"),
    path("api/functions/<path:arn>/stats/", api_live.function_stats_view, name="api-function-stats"),
    path("api/nodes/<path:arn>", api.node, name="api-node"),
    path("api/sync-runs/", api.sync_runs, name="api-sync-runs"),
    path("api/sync-runs/<int:run_id>/", api.sync_run, name="api-sync-run"),
    path("api/sync/", api.start_sync, name="api-sync"),
    path("api/status/", api.status, name="api-status"),
    path("api/invocations/", api_live.invocations, name="api-invocations"),
    path("api/invocations/<int:invocation_id>/", api_live.invocation, name="api-invocation"),
    path("audit/", views_audit.audit_page, name="audit"),
    path("audit/run/", views_audit.run_audit, name="audit-run"),
    path("roles/<path:arn>", views_audit.role_page, name="role"),
    path("api/findings/", api_audit.findings, name="api-findings"),
    path("api/findings/summary/", api_audit.findings_summary, name="api-findings-summary"),
]

from django.urls import path

from . import api, views

urlpatterns = [
    path("", views.graph_page, name="graph"),
    path("node/<path:arn>", views.node_page, name="node"),
    path("history/", views.history, name="history"),
    path("history/<int:run_id>/", views.sync_run_page, name="sync-run"),
    path("api/graph/", api.graph, name="api-graph"),
    path("api/nodes/<path:arn>", api.node, name="api-node"),
    path("api/sync-runs/", api.sync_runs, name="api-sync-runs"),
    path("api/sync-runs/<int:run_id>/", api.sync_run, name="api-sync-run"),
    path("api/sync/", api.start_sync, name="api-sync"),
    path("api/status/", api.status, name="api-status"),
]

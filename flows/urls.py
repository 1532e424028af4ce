from django.urls import path

from . import api, views

urlpatterns = [
    path("", views.graph_page, name="graph"),
    path("api/graph/", api.graph, name="api-graph"),
    path("api/sync-runs/", api.sync_runs, name="api-sync-runs"),
]

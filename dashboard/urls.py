from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from flows.consumers import SESSION_ENDED, session_topic
from flows.ops import views as ops
from flows.publish import publish


class LogoutView(auth_views.LogoutView):
    """Django's logout (POST only, so a link or an image cannot log anyone out), which also
    closes the live connections that this login session opened in other tabs."""

    def post(self, request, *args, **kwargs):
        session_key = request.session.session_key
        response = super().post(request, *args, **kwargs)
        if session_key:
            publish(SESSION_ENDED, {}, topic=session_topic(session_key))
        return response


urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("healthz", ops.healthz, name="healthz"),
    path("metrics", ops.metrics_view, name="metrics"),
    path("api/health/", ops.api_health, name="api-health"),
    path("", include("flows.urls")),
]

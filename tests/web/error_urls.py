"""The site's URLs plus two views that fail on purpose, for the 403 and 500 pages."""
from django.core.exceptions import PermissionDenied
from django.urls import path

from dashboard.urls import urlpatterns as site


def forbidden(request):
    raise PermissionDenied


def broken(request):
    raise RuntimeError("secret detail")


urlpatterns = [path("forbidden/", forbidden), path("broken/", broken), *site]

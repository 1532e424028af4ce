from django.apps import AppConfig


class FlowsConfig(AppConfig):
    name = "flows"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import checks  # noqa: F401  (registers the deploy checks)

"""System checks of a deployment's settings (`manage.py check --deploy`)."""
from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def secret_key_is_not_the_development_key(app_configs, **kwargs):
    # Django's own check (security.W009) passes the development key: it is long and varied.
    if settings.SECRET_KEY != settings.DEVELOPMENT_SECRET_KEY:
        return []
    return [Error(
        "SECRET_KEY is Flowscope's fixed development key, which anyone can read in the source: "
        "sessions and CSRF tokens could be forged.",
        hint="Set SECRET_KEY (or SECRET_KEY_FILE) to a long random value, e.g. the output of "
             "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`; "
             "FLOWSCOPE_REQUIRE_SECRET_KEY=true makes a missing key stop the start.",
        id="flowscope.E001",
    )]

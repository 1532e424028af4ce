from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from flows.models import ApiToken


class Command(BaseCommand):
    help = (
        "Create a bearer token for the JSON API (Authorization: Bearer <token>). "
        "The token is printed once; only its hash is stored."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="the user the token acts as")
        parser.add_argument("--name", default="", help="what the token is for, e.g. 'ci export'")

    def handle(self, *args, username, name, **options):
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(f"no user named {username!r}") from None
        if not user.is_active:
            raise CommandError(f"user {username!r} is inactive")
        _, raw = ApiToken.objects.issue(user, name=name)
        self.stdout.write(raw)

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

TOKEN_PREFIX = "fs_"


def hash_token(raw):
    # Tokens are 256 random bits, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def issue(self, user, name=""):
        """Create a token for ``user``; returns (ApiToken, raw token). Only the hash is stored."""
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = self.create(user=user, name=name, token_hash=hash_token(raw), prefix=raw[:8])
        return token, raw

    def authenticate(self, raw):
        """The active user a raw token belongs to, or None."""
        if not raw or not raw.startswith(TOKEN_PREFIX):
            return None
        token = self.select_related("user").filter(token_hash=hash_token(raw)).first()
        if token is None or not token.user.is_active:
            return None
        token.touch()
        return token.user


class ApiToken(models.Model):
    """A bearer token for the JSON API (scripts, CI). Only its SHA-256 is stored."""

    # Writing last_used on every request would turn each read into a write; once a minute is
    # enough to tell a live token from a forgotten one.
    TOUCH_INTERVAL_SECONDS = 60

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=200, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    # The first characters of the token, to tell tokens apart in listings.
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    def __str__(self):
        return f"{self.prefix}… ({self.name or 'unnamed'}) for {self.user}"

    def touch(self):
        now = timezone.now()
        if (
            self.last_used_at
            and (now - self.last_used_at).total_seconds() < self.TOUCH_INTERVAL_SECONDS
        ):
            return
        self.last_used_at = now
        ApiToken.objects.filter(pk=self.pk).update(last_used_at=now)

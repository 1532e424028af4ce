import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """Live invocation models (issue 4)."""

    dependencies = [("flows", "0001_initial")]
    operations = [
        migrations.CreateModel(
            name='LiveCounter',
            fields=[
                ('name', models.CharField(max_length=32, primary_key=True, serialize=False)),
                ('value', models.BigIntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name='Invocation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('function_arn', models.CharField(max_length=512)),
                ('request_id', models.CharField(max_length=64)),
                ('seq', models.BigIntegerField(blank=True, null=True, unique=True)),
                ('log_group', models.CharField(max_length=512)),
                ('log_stream', models.CharField(blank=True, max_length=512)),
                ('started_at', models.DateTimeField()),
                ('completed_at', models.DateTimeField(blank=True, null=True)),
                ('duration_ms', models.FloatField(blank=True, null=True)),
                ('billed_ms', models.FloatField(blank=True, null=True)),
                ('memory_mb', models.IntegerField(blank=True, null=True)),
                ('max_memory_mb', models.IntegerField(blank=True, null=True)),
                ('init_ms', models.FloatField(blank=True, null=True)),
                ('status', models.CharField(blank=True, choices=[('', 'pending'), ('ok', 'ok'), ('error', 'error'), ('timeout', 'timeout')], default='', max_length=8)),
                ('error_type', models.CharField(blank=True, max_length=256)),
                ('trace_id', models.CharField(blank=True, max_length=128)),
                ('ended', models.BooleanField(default=False)),
                ('log_lines', models.JSONField(blank=True, default=list)),
                ('lines_dropped', models.PositiveIntegerField(default=0)),
            ],
            options={
                'indexes': [models.Index(fields=['function_arn', '-started_at'], name='flows_invoc_functio_308739_idx'), models.Index(fields=['started_at'], name='flows_invoc_started_699145_idx')],
                'constraints': [models.UniqueConstraint(fields=('function_arn', 'request_id'), name='unique_invocation_per_function')],
            },
        ),
        migrations.CreateModel(
            name='InvocationMinute',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('function_arn', models.CharField(max_length=512)),
                ('minute', models.DateTimeField()),
                ('count', models.PositiveIntegerField(default=0)),
                ('errors', models.PositiveIntegerField(default=0)),
                ('timeouts', models.PositiveIntegerField(default=0)),
                ('cold_starts', models.PositiveIntegerField(default=0)),
                ('duration_sum_ms', models.FloatField(default=0)),
                ('duration_max_ms', models.FloatField(default=0)),
                ('duration_histogram', models.JSONField(default=list)),
                ('billed_ms_sum', models.FloatField(default=0)),
                ('gb_seconds', models.FloatField(default=0)),
                ('memory_mb', models.IntegerField(blank=True, null=True)),
                ('max_memory_used_mb', models.IntegerField(blank=True, null=True)),
            ],
            options={
                'indexes': [models.Index(fields=['minute'], name='flows_invoc_minute_c4b0b3_idx')],
                'constraints': [models.UniqueConstraint(fields=('function_arn', 'minute'), name='unique_invocation_minute')],
            },
        ),
        migrations.CreateModel(
            name='LogCursor',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('region', models.CharField(max_length=32)),
                ('log_group', models.CharField(max_length=512)),
                ('function_arns', models.JSONField(default=list)),
                ('enabled', models.BooleanField(default=True)),
                ('last_event_ms', models.BigIntegerField(default=0)),
                ('seen_events', models.JSONField(blank=True, default=dict)),
                ('open_requests', models.JSONField(blank=True, default=dict)),
                ('last_catchup_ms', models.BigIntegerField(default=0)),
                ('last_polled_at', models.DateTimeField(blank=True, null=True)),
                ('next_poll_at', models.DateTimeField(blank=True, null=True)),
                ('activity', models.FloatField(default=0)),
                ('quiet_polls', models.PositiveIntegerField(default=0)),
                ('lease_owner', models.CharField(blank=True, max_length=64)),
                ('leased_until', models.DateTimeField(blank=True, null=True)),
                ('stats', models.JSONField(blank=True, default=dict)),
                ('last_error', models.TextField(blank=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('account', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='log_cursors', to='flows.account')),
            ],
            options={
                'indexes': [models.Index(fields=['enabled', 'next_poll_at'], name='flows_logcu_enabled_baa7d3_idx')],
                'constraints': [models.UniqueConstraint(fields=('account', 'region', 'log_group'), name='unique_log_cursor')],
            },
        ),
    ]

"""Discovery: run the collectors, then write the graph atomically and record what changed.

``sync_account`` is the one plain function behind the CLI, the periodic Celery beat job and
the on-demand task. Collecting writes nothing; the graph is replaced in one transaction at the
end, so a crash or SIGKILL at any point leaves the last good graph as it was.
"""
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .aws import COLLECTORS
from .aws.base import CollectContext, describe_error
from .aws.session import ApiCallCounter, caller_identity, client_config, make_session
from .consistency import check_trigger_permissions
from .graph import STUB_ORIGIN, EdgeRecord, GraphBuilder, Node
from .locks import account_lock
from .models import Account, Edge, Resource, SyncRun
from .references import resolve_environment_references
from .vocabulary import SyncStatus

log = logging.getLogger(__name__)

NODE_FIELDS = ("type", "name", "region", "origin", "discovered", "attributes")
EDGE_FIELDS = ("origin", "attributes")


def sync_account(regions, role_arn=None, session=None, progress=None, collectors=COLLECTORS):
    """Discover one account over ``regions`` and return the finished SyncRun.

    ``progress(run)`` is called as collectors finish (the browser shows it live).
    Raises SyncInProgress when another sync of the same account holds the lock.
    """
    regions = list(dict.fromkeys(regions))
    if not regions:
        raise ValueError("at least one region is needed")
    session = session or make_session(role_arn, region=regions[0])
    counter = ApiCallCounter(session)
    account_id, partition, identity = caller_identity(session)
    account, _ = Account.objects.get_or_create(account_id=account_id)
    if account.identity_arn != identity:
        account.identity_arn = identity
        account.save(update_fields=["identity_arn"])
    if role_arn and account.role_arn != role_arn:
        account.role_arn = role_arn
        account.save(update_fields=["role_arn"])

    with account_lock(account_id):
        # A run still "running" here was killed: nobody else holds the lock.
        SyncRun.objects.filter(account=account, status=SyncStatus.RUNNING).update(
            status=SyncStatus.FAILED, finished_at=timezone.now(),
            errors=[{"service": "sync", "region": "", "code": "Interrupted",
                     "message": "The sync process stopped before finishing; the graph was not changed."}],
        )
        run = SyncRun.objects.create(account=account, regions=regions)
        started = time.monotonic()
        try:
            _run(run, session, counter, account_id, partition, regions, progress, collectors)
        except Exception as exc:
            log.exception("sync %s failed", run.pk)
            run.status = SyncStatus.FAILED
            run.errors = run.errors + [{"service": "sync", "region": "", **describe_error(exc)}]
        run.finished_at = timezone.now()
        run.duration_ms = round((time.monotonic() - started) * 1000, 1)
        run.api_calls = counter.total
        run.api_calls_by_service = counter.by_service()
        run.api_calls_by_operation = dict(counter.calls)
        run.save()
        if run.status != SyncStatus.FAILED:
            account.last_synced_at = run.finished_at
            account.regions = sorted(set(account.regions) | set(regions))
            account.save(update_fields=["last_synced_at", "regions"])
        if progress:
            progress(run)
        return run


def _run(run, session, counter, account_id, partition, regions, progress, collectors):
    builder = GraphBuilder()
    config = client_config()
    client_lock = threading.Lock()
    jobs = []
    for collector in collectors:
        for region in ([regions[0]] if collector.global_ else regions):
            origin = f"{collector.key}:{'global' if collector.global_ else region}"
            jobs.append((collector, CollectContext(
                session=session, account=account_id, partition=partition, region=region,
                origin=origin, builder=builder, config=config, client_lock=client_lock)))

    failed_origins, errors = set(), []
    run.progress = {"done": 0, "total": len(jobs), "resources": 0, "current": ""}
    run.save(update_fields=["progress"])

    def collect(collector, ctx):
        collector.collect(ctx)
        return ctx

    workers = settings.FLOWSCOPE["SYNC_CONCURRENCY"]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="collect") as pool:
        futures = {pool.submit(collect, c, ctx): (c, ctx) for c, ctx in jobs}
        for future in as_completed(futures):
            collector, ctx = futures[future]
            try:
                future.result()
            except Exception as exc:  # one service failing never stops the others
                log.warning("collector %s failed: %s", ctx.origin, exc)
                failed_origins.add(ctx.origin)
                errors.append({"service": collector.key, "region": ctx.region, "fatal": True,
                               "level": "error", **describe_error(exc, collector.key)})
            for warning in ctx.warnings:
                errors.append({"service": collector.key, "region": ctx.region, "fatal": False,
                               "level": "error", **warning})
            for note in ctx.notes:
                errors.append({"service": collector.key, "region": ctx.region, "fatal": False, **note})
            run.progress["done"] += 1
            run.progress["resources"] += ctx.resources_found
            run.progress["current"] = ctx.origin
            run.save(update_fields=["progress"])
            if progress:
                progress(run)

    run.errors = errors
    run.status = SyncStatus.SUCCESS
    if failed_origins:
        run.status = SyncStatus.FAILED if len(failed_origins) == len(jobs) else SyncStatus.PARTIAL
    elif any(e.get("level") == "error" for e in errors):
        run.status = SyncStatus.PARTIAL

    scope = {ctx.origin for _, ctx in jobs}
    with transaction.atomic():
        account = Account.objects.select_for_update().get(pk=run.account_id)
        # Keep what this run could not read (failed services) or did not look at (other regions).
        _carry_over(account, builder, lambda origin: origin in failed_origins
                    or (origin not in scope and origin != STUB_ORIGIN))
        resolve_environment_references(builder)
        check_trigger_permissions(builder)
        builder.add_stubs()
        diff = _apply(account, builder)
    run.diff = diff
    for part in ("nodes", "edges"):
        for change in ("added", "removed", "changed"):
            setattr(run, f"{part}_{change}", len(diff[part][change]))
    run.node_count, run.edge_count = len(builder.nodes), len(builder.edges)


def _carry_over(account, builder, keep):
    kept_nodes = [
        Node(arn=r.arn, type=r.type, name=r.name, region=r.region, account=account.account_id,
             attributes=r.attributes, origin=r.origin, discovered=r.discovered)
        for r in Resource.objects.filter(account=account).exclude(origin=STUB_ORIGIN)
        if keep(r.origin) and r.arn not in builder.nodes
    ]
    kept_edges = [
        EdgeRecord(source=e.source_arn, target=e.target_arn, kind=e.kind, key=e.key,
                   attributes=e.attributes, origin=e.origin)
        for e in Edge.objects.filter(account=account) if keep(e.origin)
    ]
    for node in kept_nodes:
        builder.nodes[node.arn] = node
    for edge in kept_edges:
        builder.edges.setdefault(edge.identity, edge)


def _apply(account, builder):
    """Make the stored graph equal to the builder's; return the diff. Runs inside a transaction."""
    existing_nodes = {r.arn: r for r in Resource.objects.filter(account=account)}
    existing_edges = {(e.source_arn, e.target_arn, e.kind, e.key): e
                      for e in Edge.objects.filter(account=account)}

    new_nodes, changed_nodes = [], []
    for arn, node in builder.nodes.items():
        row = existing_nodes.get(arn)
        values = {"type": str(node.type), "name": node.name[:1024], "region": node.region,
                  "origin": node.origin, "discovered": node.discovered,
                  "attributes": node.attributes}
        if row is None:
            new_nodes.append(Resource(account=account, arn=arn, **values))
        elif any(getattr(row, f) != v for f, v in values.items()):
            for field, value in values.items():
                setattr(row, field, value)
            changed_nodes.append(row)
    removed_nodes = [row for arn, row in existing_nodes.items() if arn not in builder.nodes]

    new_edges, changed_edges = [], []
    for identity, edge in builder.edges.items():
        row = existing_edges.get(identity)
        if row is None:
            new_edges.append(Edge(account=account, source_arn=edge.source, target_arn=edge.target,
                                  kind=str(edge.kind), key=edge.key[:1024], origin=edge.origin,
                                  attributes=edge.attributes))
        elif row.origin != edge.origin or row.attributes != edge.attributes:
            row.origin, row.attributes = edge.origin, edge.attributes
            changed_edges.append(row)
    removed_edges = [row for identity, row in existing_edges.items() if identity not in builder.edges]

    Resource.objects.bulk_create(new_nodes, batch_size=500)
    Resource.objects.bulk_update(changed_nodes, NODE_FIELDS, batch_size=500)
    _delete(Resource, removed_nodes)
    Edge.objects.bulk_create(new_edges, batch_size=500)
    Edge.objects.bulk_update(changed_edges, EDGE_FIELDS, batch_size=500)
    _delete(Edge, removed_edges)

    def edge_label(e):
        return {"source": e.source_arn, "target": e.target_arn, "kind": e.kind, "key": e.key}

    return {
        "nodes": {"added": [r.arn for r in new_nodes], "removed": [r.arn for r in removed_nodes],
                  "changed": [r.arn for r in changed_nodes]},
        "edges": {"added": [edge_label(e) for e in new_edges],
                  "removed": [edge_label(e) for e in removed_edges],
                  "changed": [edge_label(e) for e in changed_edges]},
    }


def _delete(model, rows):
    ids = [row.pk for row in rows]
    for start in range(0, len(ids), 500):
        model.objects.filter(pk__in=ids[start:start + 500]).delete()

import os
import secrets
import socket
import threading

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count

from flows.demo.emulator import Emulator
from flows.demo.seed import FLAWS, seed_demo
from flows.export import graph_document
from flows.models import Edge
from flows.tasks import run_sync

DEMO_REGION = "us-east-1"


class Command(BaseCommand):
    help = ("Try Flowscope without an AWS account: start the embedded emulator, seed a serverless "
            "chat app into it, sync it, create a login and serve the dashboard.")

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000, help="dashboard port (default 8000)")
        parser.add_argument("--emulator-port", type=int, default=0,
                            help="AWS emulator port (default 0: any free port)")
        parser.add_argument("--no-serve", action="store_true",
                            help="seed and sync, then stop the emulator instead of serving")
        parser.add_argument("--user", default="demo", help="dashboard login to create or update")
        parser.add_argument("--traffic", type=float, default=5, metavar="RATE",
                            help="demo invocations per second written to the emulator's logs and "
                                 "polled live while serving (default 5; 0 for none)")

    def handle(self, *args, port, emulator_port, no_serve, user, traffic, **options):
        verbosity = options["verbosity"]
        call_command("migrate", interactive=False, verbosity=max(0, verbosity - 1))

        if emulator_port and not _port_is_free(emulator_port):
            # Checked first: the emulator's server thread would die on a busy port and leave
            # start() waiting forever.
            raise CommandError(f"port {emulator_port} is in use; pick another --emulator-port "
                               "(0 picks a free one)")
        emulator = Emulator(port=emulator_port).start()
        # Everything else in this process (this sync, later syncs started from the dashboard)
        # finds AWS through boto3's standard chain: point that chain at the emulator.
        saved = {key: os.environ.get(key) for key in emulator.environment()}
        os.environ.update(emulator.environment())
        try:
            # moto keeps its state per process, not per server: start from an empty account even
            # when another emulator ran in this process before.
            emulator.reset()
            seed_demo(emulator.endpoint, region=DEMO_REGION)
            self.stdout.write(f"AWS emulator at {emulator.endpoint}, demo chat app seeded "
                              f"in {DEMO_REGION}")
            # The README's recipe: the CLI in another terminal, against this emulator.
            self.stdout.write("  CLI against it: export " + " ".join(
                f"{key}={value}" for key, value in emulator.environment().items()))
            password = self._login(user)
            self._sync()
            url = None if no_serve else f"http://127.0.0.1:{port}/"
            self._credentials(user, password, url)
            live = None
            if not no_serve:
                live = self._start_live(traffic)
                # Static files come from WhiteNoise, as in a deployment.
                call_command("runserver", f"127.0.0.1:{port}", use_reloader=False)
        finally:
            if not no_serve and live:
                live.set()
            emulator.stop()
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    def _start_live(self, rate):
        """Demo traffic into the emulator's logs, and the log poller, in background threads."""
        if rate <= 0:
            return None
        from django.db import connection

        from flows.demo.traffic import TrafficGenerator
        from flows.live.poller import poll_loop

        stopping = threading.Event()
        generator = TrafficGenerator.from_environment(rate=rate)
        generator.start()

        def poll():
            try:
                poll_loop(stop=stopping.is_set)
            finally:
                generator.stop()
                connection.close()

        threading.Thread(target=poll, daemon=True, name="flowscope-demo-poller").start()
        self.stdout.write(f"Live demo traffic: {rate:g} invocations/s over "
                          f"{len(generator.functions)} functions, polled every second")
        # Live Tail costs nothing against the emulator: on unless FLOWSCOPE_LIVE_TAIL says no.
        if "FLOWSCOPE_LIVE_TAIL" not in os.environ or settings.FLOWSCOPE["LIVE_TAIL"]:
            from flows.live.tail import tail_loop

            threading.Thread(target=tail_loop, kwargs={"stop": stopping.is_set}, daemon=True,
                             name="flowscope-demo-live-tail").start()
            self.stdout.write("Live Tail mode: the function shown in the inspector is tailed too")
        return stopping

    def _login(self, username):
        password = settings.FLOWSCOPE.get("DEMO_PASSWORD") or secrets.token_urlsafe(12)
        account, created = get_user_model().objects.get_or_create(username=username)
        account.set_password(password)
        account.is_active = True
        account.save()
        self.stdout.write(f"{'Created' if created else 'Updated'} dashboard user {username!r}")
        return password

    def _sync(self):
        run = run_sync([DEMO_REGION])
        if run is None:
            raise CommandError("another sync of the demo account is running; try again shortly")
        self.stdout.write(f"Sync {run.status} in {run.duration_ms / 1000:.1f}s, {run.api_calls} "
                          f"API calls: nodes: {run.node_count}, edges: {run.edge_count}")
        by_kind = (Edge.objects.filter(account=run.account).values("kind")
                   .annotate(count=Count("id")).order_by("kind"))
        for row in by_kind:
            self.stdout.write(f"  {row['kind']:<16} {row['count']}")
        denied = Edge.objects.filter(account=run.account, attributes__permitted=False).count()
        self.stdout.write(
            f"Triggers without invoke permission: {denied} (the demo leaves "
            f"{FLAWS['missing_permission']['kind']} -> {FLAWS['missing_permission']['function']} "
            f"unpermitted on purpose)")
        unmatched = graph_document([run.account])["unmatched_permissions"]
        self.stdout.write(f"Invoke permissions matching no trigger: {len(unmatched)}")
        for statement in unmatched:
            source = statement["source_arn"] or "any source"
            self.stdout.write(f"  {statement['function']} {statement['sid']} "
                              f"({statement['principal']}, {source})")
        for error in run.errors:
            level = error.get("level", "error")
            where = f"{error.get('service')}/{error.get('region')}"
            line = f"  {level}: {where}: {error.get('code')}: {error.get('message')}"
            self.stderr.write(line) if level == "error" else self.stdout.write(line)
        return run

    def _credentials(self, username, password, url):
        lines = ["", "=" * 60]
        if url:
            lines.append(f"  Flowscope demo: {url}")
        lines += [f"  username: {username}", f"  password: {password}", "=" * 60, ""]
        self.stdout.write("\n".join(lines))


def _port_is_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True

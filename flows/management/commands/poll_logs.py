import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from flows.live.heap import freeze_startup_heap
from flows.live.poller import poll_loop


class Command(BaseCommand):
    help = ("Poll the Lambda log groups of the graph's functions and push invocations live "
            "(the loop Celery workers run, in one process). Stop with Ctrl-C.")

    def add_arguments(self, parser):
        parser.add_argument("--demo-traffic", type=float, metavar="RATE", default=0,
                            help="also write demo Lambda log traffic into the emulator at RATE "
                                 "invocations per second (emulator endpoints only)")
        parser.add_argument("--cycles", type=int, default=0,
                            help="stop after this many poll cycles (default: run until stopped)")

    def handle(self, *args, demo_traffic, cycles, **options):
        stopping = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stopping.set())
        generator = None
        if demo_traffic > 0:
            from flows.demo.traffic import TrafficGenerator

            generator = TrafficGenerator.from_environment(rate=demo_traffic)
            generator.start()
            self.stdout.write(f"demo traffic: {demo_traffic:g} invocations/s over "
                              f"{len(generator.functions)} functions")
        done = {"cycles": 0}

        def on_cycle(report):
            done["cycles"] += 1
            if done["cycles"] == 1:
                freeze_startup_heap()  # the clients and their service models are made now
            if report.invocations:
                self.stdout.write(f"{report.invocations} invocations from {report.claimed} log groups")

        def stop():
            return stopping.is_set() or (cycles and done["cycles"] >= cycles)

        tail = None
        if settings.FLOWSCOPE["LIVE_TAIL"]:
            from flows.live.tail import tail_loop

            # Sessions for the functions users focus on; polls stay the source of truth.
            tail = threading.Thread(target=tail_loop, kwargs={"stop": stopping.is_set},
                                    daemon=True, name="flowscope-live-tail")
            tail.start()
            self.stdout.write("Live Tail mode: sessions follow the functions users focus on")
        streams = None
        if settings.FLOWSCOPE["LOG_STREAMS"]:
            from flows.live.stream import stream_loop

            # Stream mode: read the Kinesis streams; their regions' groups are then only
            # safety-polled by the loop below.
            streams = threading.Thread(target=stream_loop, kwargs={"stop": stopping.is_set},
                                       daemon=True, name="flowscope-log-streams")
            streams.start()
            self.stdout.write("stream mode: reading " + ", ".join(settings.FLOWSCOPE["LOG_STREAMS"]))
        freeze_startup_heap()
        try:
            poll_loop(stop=stop, on_cycle=on_cycle)
        except KeyboardInterrupt:
            pass
        finally:
            stopping.set()
            if tail:
                tail.join(timeout=5)
            if streams:
                streams.join(timeout=5)
            if generator:
                generator.stop()

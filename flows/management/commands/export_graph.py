from django.core.management.base import BaseCommand

from flows.export import RENDERERS, graph_document
from flows.models import Account


class Command(BaseCommand):
    help = "Print the discovered graph as JSON (flowscope.graph/1), Graphviz DOT or Mermaid."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=sorted(RENDERERS), default="json")
        parser.add_argument("--account", action="append", dest="accounts",
                            help="only this account id (repeatable); default all")

    def handle(self, *args, format, accounts, **options):
        selected = Account.objects.filter(account_id__in=accounts) if accounts else None
        self.stdout.write(RENDERERS[format](graph_document(selected)), ending="")

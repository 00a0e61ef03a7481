"""`python manage.py judge FILE [--catalog NAME] [--json]`"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from certify import catalogs
from certify.evaluation import judge_log
from certify.judging.verdict import VERDICT_LABELS
from certify.log_file import LogError, read

UNREADABLE = 3  # the exit status when the file cannot be judged


class Command(BaseCommand):
    help = (
        "Recompute the verdicts from a log alone: a session's evidence log (JSON Lines), a signed report (its "
        "attached log), or any OCPP-J log of {ts, direction, raw} lines. Exit 0, or 3 when the file cannot be read."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--catalog",
            choices=sorted(catalogs.CATALOGS),
            help="the catalog to judge against (default: the one the log names, else " + catalogs.DEFAULT + ")",
        )
        parser.add_argument("--json", action="store_true", help='print {"items": [...]} instead of the table')

    def handle(self, file, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {file}", returncode=UNREADABLE)
        try:
            items = judge_log(read(path.read_bytes()), options["catalog"])
        except LogError as error:
            raise CommandError(f"{path.name}: {error}", returncode=UNREADABLE) from error
        if options["json"]:
            self.stdout.write(json.dumps({"items": items}, indent=2))
            return
        width = max(len(i["function"]) for i in items)
        self.stdout.write(f"{'#':>3}  {'Function':<{width}}  {'Verdict':<15}  Reason")
        for item in items:
            label = VERDICT_LABELS.get(item["verdict"], item["verdict"])
            reason = item["reason"] if len(item["reason"]) <= 120 else item["reason"][:119] + "…"
            self.stdout.write(f"{item['key']:>3}  {item['function']:<{width}}  {label:<15}  {reason}")

"""`python manage.py judge FILE [--catalog NAME] [--json] [--findings]`"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from certify import catalogs
from certify.evaluation import judge_log, lint_log
from certify.judging.verdict import VERDICT_LABELS
from certify.log_file import LogError, read
from chargers import findings as protocol_findings

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
        parser.add_argument(
            "--findings",
            action="store_true",
            help="also lint the whole log: every protocol finding (violation, deviation, note) with its clause and "
            'frames; with --json, "findings" and "findings_counts"',
        )

    def handle(self, file, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {file}", returncode=UNREADABLE)
        try:
            log_file = read(path.read_bytes())
            items = judge_log(log_file, options["catalog"])
        except LogError as error:
            raise CommandError(f"{path.name}: {error}", returncode=UNREADABLE) from error
        found = None
        if options["findings"]:
            found = lint_log(log_file)
        if options["json"]:
            extra = {"findings": found, "findings_counts": protocol_findings.counts(found)} if found is not None else {}
            self.stdout.write(json.dumps({"items": items, **extra}, indent=2))
            return
        width = max(len(i["function"]) for i in items)
        self.stdout.write(f"{'#':>3}  {'Function':<{width}}  {'Verdict':<15}  Reason")
        for item in items:
            label = VERDICT_LABELS.get(item["verdict"], item["verdict"])
            reason = item["reason"] if len(item["reason"]) <= 120 else item["reason"][:119] + "…"
            self.stdout.write(f"{item['key']:>3}  {item['function']:<{width}}  {label:<15}  {reason}")
        if found is not None:
            self._findings(found)

    def _findings(self, found: list[dict]) -> None:
        """The findings after the table: counts, then one line each, most serious first."""
        self.stdout.write(f"\nProtocol findings: {protocol_findings.counted_words(protocol_findings.counts(found))}")
        for f in protocol_findings.ordered(found):
            seqs = ", ".join(map(str, f["seqs"]))
            self.stdout.write(f"  {f['severity']:<9}  {f['check']}  ({f['clause']})  {f['text']}  [seq {seqs}]")

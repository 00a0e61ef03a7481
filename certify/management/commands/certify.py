"""`python manage.py certify --charger CP1 --url ws://127.0.0.1:8000/ocpp/`"""

from __future__ import annotations

import asyncio
import json
import sys

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from certify import headless
from certify.catalog import items as catalog_items
from certify.models import CertSession, SessionFile
from certify.transfer import store
from chargers.models import ApiToken

TEST_FIRMWARE = b"OCPP Certify test firmware image\n" * 64


class Command(BaseCommand):
    help = (
        "Run the automatic part of a certification session headless against a charger connected to a running "
        "server, print the verdict table, and exit 1 if an automatic item failed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--charger", required=True, help="charge point id")
        parser.add_argument("--url", default="ws://127.0.0.1:8000/ocpp/", help="the server's OCPP endpoint")
        parser.add_argument(
            "--api-token",
            default=settings.CERTIFY_API_TOKEN,
            help="an engineer's API token (default: $CERTIFY_API_TOKEN, else one is made)",
        )
        parser.add_argument("--simulate", action="store_true", help="also run the built-in simulator as the charger")
        parser.add_argument("--profile", default="default", help="simulator behaviour profile (with --simulate)")
        parser.add_argument("--items", default="", help="comma-separated item numbers (default: all)")
        parser.add_argument("--timeout", type=float, default=120, help="seconds to wait for each item's verdict")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")
        parser.add_argument("--engineer", default="certify-cli", help="the name recorded on the session")

    def handle(self, *args, **options):
        numbers = [int(n) for n in options["items"].split(",") if n.strip()] or [i.number for i in catalog_items()]
        token = options["api_token"] or self._token()
        try:
            items, session_pk = asyncio.run(self._run(numbers, token, options))
        except headless.ApiError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps({"session": session_pk, "items": items}, indent=2))
        else:
            self.stdout.write(f"Session {session_pk} of {options['charger']}\n" + headless.table(items))
        failed = [n for n, item in items.items() if item["verdict"] == "failed"]
        if failed:
            self.stderr.write(f"Failed items: {', '.join(map(str, failed))}")
            sys.exit(1)

    def _token(self) -> str:
        """An engineer's token for the run, kept in the shared database."""
        user, _ = get_user_model().objects.get_or_create(username="certify-cli")
        user.groups.add(Group.objects.get_or_create(name="engineer")[0])
        return ApiToken.issue(user, "certify command")[1]

    async def _run(self, numbers: list[int], token: str, options: dict):
        api = headless.Api(headless.http_base(options["url"]), token)
        sim = sim_task = None
        if options["simulate"]:
            from chargers.simulator import SimulatedCharger, SimulatorOptions

            sim = SimulatedCharger(
                SimulatorOptions(url=options["url"], charge_point_id=options["charger"], profile=options["profile"])
            )
            sim_task = asyncio.create_task(sim.run())
            await sim.wait_booted(30)
        try:
            status, body = await api.call(
                "POST", "/sessions", {"charge_point_id": options["charger"], "engineer_name": options["engineer"]}
            )
            if status != 201:
                raise headless.ApiError(f"Could not open a session: HTTP {status} {body}")
            session_pk = body["id"]
            await sync_to_async(self._host_firmware)(session_pk)
            run = headless.Run(api, session_pk, options["charger"], sim)
            items = await headless.drive(run, numbers, options["timeout"], progress=self._progress)
            return items, session_pk
        finally:
            if sim is not None:
                await sim.stop()
                sim_task.cancel()

    def _progress(self, line: str) -> None:
        self.stderr.write(line)

    def _host_firmware(self, session_pk: int) -> None:
        session = CertSession.objects.get(pk=session_pk)
        if not SessionFile.objects.filter(session=session, kind=SessionFile.FIRMWARE).exists():
            store(session, SessionFile.FIRMWARE, "certify-test-firmware.bin", TEST_FIRMWARE, "upload")

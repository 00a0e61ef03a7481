"""`python manage.py certify --charger CP1 --url ws://127.0.0.1:8000/ocpp/`: a
headless certification run for pipelines (certify.headless), its artifacts
(certify.headless.artifacts) and its exit status: 0 nothing failed, open or
inconclusive, 1 an item failed, 2 an automatic item open or inconclusive, 3 could
not run."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from urllib.parse import quote

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from certify import catalogs
from certify.headless import artifacts, steps
from certify.headless.api import Api, ApiError, Unreachable, http_base
from certify.headless.run import Run, RunOptions, drive
from certify.models import CertSession, SessionFile
from certify.sessions import DEFAULT_ID_TAG, DEFAULT_REFUSED_ID_TAG
from certify.transfer import store
from chargers.models import ApiToken

# The image the built-in simulator installs with --simulate (it installs anything); a real
# charger gets only the manufacturer's image (--firmware), §5.19.
TEST_FIRMWARE = b"OCPP Certify test firmware image\n" * 64
SIGNER_ROLE = "automatic run"
STATEMENT = "Signed by an automatic run of manage.py certify; the verdicts are the server's rules' own."


class CouldNotRun(Exception):
    """Exit status 3, with a message a pipeline log can show."""


def pairs(text: str) -> dict:
    """NAME=VALUE,... as a dict: true/false as booleans, whole numbers as numbers."""
    found: dict = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, value = part.partition("=")
        if value.lower() in ("true", "false"):
            found[name.strip()] = value.lower() == "true"
        elif value.lstrip("-").isdigit():
            found[name.strip()] = int(value)
        else:
            found[name.strip()] = value
    return found


class Command(BaseCommand):
    findings: dict | None = None  # GET /api/sessions/{id}/findings after the run
    elapsed = 0.0  # the run's wall clock: the JUnit suite's time
    report_error = ""  # --report could not be signed or fetched: exit 3, the other artifacts all the same
    help = (
        "Certify a charger headless against a running server: work the automatic items, print the verdict table, "
        "write the signed report, JUnit and JSON if asked. Exit 0: nothing failed, open or inconclusive; 1: an item "
        "failed; 2: an automatic item is open or inconclusive; 3: could not run."
    )

    def add_arguments(self, parser):
        defaults = RunOptions(charger="", items=[])
        parser.add_argument("--charger", required=True, help="charge point id")
        parser.add_argument("--url", default="ws://127.0.0.1:8000/ocpp/", help="the server's OCPP endpoint")
        parser.add_argument(
            "--api-token",
            default=settings.CERTIFY_API_TOKEN,
            help="an engineer's API token (default: $CERTIFY_API_TOKEN, else one is made in this database)",
        )
        parser.add_argument("--catalog", default=catalogs.DEFAULT, help="the catalog of test cases to run")
        parser.add_argument(
            "--declare",
            default="",
            metavar="NAME=VALUE,...",
            help="what the charger declares beyond its configuration (octt16: fixed_cable=true, backup_power=true, "
            "reserve_connector_zero=true, security_profile=2, ...)",
        )
        parser.add_argument(
            "--test-data",
            default="",
            metavar="NAME=VALUE,...",
            help="the catalog's test data (octt16: id_tag_2=..., connection_timeout=30, heartbeat_interval=20, ...)",
        )
        parser.add_argument(
            "--profiles",
            default="",
            help=f"comma-separated groups of the catalog to run ({groups_text()})",
        )
        parser.add_argument(
            "--items", default="", help="comma-separated case keys, e.g. 1,2,17 (default: every case of the catalog)"
        )
        parser.add_argument("--wait-connect", type=float, default=120, help="seconds to wait for the charger (exit 3)")
        parser.add_argument(
            "--physical-hook",
            default="",
            metavar="CMD",
            help="run CMD through sh -c for each physical step (CERTIFY_STEP, CERTIFY_CHARGER, CERTIFY_CONNECTOR, "
            "CERTIFY_ID_TAG, CERTIFY_ERROR_CODE, CERTIFY_ITEM); exit 0 done, 3 the rig cannot do this step (the item "
            "is inconclusive), else not done (the item stays open); without it the steps are printed on stderr",
        )
        parser.add_argument(
            "--step-timeout", type=float, default=defaults.step_timeout, help="seconds to wait for a step's evidence"
        )
        parser.add_argument("--simulate", action="store_true", help="run the built-in simulator as the charger")
        parser.add_argument("--profile", default="default", help="simulator behaviour profile (with --simulate)")
        parser.add_argument("--id-tag", default=DEFAULT_ID_TAG, help="the card of the remote starts (Accepted)")
        parser.add_argument(
            "--local-id-tag",
            default=defaults.local_id_tag,
            help="a second card, presented for the local starts and stops (Accepted)",
        )
        parser.add_argument("--refused-id-tag", default=DEFAULT_REFUSED_ID_TAG, help="the card answered Invalid")
        parser.add_argument("--timeout", type=float, default=defaults.timeout, help="seconds per case")
        parser.add_argument("--max-minutes", type=float, default=defaults.max_minutes, help="minutes for the run")
        parser.add_argument(
            "--interval",
            type=int,
            default=defaults.interval,
            help="first value tried for HeartbeatInterval, MeterValueSampleInterval and ConnectionTimeOut "
            "(the next larger on rejection)",
        )
        parser.add_argument(
            "--offline-seconds",
            type=float,
            default=defaults.offline_seconds,
            help="how long a case that takes the charger offline keeps it away",
        )
        parser.add_argument(
            "--reboot-timeout",
            type=float,
            default=defaults.reboot_timeout,
            help="seconds a reboot (Reset, firmware update) may take, beside the case's --timeout",
        )
        parser.add_argument(
            "--firmware",
            default="",
            metavar="FILE",
            help="the manufacturer's image a firmware case installs (without it that case is inconclusive)",
        )
        parser.add_argument(
            "--diagnostics",
            choices=("auto", "ftp", "http"),
            default=defaults.diagnostics,
            help="where a diagnostics case's upload goes: auto (FTP first unless the charger's SupportedFileTransferProtocols "
            "lists only HTTP(S); after UploadFailed, once over the other; an OCTT case: HTTP unless the charger lists FTP "
            "only), the built-in FTP server, or the session's HTTP URL",
        )
        parser.add_argument(
            "--effect-timeout",
            type=float,
            default=0,
            help="seconds the rules give an effect to follow a command (default: the server's, 60)",
        )
        parser.add_argument("--engineer", default="certify-cli", help="the name on the session and the report")
        parser.add_argument("--report", default="", metavar="FILE.pdf", help="sign the session and write its report")
        parser.add_argument("--junit", default="", metavar="FILE.xml", help="write a JUnit XML file")
        parser.add_argument(
            "--json", nargs="?", const="-", default="", metavar="FILE", help="write the JSON result (alone: stdout)"
        )

    def handle(self, *args, **options):
        try:
            if options["firmware"] and not Path(options["firmware"]).is_file():
                raise CouldNotRun(f"no firmware image at {options['firmware']} (--firmware)")
            catalog, keys = self._cases(options["catalog"], options["items"], options["profiles"])
            token = options["api_token"] or self._token()
            items, runs, session_pk, pdf = asyncio.run(self._run(catalog, keys, token, options))
        except (ApiError, CouldNotRun) as exc:
            self.stderr.write(f"certify: could not run: {exc}")
            sys.exit(artifacts.EXIT_COULD_NOT_RUN)
        sys.exit(self._write(items, runs, session_pk, pdf, options))

    def _cases(self, name: str, items: str, profiles: str = "") -> tuple[catalogs.Catalog, list[str]]:
        """The catalog and the keys of the cases to run (--items, else the cases of
        --profiles, else all of them; those the charger's declaration rules out come
        out Not supported or Not applicable at once)."""
        if name not in catalogs.CATALOGS:
            raise CouldNotRun(f"no catalog {name!r}; one of {', '.join(sorted(catalogs.CATALOGS))}")
        catalog = catalogs.get(name)
        known = [case.key for case in catalog.cases]
        groups = [group.strip() for group in profiles.split(",") if group.strip()]
        try:
            chosen = catalog.in_groups(groups) if groups else known
        except KeyError as exc:
            raise CouldNotRun(f"{exc.args[0]} (catalog {name})") from None
        keys = [key.strip() for key in items.split(",") if key.strip()] or chosen
        unknown = [key for key in keys if key not in known]
        if unknown:
            raise CouldNotRun(f"no case {', '.join(unknown)} in catalog {name}; its keys: {', '.join(known)}")
        return catalog, keys

    def _token(self) -> str:
        """An engineer's token for the run, kept in the shared database."""
        user, _ = get_user_model().objects.get_or_create(username="certify-cli")
        user.groups.add(Group.objects.get_or_create(name="engineer")[0])
        return ApiToken.issue(user, "certify command")[1]

    def _say(self, line: str) -> None:
        self.stderr.write(line)

    async def _run(
        self, catalog: catalogs.Catalog, keys: list[str], token: str, options: dict
    ) -> tuple[dict, dict, int, bytes]:
        api = Api(http_base(options["url"]), token)
        sim = sim_task = None
        if options["simulate"]:
            from chargers.simulator import PROFILES, SimulatedCharger, SimulatorOptions

            if options["profile"] not in PROFILES:
                raise CouldNotRun(f"no simulator profile {options['profile']!r}; one of {', '.join(sorted(PROFILES))}")
            sim = SimulatedCharger(
                SimulatorOptions(url=options["url"], charge_point_id=options["charger"], profile=options["profile"])
            )
            sim_task = asyncio.create_task(sim.run())
            performer: steps.Performer = steps.SimulatorPerformer(sim)
        elif options["physical_hook"]:
            performer = steps.HookPerformer(options["physical_hook"], options["charger"])
        else:
            performer = steps.PromptPerformer(self._say)
        try:
            await self._wait_connect(api, options["charger"], options["wait_connect"])
            return await self._certify(api, catalog, keys, options, performer)
        finally:
            if sim is not None:
                await sim.stop()
                sim_task.cancel()

    async def _wait_connect(self, api: Api, charger: str, seconds: float) -> None:
        """Until the charger is connected and its BootNotification accepted."""
        deadline = time.monotonic() + seconds
        said = False
        while True:
            try:
                status, body = await api.call("GET", f"/chargers/{quote(charger, safe='')}")
            except Unreachable:  # a server still starting: wait for it too
                if time.monotonic() >= deadline:
                    raise
                status, body = 0, None
            if status == 200 and body["connected"] and body["booted_at"]:
                return
            if status not in (0, 200, 404):
                raise CouldNotRun(f"{api.base} answered HTTP {status} for charger {charger}")
            if time.monotonic() >= deadline:
                raise CouldNotRun(f"charger {charger} did not connect and boot within {seconds:g} s")
            if not said:
                self._say(f"certify: waiting up to {seconds:g} s for the server and {charger} to connect and boot")
                said = True
            await asyncio.sleep(0.5)

    async def _open_session(self, api: Api, opening: dict) -> tuple[int, object]:
        """POST /api/sessions; a server error (a busy lab server) is tried again, twice, 2 s
        apart, unless the failed request opened the session after all (a session of the
        charger newer than the newest before it): then that one is used, never two."""
        newest = f"/sessions?charge_point_id={quote(opening['charge_point_id'])}&limit=1"
        for attempt in range(3):
            _, before = await api.call("GET", newest)
            last_id = before[0]["id"] if isinstance(before, list) and before else 0
            status, body = await api.call("POST", "/sessions", opening)
            if status < 500 or attempt == 2:
                return status, body
            listed, found = await api.call("GET", newest)
            if listed == 200 and isinstance(found, list) and found and found[0]["id"] > last_id:
                got, detail = await api.call("GET", f"/sessions/{found[0]['id']}")
                if got == 200:
                    return 201, detail
            self._say(f"certify: opening the session answered HTTP {status}; trying again in 2 s")
            await asyncio.sleep(2)
        return status, body

    async def _certify(self, api: Api, catalog: catalogs.Catalog, keys: list[str], options: dict, performer) -> tuple:
        charger = options["charger"]
        test_data = pairs(options["test_data"])
        if catalog.name == "octt16":
            # --diagnostics picks the upload's location for the OCTT cases too (unless the test data does):
            # auto, HTTP unless the charger lists FTP only (their one GetDiagnostics is not retried).
            locations = {"http": "{diagnostics_http_url}", "ftp": "{diagnostics_url}", "auto": "{diagnostics_auto_url}"}
            test_data.setdefault(
                "diagnostics_location", locations.get(options["diagnostics"], "{diagnostics_auto_url}")
            )
        opening = {
            "charge_point_id": charger,
            "catalog": catalog.name,
            "engineer_name": options["engineer"],
            "options": {
                "id_tag": options["id_tag"],
                "local_id_tag": options["local_id_tag"],
                "refused_id_tag": options["refused_id_tag"],
                "reboot_timeout": options["reboot_timeout"],
                **({"effect_timeout": options["effect_timeout"]} if options["effect_timeout"] else {}),
                **({"declaration": pairs(options["declare"])} if options["declare"] else {}),
                **({"test_data": test_data} if test_data else {}),
            },
        }
        status, body = await self._open_session(api, opening)
        if status != 201:
            raise CouldNotRun(f"could not open a session: HTTP {status} {body}")
        session_pk = body["id"]
        start_seq = body.get("start_seq", 0)
        firmware = ""
        if needs_firmware(catalog, keys):
            firmware = await sync_to_async(self._host_firmware)(
                session_pk, options["firmware"], options["simulate"], needs_firmware(catalog, keys, (BAD,))
            )
        run_options = RunOptions(
            charger=charger,
            items=keys,
            timeout=options["timeout"],
            step_timeout=options["step_timeout"],
            max_minutes=options["max_minutes"],
            interval=options["interval"],
            offline_seconds=options["offline_seconds"],
            id_tag=options["id_tag"],
            local_id_tag=options["local_id_tag"],
            refused_id_tag=options["refused_id_tag"],
            diagnostics=options["diagnostics"],
            reboot_timeout=options["reboot_timeout"],
            firmware=firmware,
        )
        run = Run(api, session_pk, run_options, performer, catalog, progress=self._say)
        self._say(f"certify: session {session_pk} of {charger}, items {','.join(keys)}")
        items = await drive(run, start_seq)
        notes = [f"item {key}: {note}" for key, item in artifacts.in_order(items) for note in run.runs[key].notes]
        statement = " ".join([STATEMENT, *(["Run notes: " + "; ".join(notes) + "."] if notes else [])])
        pdf = b""
        if options["report"]:
            try:
                pdf = await self._report(api, session_pk, options["engineer"], statement)
            except (ApiError, CouldNotRun) as exc:  # the verdicts are still written
                self.report_error = str(exc)
        self.elapsed = run.elapsed
        # After the sign-off: the findings the report printed. Beside the items, they change no verdict.
        status, found = await api.call("GET", f"/sessions/{session_pk}/findings")
        self.findings = found if status == 200 else None
        return items, run.runs, session_pk, pdf

    def _write(self, items: dict, runs: dict, session_pk: int, pdf: bytes, options: dict) -> int:
        """The artifacts and the exit status."""
        charger = options["charger"]
        code = artifacts.exit_code(items)
        if options["report"] and pdf:
            Path(options["report"]).write_bytes(pdf)
            self._say(f"certify: signed report written to {options['report']} ({len(pdf)} bytes)")
        if options["junit"]:
            junit = artifacts.junit(items, runs, charger, session_pk, self.elapsed, self.findings)
            Path(options["junit"]).write_text(junit)
        if options["json"]:
            text = json.dumps(artifacts.result(items, runs, charger, session_pk, code, self.findings), indent=2)
            if options["json"] == "-":
                self.stdout.write(text)
            else:
                Path(options["json"]).write_text(text + "\n")
        if options["json"] != "-":
            line = f"Session {session_pk} of {charger}{artifacts.findings_line(self.findings)}"
            self.stdout.write(line + "\n" + artifacts.table(items, runs))
        ordered = artifacts.in_order(items)
        failed = [key for key, item in ordered if item["verdict"] == "failed"]
        still = [key for key, item in ordered if item["verdict"] == "open" and item.get("automatic", True)]
        untested = [key for key, item in ordered if item["verdict"] == "inconclusive"]
        if failed:
            self._say(f"certify: failed items: {', '.join(failed)}")
        if still:
            self._say(f"certify: automatic items still open: {', '.join(still)}")
        if untested:
            self._say(f"certify: inconclusive items (the bench or the rig could not test them): {', '.join(untested)}")
        if self.report_error:
            self._say(f"certify: could not run: no report: {self.report_error}")
            return artifacts.EXIT_COULD_NOT_RUN
        return code

    async def _report(self, api: Api, session_pk: int, engineer: str, statement: str) -> bytes:
        """Sign off as the dashboard would, then fetch the signed PDF; the
        statement carries the run's notes (how the card was accepted offline,
        intervals the charger rejected)."""
        status, body = await api.call(
            "POST", f"/sessions/{session_pk}/sign", {"name": engineer, "role": SIGNER_ROLE, "statement": statement}
        )
        if status != 200:
            raise CouldNotRun(f"could not sign session {session_pk}: HTTP {status} {body}")
        status, pdf = await api.call("GET", f"/sessions/{session_pk}/report.pdf", raw=True)
        if status != 200:
            raise CouldNotRun(f"could not fetch the report of session {session_pk}: HTTP {status}")
        return pdf

    def _host_firmware(self, session_pk: int, path: str, simulate: bool, bad: bool = False) -> str:
        """Host the image a case installs (--firmware; with --simulate, a test image
        the simulator installs), when this command shares the server's database;
        its name, or "" when none is hosted (the case is then inconclusive: a dummy
        file is no firmware a charger may install, §5.19). `bad`: also an empty
        image beside it, named as the OCTT test data's invalid firmware location
        says ({firmware_url}.invalid), which a charger downloads but cannot install
        (TC_044_3_CS)."""
        if not path and not simulate:
            self._say("certify: no --firmware FILE given: the firmware update is inconclusive")
            return ""
        session = CertSession.objects.filter(pk=session_pk).first()
        if session is None:
            self._say("certify: no firmware hosted (this database is not the server's)")
            return ""
        own = SessionFile.objects.filter(session=session, kind=SessionFile.FIRMWARE).order_by("-pk").first()
        if own is not None and not path:
            return own.name  # the session's own
        name, data = (
            (Path(path).name, Path(path).read_bytes()) if path else ("certify-test-firmware.bin", TEST_FIRMWARE)
        )
        if bad:  # stored first: the session's firmware URL is its latest file
            store(session, SessionFile.FIRMWARE, f"{name}.invalid", b"", "upload")
        return store(session, SessionFile.FIRMWARE, name, data, "upload").name


def groups_text() -> str:
    """The groups each registered catalog offers, for --help: read off the catalogs,
    so a catalog's new group needs no edit here."""
    found = []
    for name in catalogs.CATALOGS:
        groups = catalogs.get(name).groups
        if groups:
            found.append(f"{name}: {', '.join(groups)}")
    return "; ".join(found) or "none of the catalogs has groups"


BAD = "{invalid_firmware_url}"


def needs_firmware(catalog: catalogs.Catalog, keys: list[str], placeholders=("{firmware_url}", BAD)) -> bool:
    """A case of the run installs firmware from the session: one of its commands
    points at {firmware_url} or {invalid_firmware_url} (or at the placeholders given)."""
    return any(
        any(placeholder in json.dumps(command.payload) for placeholder in placeholders)
        for case in catalog.cases
        if case.key in keys
        for command in case.commands
    )

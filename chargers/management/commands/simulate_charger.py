"""`python manage.py simulate_charger`: one or many simulated chargers."""

from __future__ import annotations

import asyncio
import dataclasses

from django.core.management.base import BaseCommand

from chargers.simulator import PROFILES, SimulatedCharger, SimulatorOptions
from chargers.simulator.control import ControlServer, read_stdin
from chargers.simulator.profiles import cite


class Command(BaseCommand):
    help = "Run simulated OCPP 1.6-J chargers against a central system."

    def add_arguments(self, parser):
        defaults = SimulatorOptions()
        parser.add_argument("--url", default=defaults.url, help="central system URL; the id is appended")
        parser.add_argument("--id", default=defaults.charge_point_id, help="charge point id")
        parser.add_argument("--connectors", type=int, default=defaults.connectors)
        parser.add_argument("--vendor", default=defaults.vendor)
        parser.add_argument("--model", default=defaults.model)
        parser.add_argument("--serial", default=defaults.serial)
        parser.add_argument("--firmware", default=defaults.firmware)
        parser.add_argument("--iccid", default=defaults.iccid)
        parser.add_argument("--imsi", default=defaults.imsi)
        parser.add_argument("--meter-type", default=defaults.meter_type)
        parser.add_argument(
            "--password", default="", help="Basic-auth AuthorizationKey (security profile 1; 2 with a wss:// --url)"
        )
        parser.add_argument(
            "--ca",
            default="",
            metavar="PEM",
            help="the CA or server certificate it trusts over wss:// (default: system)",
        )
        parser.add_argument(
            "--tls-url",
            default="",
            metavar="WSS_URL",
            help="where it reconnects when the central system raises SecurityProfile to 2 (needs --ca)",
        )
        parser.add_argument("--count", type=int, default=1, help="run N chargers: <id>-001 ... <id>-N")
        legal = ", ".join(n for n, p in PROFILES.items() if p.legal and n != "default")
        faulty = ", ".join(f"{n} (breaks {', '.join(map(cite, p.breaks))})" for n, p in PROFILES.items() if p.breaks)
        parser.add_argument(
            "--profile",
            default="default",
            choices=sorted(PROFILES),
            metavar="PROFILE",
            help=f"behaviour: default; a legal OCPP 1.6 variant: {legal}; or a fault: {faulty}. "
            "Each is described in chargers/simulator/profiles.py",
        )
        parser.add_argument("--control-port", type=int, default=0, help="local HTTP control port (0: off)")
        parser.add_argument("--stdin", action="store_true", help="read control lines from stdin")
        parser.add_argument("--duration", type=float, default=0, help="seconds to run (0: until stopped)")
        parser.add_argument("--heartbeat-interval", type=int, default=defaults.heartbeat_interval)
        parser.add_argument(
            "--slow-reboot-delay",
            type=float,
            default=None,
            metavar="SECONDS",
            help="how long a reboot takes with --profile slow-reboot (default 90)",
        )

    def handle(self, *args, **opts):
        asyncio.run(self.run(opts))

    async def run(self, opts: dict) -> None:
        base = SimulatorOptions(
            url=opts["url"],
            charge_point_id=opts["id"],
            connectors=opts["connectors"],
            vendor=opts["vendor"],
            model=opts["model"],
            serial=opts["serial"],
            firmware=opts["firmware"],
            iccid=opts["iccid"],
            imsi=opts["imsi"],
            meter_type=opts["meter_type"],
            password=opts["password"],
            ca=opts["ca"],
            tls_url=opts["tls_url"],
            profile=opts["profile"],
            heartbeat_interval=opts["heartbeat_interval"],
            slow_reboot_delay=opts["slow_reboot_delay"],
        )
        count = opts["count"]
        if count == 1:
            options = [base]
        else:
            width = max(3, len(str(count)))
            options = [
                dataclasses.replace(
                    base, charge_point_id=f"{base.charge_point_id}-{n:0{width}d}", serial=f"{base.serial}-{n}"
                )
                for n in range(1, count + 1)
            ]
        chargers = {o.charge_point_id: SimulatedCharger(o) for o in options}
        tasks = [asyncio.create_task(sim.run()) for sim in chargers.values()]
        extra = []
        if opts["control_port"]:
            server = await ControlServer(chargers).serve(opts["control_port"])
            extra.append(server)
            self.stdout.write(f"Control: http://127.0.0.1:{opts['control_port']}/ (POST /<id>/plug?connector=1 ...)")
        if opts["stdin"]:
            tasks.append(asyncio.create_task(read_stdin(chargers)))
        self.stdout.write(f"Simulating {len(chargers)} charger(s) against {base.url}")
        try:
            if opts["duration"]:
                await asyncio.sleep(opts["duration"])
            else:
                await asyncio.gather(*tasks)
        finally:
            for sim in chargers.values():
                await sim.stop()
            for task in tasks:
                task.cancel()
            for server in extra:
                server.close()

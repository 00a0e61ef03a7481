"""The physical steps of a certification run (plug, unplug, swipe, fault,
clear-fault) and who does them: a pipeline's hook script, a person at the bench
reading stderr, or the built-in simulator. The headless run asks a Performer
for each step and then waits for the charger's evidence, whoever did it, so a
simulated run takes the same path as a rig.

The hook's contract (issues 16, 20) is its environment: CERTIFY_STEP, CERTIFY_CHARGER,
CERTIFY_CONNECTOR (0: the station), CERTIFY_ID_TAG (swipe), CERTIFY_ERROR_CODE
(fault), CERTIFY_ITEM. Exit status 0 means done; 3 means the rig cannot do this
step at all (the item is inconclusive); anything else, or no exit within
HOOK_LIMIT seconds, means the step could not be done this time (the item stays
open). README's "Headless runs" says what each step must mean.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

STEP_NAMES = ("plug", "unplug", "swipe", "fault", "clear-fault", "power-cycle", "unplug-ev-side")
# Steps only some cases ask for, which a rig may provide (else they cannot be done).
RIG_STEPS = ("plug-unlockable", "block-unlock", "fail-local-list")
HOOK_LIMIT = 60.0
RIG_CANNOT = 3  # the hook's exit status for "the rig cannot do this step"


@dataclass(frozen=True)
class Step:
    name: str  # one of STEP_NAMES
    item: str  # the key of the case it is done for
    connector: int = 1
    id_tag: str = ""
    error_code: str = ""

    def describe(self) -> str:
        """What a person at the bench reads, e.g. "item 6: plug connector 1"."""
        where = "the station (connector 0)" if self.connector == 0 else f"connector {self.connector}"
        text = {
            "plug": f"plug {where}",
            "unplug": f"unplug {where}",
            "swipe": f"present card {self.id_tag} at {where}",
            "fault": f"raise a fault ({self.error_code}) on {where}",
            "clear-fault": f"clear the fault on {where}",
            "power-cycle": "cut the charger's power, then restore it",
            "unplug-ev-side": f"unplug the cable at the EV side only, at {where}",
            "plug-unlockable": f"plug in at {where} so that the lock cannot engage",
            "block-unlock": f"block the lock of {where} so that it cannot open",
            "fail-local-list": "make storing the local authorization list fail",
        }.get(self.name, f"{self.name} at {where}")
        return f"item {self.item}: {text}"

    def environment(self, charger: str) -> dict[str, str]:
        return {
            "CERTIFY_STEP": self.name,
            "CERTIFY_CHARGER": charger,
            "CERTIFY_CONNECTOR": str(self.connector),
            "CERTIFY_ID_TAG": self.id_tag,
            "CERTIFY_ERROR_CODE": self.error_code,
            "CERTIFY_ITEM": str(self.item),
        }


@dataclass(frozen=True)
class Outcome:
    done: bool
    reason: str = ""  # why it could not be done
    inconclusive: bool = False  # the rig cannot do it at all: the item cannot be tested here


class Performer(Protocol):
    """Does a physical step, or says why it could not."""

    async def perform(self, step: Step) -> Outcome: ...


class HookPerformer:
    """`--physical-hook CMD`: CMD through `sh -c`, the step in its environment."""

    def __init__(self, command: str, charger: str, limit: float = HOOK_LIMIT) -> None:
        self.command, self.charger, self.limit = command, charger, limit

    async def perform(self, step: Step) -> Outcome:
        process = await asyncio.create_subprocess_exec(
            "sh",
            "-c",
            self.command,
            env={**os.environ, **step.environment(self.charger)},
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,  # so a timeout ends the hook's children too
        )
        try:
            output, _ = await asyncio.wait_for(process.communicate(), self.limit)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
            return Outcome(False, f"the hook did not finish {step.name} within {self.limit:g} s")
        if process.returncode != 0:
            tail = output.decode(errors="replace").strip().splitlines()[-1:] if output else []
            said = f": {tail[0][:200]}" if tail else ""
            if process.returncode == RIG_CANNOT:
                return Outcome(
                    False, f"the hook says the rig cannot {step.name} (exit status 3){said}", inconclusive=True
                )
            return Outcome(False, f"the hook could not {step.name} (exit status {process.returncode}){said}")
        return Outcome(True)


class PromptPerformer:
    """No hook: tell the person at the bench (or a rig acting on its own) on
    stderr; the run then waits for the evidence up to --step-timeout."""

    def __init__(self, write: Callable[[str], None] | None = None) -> None:
        self.write = write or (lambda line: print(line, file=sys.stderr, flush=True))

    async def perform(self, step: Step) -> Outcome:
        self.write(step.describe())
        return Outcome(True)


class SimulatorPerformer:
    """`--simulate`: the built-in simulator, driven through the verbs of its
    control port (chargers.simulator.control.act), in this process."""

    def __init__(self, sim) -> None:
        self.sim = sim

    async def perform(self, step: Step) -> Outcome:
        from chargers.simulator.control import act

        params = {"connector": step.connector, "tag": step.id_tag, "code": step.error_code or "GroundFailure"}
        try:
            await act(self.sim, step.name, params)
        except Exception as exc:  # the simulator says why, as a hook would
            return Outcome(False, f"the simulator could not {step.name}: {exc}")
        return Outcome(True)

"""The seed script's items as the headless run works them: each worker does
what the engineer would click and asks for what the engineer would do by hand;
the server's rules give the verdict."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from .run import Blocked, Run


async def item_boot(r: Run) -> None:
    await r.command(1, "TriggerMessage", {"requestedMessage": "BootNotification"})


async def item_heartbeat(r: Run) -> None:
    await r.configure(2, "HeartbeatInterval")
    await r.command(2, "TriggerMessage", {"requestedMessage": "Heartbeat"})


async def item_availability(r: Run) -> None:
    mark = r.tail.seq
    await r.command(3, "ChangeAvailability", {"connectorId": 0, "type": "Inoperative"})
    await r.wait(3, "Unavailable", lambda: r.tail.status_since(mark, None, lambda s, e: s == "Unavailable"))
    mark = r.tail.seq
    await r.command(3, "ChangeAvailability", {"connectorId": 0, "type": "Operative"})
    await r.wait(3, "Available again", lambda: r.tail.status_since(mark, None, lambda s, e: s == "Available"))


async def item_get_configuration(r: Run) -> None:
    answer = await r.command(4, "GetConfiguration", {})
    for entry in (answer or {}).get("configurationKey", []) or []:
        r.config[entry.get("key", "")] = entry.get("value", "") or ""


async def item_change_configuration(r: Run) -> None:
    value = await r.configure(5, "MeterValueSampleInterval")
    if value:
        r.meter_interval = value
        await r.command(5, "GetConfiguration", {"key": ["MeterValueSampleInterval"]})  # read back
    if r.reboot_required:  # applied after a reboot: read back after item 9's
        r.runs[5].notes.append("RebootRequired: read back after the reset of item 9")
        r.runs[5].deferred = True


async def item_start(r: Run) -> None:
    one, other, ok, refused = r.connectors[0], r.second, r.options.id_tag, r.options.refused_id_tag
    await r.plug(6, one)
    await r.command(6, "RemoteStartTransaction", {"connectorId": one, "idTag": ok})
    tx = await r.transaction_on(6, one)
    if other == one and tx:  # one connector: free it for the local start
        await r.command(6, "RemoteStopTransaction", {"transactionId": tx})
        await r.transaction_ended(6, tx)
        await r.step(6, "unplug", one)
        await r.freed(6, one)
    await r.plug(6, other)
    mark = r.tail.seq
    await r.step(6, "swipe", other, id_tag=refused)
    await r.wait(
        6,
        f"the refused card {refused} (Authorize answered Invalid)",
        lambda: r.tail.call_since(mark, "Authorize", lambda p, a: p.get("idTag") == refused),
    )
    await r.step(6, "swipe", other, id_tag=ok)
    await r.transaction_on(6, other)


async def item_stop(r: Run) -> None:
    one, other, ok = r.connectors[0], r.second, r.options.id_tag
    try:
        interval = r.meter_interval or int(r.config.get("MeterValueSampleInterval", "")) or r.options.interval
    except ValueError:
        interval = r.options.interval
    if r.tail.started and 8 in r.runs:  # item 8: periodic samples of a few intervals first
        first = min(r.tail.started.values())
        await r.pause(7, first + interval * 2.5 - time.monotonic(), "letting periodic meter values come (item 8)")
    tx = r.tail.transactions.get(one)
    if tx and other != one:
        await r.command(7, "RemoteStopTransaction", {"transactionId": tx})
        await r.transaction_ended(7, tx)
        await r.step(7, "unplug", one)
        await r.freed(7, one)
    tx = r.tail.transactions.get(other)
    if tx:
        await r.step(7, "swipe", other, id_tag=ok)  # a local stop
        await r.transaction_ended(7, tx)
        await r.step(7, "unplug", other)
        await r.freed(7, other)
    # A stop on unplug (EVDisconnected), by the next driver: not within a
    # second of the last one (a charger may still be settling the connector).
    await r.pause(7, 3.0, "the next driver arrives")
    await r.plug(7, one)
    await r.step(7, "swipe", one, id_tag=ok)
    tx = await r.transaction_on(7, one)
    if tx:
        await r.pause(7, 1.0, "charging a moment")
        await r.step(7, "unplug", one)
        await r.transaction_ended(7, tx)
        await r.freed(7, one)


async def item_nothing(r: Run) -> None:
    """Judged from what other items caused (8 from the transactions of 6 and 7)."""


async def prepare_meter_values(r: Run) -> None:
    """Item 8 needs transactions sampled at a short interval: item 5 sets it;
    without item 5 in the run, item 8 sets it itself."""
    if 5 not in r.runs:
        r.meter_interval = await r.configure(8, "MeterValueSampleInterval") or 0


async def item_reset(r: Run) -> None:
    for kind in ("Hard", "Soft"):
        await r.idle(9)
        for attempt in range(3):  # Rejected is a legal answer (§5.14, §7.41): try again later
            mark = r.tail.seq
            answer = await r.command(9, "Reset", {"type": kind})
            if (answer or {}).get("status") != "Rejected":
                break
            await r.pause(9, 5.0 * (attempt + 1), f"Reset {kind} rejected; trying again")
        if (answer or {}).get("status") == "Accepted":
            await r.reboot(9, mark)
    if r.reboot_required and 5 in r.runs:  # keys applied after the reboot: read them back (item 5)
        await r.command(5, "GetConfiguration", {"key": sorted(r.reboot_required)})


async def item_error(r: Run) -> None:
    mark = r.tail.seq
    await r.step(10, "fault", 0, error_code=r.options.error_code)
    await r.wait(
        10,
        "a StatusNotification with the error",
        lambda: r.tail.status_since(mark, None, lambda s, e: s == "Faulted" or e not in ("", "NoError")),
    )
    mark = r.tail.seq
    await r.step(10, "clear-fault", 0)
    await r.wait(
        10,
        "a StatusNotification clearing the error",
        lambda: r.tail.status_since(mark, None, lambda s, e: s != "Faulted" and e in ("", "NoError")),
    )


async def item_cable(r: Run) -> None:
    one = r.connectors[0]
    timeout = await r.configure(11, "ConnectionTimeOut") or 60
    mark = r.tail.seq
    await r.step(11, "plug", one)
    await r.wait(
        11, f"Preparing on connector {one}", lambda: r.tail.status_since(mark, one, lambda s, e: s == "Preparing")
    )
    mark = r.tail.seq
    await r.wait(
        11,
        f"connector {one} back to Available after ConnectionTimeOut ({timeout} s)",
        lambda: r.tail.status_since(mark, one, lambda s, e: s in ("Available", "Finishing")),
        timeout + r.options.step_timeout,
    )
    await r.step(11, "unplug", one)


async def item_firmware(r: Run) -> None:
    await r.idle(12)
    mark = r.tail.seq
    answer = await r.command(12, "UpdateFirmware", {"location": "{firmware_url}", "retrieveDate": "{now}"})
    if answer is None:
        return
    done = await r.wait(
        12,
        "FirmwareStatusNotification Installed (or a failure)",
        lambda: r.tail.call_since(
            mark,
            "FirmwareStatusNotification",
            lambda p, a: p.get("status") in ("Installed", "InstallationFailed", "DownloadFailed"),
        ),
        r.options.timeout,
    )
    if done:
        await r.reboot(12, mark)


async def item_diagnostics(r: Run) -> None:
    mark = r.tail.seq
    await r.command(
        13,
        "GetDiagnostics",
        {
            "location": "{diagnostics_url}" if r.options.diagnostics == "ftp" else "{diagnostics_http_url}",
            "startTime": "{hour_ago}",
            "stopTime": "{now}",
        },
    )
    await r.wait(
        13,
        "DiagnosticsStatusNotification Uploaded (or UploadFailed)",
        lambda: r.tail.call_since(
            mark, "DiagnosticsStatusNotification", lambda p, a: p.get("status") in ("Uploaded", "UploadFailed")
        ),
        r.options.timeout,
    )


async def item_profile(r: Run) -> None:
    units = r.config.get("ChargingScheduleAllowedChargingRateUnit", "Current")
    unit, limit = ("A", 16.0) if "Current" in units or not units else ("W", 11000.0)
    for connector in r.connectors:
        await r.command(
            14,
            "SetChargingProfile",
            {
                "connectorId": connector,
                "csChargingProfiles": {
                    "chargingProfileId": 900 + connector,
                    "stackLevel": 0,
                    "chargingProfilePurpose": "TxDefaultProfile",
                    "chargingProfileKind": "Absolute",
                    "chargingSchedule": {
                        "chargingRateUnit": unit,
                        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}],
                    },
                },
            },
        )


async def offline_card(r: Run) -> str:
    """Make sure the charger accepts the card while offline, the way it offers;
    returns the note saying which."""
    tag = r.options.id_tag
    if r.flag("LocalAuthorizeOffline") is False:
        await r.command(16, "ChangeConfiguration", {"key": "LocalAuthorizeOffline", "value": "true"})
    if "LocalAuthListManagement" in r.profiles() and r.flag("LocalAuthListEnabled") is not False:
        version = await r.command(16, "GetLocalListVersion", {})
        number = max(0, int((version or {}).get("listVersion", 0) or 0)) + 1
        answer = await r.command(
            16,
            "SendLocalList",
            {
                "listVersion": number,
                "updateType": "Differential",
                "localAuthorizationList": [{"idTag": tag, "idTagInfo": {"status": "Accepted"}}],
            },
        )
        if (answer or {}).get("status") == "Accepted":
            return f"card {tag} accepted offline from the local authorization list"
    if r.flag("AuthorizationCacheEnabled") and r.tail.call_since(
        0,
        "Authorize",
        lambda p, a: p.get("idTag") == tag and ((a or {}).get("idTagInfo") or {}).get("status") == "Accepted",
    ):
        return f"card {tag} accepted offline from the authorization cache"
    answer = await r.command(16, "ChangeConfiguration", {"key": "AllowOfflineTxForUnknownId", "value": "true"})
    if (answer or {}).get("status") in ("Accepted", "RebootRequired"):
        return f"card {tag} accepted offline through AllowOfflineTxForUnknownId"
    return f"no way found to have card {tag} accepted offline"


async def item_offline(r: Run) -> None:
    one, ok = r.connectors[0], r.options.id_tag
    r.runs[16].notes.append(await offline_card(r))
    await r.wait(16, "the charger connected", lambda: r.tail.connected)
    mark = r.tail.seq
    seconds = r.options.offline_seconds
    r.say(f"item 16: taking {r.options.charger} offline for {seconds:g} s")
    status, body = await r.api.call("POST", f"/sessions/{r.session}/offline", {"seconds": seconds})
    if status != 200:
        raise Blocked(f"Could not take the charger offline: HTTP {status} {body}")
    await r.wait(16, "the socket closed", lambda: r.tail.event_since(mark, "disconnected"), 10)
    await r.step(16, "plug", one)
    await r.step(16, "swipe", one, id_tag=ok)
    await r.pause(16, min(5.0, seconds / 4), "charging offline a moment")
    await r.step(16, "unplug", one)
    await r.wait(
        16,
        "the charger back online with its queued transaction messages",
        lambda: r.tail.event_since(mark, "connected"),
        seconds + r.options.step_timeout,
    )


async def item_trigger(r: Run) -> None:
    """Item 18 rides on item 1's boot (the server's own trigger after it); in a
    run without item 1 it sends its TriggerMessage itself."""
    if 1 not in r.runs:
        await r.command(18, "TriggerMessage", {"requestedMessage": "StatusNotification"})


async def item_clear_cache(r: Run) -> None:
    await r.command(17, "ClearCache", {})


WORKERS: dict[int, Callable[[Run], Awaitable[None]]] = {
    1: item_boot,
    2: item_heartbeat,
    3: item_availability,
    4: item_get_configuration,
    5: item_change_configuration,
    6: item_start,
    7: item_stop,
    8: item_nothing,
    9: item_reset,
    10: item_error,
    11: item_cable,
    12: item_firmware,
    13: item_diagnostics,
    14: item_profile,
    16: item_offline,
    17: item_clear_cache,
    18: item_trigger,
}
# The plan: stages one after the other; in a stage, lanes side by side, each
# lane's items in order. Lanes of a stage never spoil each other's evidence:
# the connectors lane owns the connectors and transactions, the commands lane
# sends only commands that change no connector, the heartbeat lane only waits.
# Items 4 and 1 come first: the configuration shapes the rest, and item 1's
# triggered boot hands out a new HeartbeatInterval (§4.2), which would end item
# 2's interval early. A fault and Inoperative (10, 3) wait for the commands lane
# (a charger may abort an upload for them). The offline item runs alone (a
# closed socket would break every other lane), ClearCache after it (the cache
# may be how the card is accepted offline), resets and firmware last.
PLAN: tuple[tuple[tuple[int, ...], ...], ...] = (
    ((4, 1),),
    ((5, 6, 7, 8, 11), (14, 13, 18), (2,)),
    ((10, 3),),
    ((16,),),
    ((17,),),
    ((9,),),
    ((12,),),
)


# Items judged from what others cause: their attempts begin before the items
# whose actions are their evidence (8: the transactions of 6 and 7; 18: the
# trigger after item 1's boot), so a failure seen there is inside their own attempt.
RIDES_ON = {8: 6, 18: 1}

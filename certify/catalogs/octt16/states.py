"""The reusable states of the OCTT 1.6 charger cases, as steps: the document
reaches Authorized, Charging, an Unavailable or Faulted connector, a
reservation, ... the same way in many cases, so a case writes
`(*CHARGING, Send("RemoteStopTransaction", ...), ...)`.

Conventions every state follows (OCTT's, and OCPP 1.6 edition 2's):
- StartTransaction and StatusNotification Charging may come in either order
  (§4.8, §4.9), as may StopTransaction and Finishing (§4.10); SuspendedEV and
  SuspendedEVSE count as charging (§4.9: the EV or the charger may hold the
  energy while the transaction runs).
- After a stop, Finishing, or Available where the cable is already gone (§4.9:
  Finishing is for a connector not yet free for a new user).
- An Authorize before a remote start is optional: with AuthorizeRemoteTxRequests
  true the charger may still authorize from its cache or list (§5.11).
- Payload strings such as "{connector}" are the session's test data, filled
  when the command is sent.
"""

from __future__ import annotations

from certify.judging.sequence import MISSING
from certify.judging.steps import AnyOrder, Each, Expect, Manual, OneOf, Ref, Send, Var

CONNECTOR = Var("connector")
TAG = Var("id_tag")
TAG_2 = Var("id_tag_2")
ON = {"connectorId": CONNECTOR}
CHARGING_STATES = OneOf("Charging", "SuspendedEV", "SuspendedEVSE")
AFTER_STOP = OneOf("Finishing", "Available")
TAG_ACCEPTED = {"idTagInfo": {"status": "Accepted"}}
ACCEPTED = {"status": "Accepted"}
# A configuration change the charger took: RebootRequired takes it too, from the next boot (§5.3, §7.22).
TAKEN = {"status": OneOf("Accepted", "RebootRequired")}
OF_THE_TRANSACTION = {"transactionId": Ref("start", "answer.transactionId")}
UNSUPPORTED = ("NotImplemented", "NotSupported")


# -- what a person (or the physical-step hook) does ---------------------------------------


def plug(connector=CONNECTOR) -> Manual:
    return Manual("plug", "Plug the EV in (at the EV and at the charger)", {"connector": connector})


def unplug(connector=CONNECTOR) -> Manual:
    return Manual("unplug", "Unplug the cable", {"connector": connector})


def unplug_ev_side(connector=CONNECTOR) -> Manual:
    return Manual("unplug-ev-side", "Unplug the cable at the EV side only", {"connector": connector})


def swipe(tag=TAG, words: str = "the valid tag", connector=CONNECTOR) -> Manual:
    return Manual("swipe", f"Present {words}", {"connector": connector, "id_tag": tag})


def fault(connector=CONNECTOR) -> Manual:
    return Manual("fault", "Put the connector in a fault state", {"connector": connector})


def clear_fault(connector=CONNECTOR) -> Manual:
    return Manual("clear-fault", "Clear the fault", {"connector": connector})


def power_cycle() -> Manual:
    return Manual("power-cycle", "Cut the charger's power, then restore it", disconnects=True)


def offline() -> Manual:
    return Manual("offline", "Cut the network between the charger and the bench", disconnects=True)


def online() -> Manual:
    return Manual("online", "Restore the network")


def reconnected() -> Expect:
    """The charger connects again after the network was cut (the log's connection event)."""
    return Expect("event:connected", within=Var("reboot_timeout"), label="The charger connects again")


# -- what the charger sends -----------------------------------------------------------------


def status(value, connector=CONNECTOR, **options) -> Expect:
    """StatusNotification of a connector with a status (or one of several);
    `state=True`: the connector may already be in it."""
    return Expect("StatusNotification", {"status": value}, match={"connectorId": connector}, **options)


def authorize(tag=TAG, answered=TAG_ACCEPTED, **options) -> Expect:
    return Expect("Authorize", {"idTag": tag}, ours=answered, **options)


def started(tag=TAG, name: str = "start", connector=CONNECTOR, **fields) -> AnyOrder:
    """StartTransaction on the connector for the tag (we accept it), and the
    connector charging, in either order."""
    return AnyOrder(
        Expect(
            "StartTransaction",
            {"idTag": tag, **fields},
            match={"connectorId": connector},
            ours=TAG_ACCEPTED,
            name=name,
        ),
        status(CHARGING_STATES, connector),
    )


def stopped(reason, after=AFTER_STOP, **fields) -> AnyOrder:
    """StopTransaction of the running transaction with a reason (MISSING: none
    given, which means Local, §6.49) and the connector's status after it."""
    return AnyOrder(
        Expect("StopTransaction", {"reason": reason, **fields}, match=OF_THE_TRANSACTION),
        status(after),
    )


def all_connectors(value) -> Each:
    """A StatusNotification with the status for every connector and connector 0."""
    return Each(Expect("StatusNotification", {"status": value}))


LOCAL_REASON = OneOf("Local", MISSING)


# -- the reusable states ------------------------------------------------------------------------

# Authorized: the valid tag presented, authorized with us, the connector preparing.
AUTHORIZED = (swipe(), authorize(), status("Preparing"))

# Charging: started remotely with the cable plugged in first.
CHARGING = (
    Send("GetConfiguration", {"key": ["AuthorizeRemoteTxRequests"]}, label="We read AuthorizeRemoteTxRequests"),
    plug(),
    status("Preparing"),
    Send(
        "RemoteStartTransaction",
        {"connectorId": "{connector}", "idTag": "{id_tag}"},
        ACCEPTED,
        name="remote_start",
    ),
    authorize(optional=True, label="The charger may authorize the tag (AuthorizeRemoteTxRequests)"),
    started(),
)

# SetConnectorOccupied: the cable plugged in, the connector preparing.
CONNECTOR_OCCUPIED = (plug(), status("Preparing"))

# SetConnectorUnavailable / SetChargePointUnavailable: ChangeAvailability Inoperative.
CONNECTOR_UNAVAILABLE = (
    Send("ChangeAvailability", {"connectorId": "{connector}", "type": "Inoperative"}, ACCEPTED),
    status("Unavailable"),
)
CHARGE_POINT_UNAVAILABLE = (
    Send("ChangeAvailability", {"connectorId": 0, "type": "Inoperative"}, ACCEPTED),
    all_connectors("Unavailable"),
)

# SetConnectorFaulted / SetChargePointFaulted: a fault raised by hand.
CONNECTOR_FAULTED = (fault(), status("Faulted"))
CHARGE_POINT_FAULTED = (fault(0), status("Faulted", 0))

# Reserved: a reservation of the connector for the valid tag.
RESERVED = (
    Send(
        "ReserveNow",
        {
            "connectorId": "{connector}",
            "expiryDate": "{reservation_expiry}",
            "idTag": "{id_tag}",
            "reservationId": "{reservation_id}",
        },
        ACCEPTED,
        unsupported=UNSUPPORTED,
        name="reserve",
    ),
    status("Reserved"),
)

# IdTagCached (memory state): a session with the tag, stopped by the same tag (the case turns the cache on).
ID_TAG_CACHED = (
    swipe(),
    authorize(),
    plug(),
    started(name="cached"),
    swipe(words="the same tag again to stop"),
    AnyOrder(
        Expect(
            "StopTransaction", {"reason": LOCAL_REASON}, match={"transactionId": Ref("cached", "answer.transactionId")}
        ),
        status(AFTER_STOP),
    ),
    unplug(),
    status("Available"),
)

# IdTagLocalAuthList (memory state): the valid tag in the local list, version 1.
ID_TAG_LOCAL_LIST = (
    Send(
        "SendLocalList",
        {
            "listVersion": 1,
            "updateType": "Full",
            "localAuthorizationList": [{"idTag": "{id_tag}", "idTagInfo": {"status": "Accepted"}}],
        },
        ACCEPTED,
        unsupported=UNSUPPORTED,
    ),
)

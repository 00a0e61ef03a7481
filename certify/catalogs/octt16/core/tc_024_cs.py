"""TC_024_CS: the connector lock fails at the start."""

from certify.judging.steps import Absent, Expect, Manual, Send

from ..case import OcttCase
from ..states import ACCEPTED, CONNECTOR, authorize, status

CASE = OcttCase(
    id="TC_024_CS",
    title="Start refused: the connector cannot be locked",
    group="core",
    purpose="When the cable cannot be locked the charger reports ConnectorLockFailure and starts nothing.",
    needs=("!fixed_cable", "lock_failure"),
    steps=(
        Send("GetConfiguration", {"key": ["AuthorizeRemoteTxRequests"]}, label="We read AuthorizeRemoteTxRequests"),
        Send("RemoteStartTransaction", {"connectorId": "{connector}", "idTag": "{id_tag}"}, ACCEPTED),
        authorize(optional=True, label="The charger may authorize the tag"),
        status("Preparing"),
        Manual("plug-unlockable", "Plug the cable in so that the lock cannot engage", {"connector": "{connector}"}),
        Absent("StartTransaction", label="No transaction starts"),
        Expect(
            "StatusNotification",
            {"status": "Faulted", "errorCode": "ConnectorLockFailure"},
            match={"connectorId": CONNECTOR},
            label="Faulted with ConnectorLockFailure",
        ),
    ),
    criteria=("StatusNotification Faulted with errorCode ConnectorLockFailure; no StartTransaction.",),
    clauses=("4.9 Status Notification", "7.6 ChargePointErrorCode"),
)

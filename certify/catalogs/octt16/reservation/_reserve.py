"""The ReserveNow the Reservation cases send, and its follow-up states."""

from certify.judging.steps import Ref, Send

from ..states import UNSUPPORTED, status

RESERVATION = Ref("reserve", "payload.reservationId")


def reserve(
    answer: str = "Accepted", connector="{connector}", parent: bool = False, expiry="{reservation_expiry}", **kw
) -> Send:
    payload = {
        "connectorId": connector,
        "expiryDate": expiry,
        "idTag": "{id_tag}",
        "reservationId": "{reservation_id}",
        **({"parentIdTag": "{parent_id_tag}"} if parent else {}),
    }
    where = "the charge point (connector 0)" if connector == 0 else "the connector"
    return Send(
        "ReserveNow",
        payload,
        {"status": answer},
        unsupported=kw.pop("unsupported", UNSUPPORTED),
        name="reserve",
        label=f"We reserve {where}; the charger answers {answer}",
        **kw,
    )


def reserved(**kw) -> tuple:
    """The Reserved state: a reservation of the connector for the valid tag."""
    return (reserve(**kw), status("Reserved"))

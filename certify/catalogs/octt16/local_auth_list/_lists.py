"""The local-list commands the Local Authorization List cases send."""

from certify.judging.steps import Send

from ..states import UNSUPPORTED


def send_list(version: int, update: str = "Full", tags: tuple[str, ...] = (), answer: str = "Accepted", **kw) -> Send:
    entries = [{"idTag": "{" + tag + "}", "idTagInfo": {"status": "Accepted"}} for tag in tags]
    payload = {"listVersion": version, "updateType": update, **({"localAuthorizationList": entries} if tags else {})}
    label = f"We send a {update.lower()} list, version {version}" + (f", with {', '.join(tags)}" if tags else "")
    return Send(
        "SendLocalList", payload, {"status": answer}, unsupported=kw.pop("unsupported", UNSUPPORTED), label=label, **kw
    )


def version_is(version: int) -> Send:
    return Send(
        "GetLocalListVersion",
        {},
        {"listVersion": version},
        unsupported=UNSUPPORTED,
        label=f"GetLocalListVersion answers {version}",
    )

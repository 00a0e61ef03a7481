"""TC_019_CS: reading the configuration."""

from certify.judging.sequence import MISSING
from certify.judging.steps import Check, OneOf, Send

from ..case import OcttCase

# The Core keys OCPP 1.6 requires (§9.1), and whether each must be read-only
# (True), writable (False) or may be either (None).
REQUIRED_CORE_KEYS = {
    "AuthorizeRemoteTxRequests": None,
    "ClockAlignedDataInterval": False,
    "ConnectionTimeOut": False,
    "ConnectorPhaseRotation": False,
    "GetConfigurationMaxKeys": True,
    "HeartbeatInterval": False,
    "LocalAuthorizeOffline": False,
    "LocalPreAuthorize": False,
    "MeterValuesAlignedData": False,
    "MeterValuesSampledData": False,
    "MeterValueSampleInterval": False,
    "NumberOfConnectors": True,
    "ResetRetries": False,
    "StopTransactionOnInvalidId": False,
    "StopTxnAlignedData": False,
    "StopTxnSampledData": False,
    "SupportedFeatureProfiles": True,
    "TransactionMessageAttempts": False,
    "TransactionMessageRetryInterval": False,
    "UnlockConnectorOnEVSideDisconnect": None,
}


def _keys(entries) -> dict:
    return {e.get("key"): e for e in entries if isinstance(e, dict)} if isinstance(entries, list) else {}


def has_core_keys(entries, _resolve) -> bool:
    keys = _keys(entries)
    return all(
        key in keys and (readonly is None or bool(keys[key].get("readonly")) is readonly)
        for key, readonly in REQUIRED_CORE_KEYS.items()
    )


def lists(*names: str) -> Check:
    return Check(lambda entries, _resolve: all(n in _keys(entries) for n in names), f"lists {', '.join(names)}")


NO_UNKNOWN = OneOf(MISSING, [])

CASE = OcttCase(
    id="TC_019_CS",
    title="Read the configuration",
    group="core",
    purpose="GetConfiguration returns the keys asked for, and the whole list holds every required Core key with "
    "the right access.",
    steps=(
        Send(
            "GetConfiguration",
            {"key": ["SupportedFeatureProfiles"]},
            {"configurationKey": lists("SupportedFeatureProfiles"), "unknownKey": NO_UNKNOWN},
        ),
        Send(
            "GetConfiguration",
            {},
            {
                "configurationKey": Check(has_core_keys, "every required Core key, read-only or writable as §9.1 says"),
                "unknownKey": NO_UNKNOWN,
            },
            label="We read every key: all required Core keys are there",
        ),
        Send(
            "GetConfiguration",
            {"key": ["GetConfigurationMaxKeys"]},
            {"configurationKey": lists("GetConfigurationMaxKeys"), "unknownKey": NO_UNKNOWN},
        ),
    ),
    criteria=(
        "Each GetConfiguration lists the keys asked for and no unknown key.",
        "The whole list holds every required Core key; read-only and writable as §9.1 requires.",
    ),
    clauses=("5.8 Get Configuration", "9.1 Core Profile configuration keys"),
    differs="OCTT also reads a list of keys as long as GetConfigurationMaxKeys allows; we do not yet.",
)

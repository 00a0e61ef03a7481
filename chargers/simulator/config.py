"""The simulator's configuration keys, as a real OCPP 1.6 charger has them."""

from __future__ import annotations

from dataclasses import dataclass

from .meter import MEASURANDS

SMART_CHARGING_KEYS = {
    "ChargeProfileMaxStackLevel",
    "ChargingScheduleAllowedChargingRateUnit",
    "ChargingScheduleMaxPeriods",
    "ConnectorSwitch3to1PhaseSupported",
    "MaxChargingProfilesInstalled",
    "SmartChargingEnabled",
}
# The keys of each optional feature profile (OCPP 1.6 §9.2 to §9.4).
PROFILE_KEYS = {
    "FirmwareManagement": {"SupportedFileTransferProtocols"},
    "LocalAuthListManagement": {"LocalAuthListEnabled", "LocalAuthListMaxLength", "SendLocalListMaxLength"},
    "Reservation": {"ReserveConnectorZeroSupported"},
    "SmartCharging": SMART_CHARGING_KEYS,
}
INTEGER_KEYS = {
    "ClockAlignedDataInterval",
    "ConnectionTimeOut",
    "HeartbeatInterval",
    "MeterValueSampleInterval",
    "ResetRetries",
    "TransactionMessageAttempts",
    "TransactionMessageRetryInterval",
    "WebSocketPingInterval",
    "LocalAuthListMaxLength",
    "SendLocalListMaxLength",
    "ChargeProfileMaxStackLevel",
    "ChargingScheduleMaxPeriods",
    "MaxChargingProfilesInstalled",
    "MinimumStatusDuration",
    "VendorMaxCurrentA",
}
BOOLEAN_KEYS = {
    "AllowOfflineTxForUnknownId",
    "AuthorizationCacheEnabled",
    "AuthorizeRemoteTxRequests",
    "LocalAuthorizeOffline",
    "LocalPreAuthorize",
    "StopTransactionOnEVSideDisconnect",
    "StopTransactionOnInvalidId",
    "UnlockConnectorOnEVSideDisconnect",
    "LocalAuthListEnabled",
    "ReserveConnectorZeroSupported",
    "ConnectorSwitch3to1PhaseSupported",
    "SmartChargingEnabled",
}
# Measurand lists and the key that caps each one's length (§9.1.15 to §9.1.28).
MEASURAND_KEYS = {
    "MeterValuesAlignedData": "MeterValuesAlignedDataMaxLength",
    "MeterValuesSampledData": "MeterValuesSampledDataMaxLength",
    "StopTxnAlignedData": "StopTxnAlignedDataMaxLength",
    "StopTxnSampledData": "StopTxnSampledDataMaxLength",
}
# Keys whose value is one of a few words.
CHOICES = {"VendorNetworkMode": {"ethernet", "wifi", "lte"}}
# Keys that need a reboot to take effect, as a network setting does: RebootRequired (§5.3).
REBOOT_KEYS = {"VendorNetworkMode"}
# Keys beyond the specification's: a charger with only the standard keys lacks them.
VENDOR_KEYS = {
    "SmartChargingEnabled",
    "VendorFirmwareChannel",
    "VendorNetworkMode",
    "VendorMaxCurrentA",
    "VendorSerialBaud",
}


@dataclass
class Key:
    name: str
    value: str
    readonly: bool = False


def default_keys(connectors: int, heartbeat_interval: int) -> list[Key]:
    sampled = "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage,SoC"
    return [
        # Core
        Key("AllowOfflineTxForUnknownId", "true"),
        Key("AuthorizationCacheEnabled", "true"),
        Key("AuthorizeRemoteTxRequests", "false"),
        Key("BlinkRepeat", "3"),
        Key("ClockAlignedDataInterval", "0"),
        Key("ConnectionTimeOut", "60"),
        Key("ConnectorPhaseRotation", ",".join(f"{c}.RST" for c in range(0, connectors + 1))),
        Key("ConnectorPhaseRotationMaxLength", str(connectors + 1), readonly=True),
        Key("GetConfigurationMaxKeys", "100", readonly=True),
        Key("HeartbeatInterval", str(heartbeat_interval)),
        Key("LightIntensity", "80"),
        Key("LocalAuthorizeOffline", "true"),
        Key("LocalPreAuthorize", "false"),
        Key("MaxEnergyOnInvalidId", "0"),
        Key("MeterValuesAlignedData", "Energy.Active.Import.Register"),
        Key("MeterValuesAlignedDataMaxLength", "8", readonly=True),
        Key("MeterValuesSampledData", sampled),
        Key("MeterValuesSampledDataMaxLength", "8", readonly=True),
        Key("MeterValueSampleInterval", "60"),
        Key("MinimumStatusDuration", "0"),
        Key("NumberOfConnectors", str(connectors), readonly=True),
        Key("ResetRetries", "3"),
        Key("StopTransactionOnEVSideDisconnect", "true"),
        Key("StopTransactionOnInvalidId", "true"),
        Key("StopTxnAlignedData", "Energy.Active.Import.Register"),
        Key("StopTxnAlignedDataMaxLength", "8", readonly=True),
        Key("StopTxnSampledData", "Energy.Active.Import.Register"),
        Key("StopTxnSampledDataMaxLength", "8", readonly=True),
        Key(
            "SupportedFeatureProfiles",
            "Core,FirmwareManagement,LocalAuthListManagement,Reservation,SmartCharging,RemoteTrigger",
            readonly=True,
        ),
        Key("SupportedFeatureProfilesMaxLength", "6", readonly=True),
        Key("TransactionMessageAttempts", "3"),
        Key("TransactionMessageRetryInterval", "30"),
        Key("UnlockConnectorOnEVSideDisconnect", "true"),
        Key("WebSocketPingInterval", "30"),
        # Local Auth List Management
        Key("LocalAuthListEnabled", "true"),
        Key("LocalAuthListMaxLength", "100", readonly=True),
        Key("SendLocalListMaxLength", "50", readonly=True),
        # Reservation
        Key("ReserveConnectorZeroSupported", "false", readonly=True),
        # Smart Charging
        Key("ChargeProfileMaxStackLevel", "8", readonly=True),
        Key("ChargingScheduleAllowedChargingRateUnit", "Current,Power", readonly=True),
        Key("ChargingScheduleMaxPeriods", "24", readonly=True),
        Key("ConnectorSwitch3to1PhaseSupported", "false", readonly=True),
        Key("MaxChargingProfilesInstalled", "10", readonly=True),
        Key("SmartChargingEnabled", "true"),
        # Firmware Management: the protocols of UpdateFirmware and GetDiagnostics locations
        Key("SupportedFileTransferProtocols", "FTP,HTTP,HTTPS", readonly=True),
        # Vendor keys
        Key("VendorFirmwareChannel", "stable"),
        Key("VendorNetworkMode", "ethernet"),
        Key("VendorMaxCurrentA", "32"),
        Key("VendorSerialBaud", "115200", readonly=True),
    ]


class ConfigStore:
    """GetConfiguration and ChangeConfiguration as OCPP 1.6 says.

    Keys of the feature profiles a charger lacks are absent (§9: each profile's
    keys), and so are the keys named in `absent`. `values` and `read_only` set a
    profile's own values and accessibility. Keys in `reboot_keys` answer
    RebootRequired and keep their old value until `apply_pending()` at reboot."""

    def __init__(
        self,
        connectors: int = 2,
        heartbeat_interval: int = 60,
        smart_charging: bool = True,
        *,
        feature_profiles: tuple[str, ...] | None = None,
        absent: tuple[str, ...] = (),
        values: dict[str, str] | None = None,
        read_only: tuple[str, ...] = (),
        reboot_keys: tuple[str, ...] = (),
    ) -> None:
        self.keys = {k.name: k for k in default_keys(connectors, heartbeat_interval)}
        supported = self.keys["SupportedFeatureProfiles"].value.split(",")
        if feature_profiles is not None:
            supported = [p for p in supported if p in feature_profiles]
        if not smart_charging:
            supported = [p for p in supported if p != "SmartCharging"]
        self.smart_charging = "SmartCharging" in supported
        self.keys["SupportedFeatureProfiles"].value = ",".join(supported)
        for profile, names in PROFILE_KEYS.items():
            if profile not in supported:
                for name in names:
                    self.keys.pop(name, None)
        for name in absent:
            self.keys.pop(name, None)
        for name, value in (values or {}).items():
            if name in self.keys:
                self.keys[name].value = value
        for name in read_only:
            if name in self.keys:
                self.keys[name].readonly = True
        self.reboot_keys = (REBOOT_KEYS | set(reboot_keys)) & set(self.keys)
        self.pending: dict[str, str] = {}

    def get(self, names: list[str] | None = None) -> tuple[list[dict], list[str]]:
        """(configurationKey entries, unknownKey names)."""
        if not names:
            return [self._entry(k) for k in self.keys.values()], []
        known = [self._entry(self.keys[n]) for n in names if n in self.keys]
        return known, [n for n in names if n not in self.keys]

    @staticmethod
    def _entry(key: Key) -> dict:
        return {"key": key.name, "readonly": key.readonly, "value": key.value}

    def change(self, name: str, value: str) -> str:
        """Accepted, Rejected (read-only or bad value), NotSupported or RebootRequired."""
        key = self.keys.get(name)
        if key is None:
            return "NotSupported"
        if key.readonly or not self.valid(name, value):
            return "Rejected"
        if name in self.reboot_keys:
            self.pending[name] = value
            return "RebootRequired"
        key.value = value
        return "Accepted"

    def valid(self, name: str, value: str) -> bool:
        """Whether `value` is one the key takes: a number of seconds, a boolean, a
        measurand list within its MaxLength (§9.1.16 and siblings), one of its words."""
        if name in INTEGER_KEYS:
            try:
                return int(value) >= 0
            except ValueError:
                return False
        if name in BOOLEAN_KEYS:
            return value.lower() in ("true", "false")
        if name in MEASURAND_KEYS:
            listed = [m.strip() for m in value.split(",") if m.strip()]
            return all(m in MEASURANDS for m in listed) and len(listed) <= self.int(MEASURAND_KEYS[name], 8)
        if name in CHOICES:
            return value in CHOICES[name]
        return True

    def apply_pending(self) -> None:
        """A reboot: the values answered RebootRequired take effect."""
        for name, value in self.pending.items():
            if name in self.keys:
                self.keys[name].value = value
        self.pending.clear()

    def int(self, name: str, default: int = 0) -> int:
        try:
            return int(self.keys[name].value)
        except (KeyError, ValueError):
            return default

    def bool(self, name: str, default: bool = False) -> bool:
        key = self.keys.get(name)
        return default if key is None else key.value.lower() == "true"

    def list(self, name: str) -> list[str]:
        return [v.strip() for v in self.keys.get(name, Key(name, "")).value.split(",") if v.strip()]

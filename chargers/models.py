"""What the central system knows about chargers: their facts, connectors, frames,
id tags and transactions. Domain rules live here so views, the protocol handlers,
the API and management commands all call the same methods."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from .timestamps import utc_iso, utc_text


class Charger(models.Model):
    """A charge point, identified by the last path segment of its WebSocket URL."""

    charge_point_id = models.CharField(max_length=48, unique=True)
    vendor = models.CharField(max_length=50, blank=True)
    model = models.CharField(max_length=50, blank=True)
    serial_number = models.CharField(max_length=50, blank=True)
    charge_box_serial_number = models.CharField(max_length=50, blank=True)
    firmware_version = models.CharField(max_length=50, blank=True)
    iccid = models.CharField(max_length=50, blank=True)
    imsi = models.CharField(max_length=50, blank=True)
    meter_type = models.CharField(max_length=50, blank=True)
    meter_serial_number = models.CharField(max_length=50, blank=True)

    booted_at = models.DateTimeField(null=True, blank=True)
    connected = models.BooleanField(default=False)
    # The Channels channel of the live connection: commands are sent to it.
    channel_name = models.CharField(max_length=200, blank=True)
    remote_addr = models.CharField(max_length=100, blank=True)
    connected_at = models.DateTimeField(null=True, blank=True)
    disconnected_at = models.DateTimeField(null=True, blank=True)
    last_frame_at = models.DateTimeField(null=True, blank=True)
    last_action = models.CharField(max_length=60, blank=True)
    # Until then its handshakes are refused (chargers.offline, "take offline");
    # in the database so every server process refuses alike.
    offline_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # OCPP 1.6 Security Whitepaper: 0 none, 1 Basic auth, 2 Basic auth over TLS.
    security_profile = models.PositiveSmallIntegerField(default=0)
    # Salted hash of the AuthorizationKey (Django's password hasher); write-only.
    auth_key_hash = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["charge_point_id"]

    def __str__(self) -> str:
        return self.charge_point_id

    BOOT_FIELDS = {
        "chargePointVendor": "vendor",
        "chargePointModel": "model",
        "chargePointSerialNumber": "serial_number",
        "chargeBoxSerialNumber": "charge_box_serial_number",
        "firmwareVersion": "firmware_version",
        "iccid": "iccid",
        "imsi": "imsi",
        "meterType": "meter_type",
        "meterSerialNumber": "meter_serial_number",
    }

    def last_seq(self) -> int:
        """The seq of the charger's newest stored frame (0 before any): where a
        reader that begins now starts."""
        return Frame.objects.filter(charger=self).aggregate(m=models.Max("seq"))["m"] or 0

    def record_boot(self, payload: dict) -> None:
        """Keep the facts of the latest BootNotification; absent ones are cleared,
        because a new firmware may stop reporting them."""
        for key, field in self.BOOT_FIELDS.items():
            setattr(self, field, payload.get(key, ""))
        self.booted_at = timezone.now()
        self.save()

    def set_authorization_key(self, key: str) -> None:
        """Store the AuthorizationKey, given as text or as up to 40 hex digits
        (16 to 20 bytes, the whitepaper's form), as a salted hash only."""
        from django.contrib.auth.hashers import PBKDF2PasswordHasher
        from django.utils.crypto import get_random_string

        # A key has 128+ random bits: a modest iteration count keeps a reconnect
        # storm of chargers from stalling on hashing, with no loss that matters.
        hasher = PBKDF2PasswordHasher()
        self.auth_key_hash = hasher.encode(canonical_key(key.encode()), get_random_string(16), iterations=20_000)
        if self.security_profile == 0:
            self.security_profile = 1

    def raise_security_profile(self, value: str) -> str:
        """Take a SecurityProfile the charger accepted from us as the profile we admit it
        with (white paper: profiles only go up), if admission can enforce it: 1 or 2, with
        an AuthorizationKey to check. Saves; returns what became of it, for the log."""
        kept = f"accepted SecurityProfile {value!r}; kept profile {self.security_profile}"
        try:
            profile = int(value)
        except ValueError:
            return f"{kept}: not a profile"
        if profile <= self.security_profile:
            return f"{kept}: profiles never go down"
        if profile > 2:
            return f"{kept}: profile 3's client certificates are a proxy's to check (SECURITY.md)"
        if not self.auth_key_hash:
            return f"{kept}: it has no AuthorizationKey to check (set one on its page)"
        self.security_profile = profile
        self.save(update_fields=["security_profile"])
        over = " (TLS only: plain ws:// refused)" if profile >= 2 else ""
        return f"accepted SecurityProfile {profile}: admitted with it from now on{over}"

    def check_authorization_key(self, password: bytes) -> bool:
        """Accept the key as sent in either form: raw bytes or their hex digits."""
        from django.contrib.auth.hashers import PBKDF2PasswordHasher

        if not self.auth_key_hash:
            return False
        hasher = PBKDF2PasswordHasher()
        return any(hasher.verify(candidate, self.auth_key_hash) for candidate in key_candidates(password))

    def connection_label(self) -> str:
        if self.connected:
            return "connected"
        if self.disconnected_at:
            return f"offline since {self.disconnected_at:%Y-%m-%d %H:%M:%S} UTC"
        return "never connected"


class Connector(models.Model):
    """The last StatusNotification of one connector (0 is the charger itself)."""

    charger = models.ForeignKey(Charger, on_delete=models.CASCADE, related_name="connectors")
    connector_id = models.PositiveIntegerField()
    status = models.CharField(max_length=20)
    error_code = models.CharField(max_length=30, default="NoError")
    info = models.CharField(max_length=50, blank=True)
    vendor_id = models.CharField(max_length=255, blank=True)
    vendor_error_code = models.CharField(max_length=50, blank=True)
    timestamp = models.CharField(max_length=40, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["connector_id"]
        constraints = [models.UniqueConstraint(fields=["charger", "connector_id"], name="one_row_per_connector")]

    @classmethod
    def record(cls, charger_pk: int, payload: dict) -> None:
        """Keep a StatusNotification as the connector's latest state."""
        cls.objects.update_or_create(
            charger_id=charger_pk,
            connector_id=payload["connectorId"],
            defaults={
                "status": payload["status"],
                "error_code": payload["errorCode"],
                "info": payload.get("info", ""),
                "vendor_id": payload.get("vendorId", ""),
                "vendor_error_code": payload.get("vendorErrorCode", ""),
                "timestamp": utc_text(payload.get("timestamp", "")),
            },
        )


class Frame(models.Model):
    """One entry of a charger's evidence log: a frame exactly as it crossed the
    wire, or a connection event. Written only by chargers.frames."""

    IN, OUT, EVENT = "in", "out", "event"
    DIRECTIONS = [(IN, "charger → us"), (OUT, "us → charger"), (EVENT, "event")]

    charger = models.ForeignKey(Charger, on_delete=models.CASCADE, related_name="frames")
    seq = models.BigIntegerField()
    ts = models.DateTimeField()
    direction = models.CharField(max_length=5, choices=DIRECTIONS)
    message_type = models.PositiveSmallIntegerField(null=True, blank=True)
    action = models.CharField(max_length=60, blank=True)
    unique_id = models.CharField(max_length=100, blank=True)
    raw = models.TextField()
    error_code = models.CharField(max_length=40, blank=True)
    # What we noticed about the frame: schema errors, unknown ids, naive times.
    note = models.CharField(max_length=500, blank=True)
    sent_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["charger", "seq"]
        constraints = [models.UniqueConstraint(fields=["charger", "seq"], name="one_frame_per_seq")]
        # Every query reads a charger's frames by seq (all, or one action's);
        # each further index is written on every frame. (charger, ts) was never
        # read and made each SQLite insert 25-45% dearer: dropped.
        indexes = [models.Index(fields=["charger", "action", "seq"])]

    MESSAGE_TYPES = {2: "CALL", 3: "CALLRESULT", 4: "CALLERROR"}

    @property
    def kind(self) -> str:
        if self.direction == self.EVENT:
            return "EVENT"
        return self.MESSAGE_TYPES.get(self.message_type, "MALFORMED")


class IdTag(models.Model):
    """An entry of the id-tag list the engineer edits; Authorize answers from it."""

    STATUSES = ["Accepted", "Blocked", "Expired", "Invalid"]

    id_tag = models.CharField(max_length=20, unique=True)
    status = models.CharField(max_length=20, choices=[(s, s) for s in STATUSES], default="Accepted")
    expiry_date = models.DateTimeField(null=True, blank=True)
    parent_id_tag = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["id_tag"]

    def __str__(self) -> str:
        return f"{self.id_tag} ({self.status})"

    @classmethod
    def info_for(cls, id_tag: str) -> dict:
        """The idTagInfo to answer for a tag, per the list and the unknown-tag setting."""
        tag = cls.objects.filter(id_tag=id_tag).first()
        if tag is None:
            return {"status": settings.OCPP_UNKNOWN_ID_TAG_STATUS}
        status = tag.status
        if status == "Accepted" and tag.expiry_date and tag.expiry_date < timezone.now():
            status = "Expired"
        info: dict = {"status": status}
        if tag.expiry_date:
            info["expiryDate"] = utc_iso(tag.expiry_date, timespec="auto")
        if tag.parent_id_tag:
            info["parentIdTag"] = tag.parent_id_tag
        return info


class Transaction(models.Model):
    """A charging transaction; its primary key is the transactionId we hand out."""

    charger = models.ForeignKey(Charger, on_delete=models.CASCADE, related_name="transactions")
    connector_id = models.PositiveIntegerField()
    id_tag = models.CharField(max_length=20)
    meter_start = models.BigIntegerField()
    start_timestamp = models.CharField(max_length=40)
    reservation_id = models.IntegerField(null=True, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    meter_stop = models.BigIntegerField(null=True, blank=True)
    stop_timestamp = models.CharField(max_length=40, blank=True)
    stop_reason = models.CharField(max_length=30, blank=True)
    stop_id_tag = models.CharField(max_length=20, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            # A start re-sent after a reconnect (new unique id) is the same start.
            models.UniqueConstraint(
                fields=["charger", "connector_id", "id_tag", "start_timestamp", "meter_start"],
                name="one_transaction_per_start",
            )
        ]

    @property
    def is_active(self) -> bool:
        return self.stopped_at is None

    @classmethod
    def start(cls, charger_pk: int, payload: dict) -> Transaction:
        """The transaction a StartTransaction opens; the same start re-sent
        (chargers retry with a new unique id) is the same transaction."""
        key = {
            "charger_id": charger_pk,
            "connector_id": payload["connectorId"],
            "id_tag": payload["idTag"],
            "start_timestamp": utc_text(payload["timestamp"]),
            "meter_start": payload["meterStart"],
        }
        try:
            with transaction.atomic():
                tx, _ = cls.objects.get_or_create(**key, defaults={"reservation_id": payload.get("reservationId")})
        except IntegrityError:
            tx = cls.objects.get(**key)
        return tx

    @classmethod
    def stop(cls, charger_pk: int, payload: dict) -> bool:
        """Close the charger's own open transaction named by a StopTransaction;
        False when there is none (unknown, another charger's, stopped already),
        and then nothing changes."""
        return bool(
            cls.objects.filter(pk=payload["transactionId"], charger_id=charger_pk, stopped_at__isnull=True).update(
                meter_stop=payload["meterStop"],
                stop_timestamp=utc_text(payload["timestamp"]),
                stop_reason=payload.get("reason", "Local"),
                stop_id_tag=payload.get("idTag", ""),
                stopped_at=timezone.now(),
            )
        )


class ApiToken(models.Model):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    @staticmethod
    def hash(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(cls, user, name: str = "") -> tuple[ApiToken, str]:
        """Create a token and return it with its clear text, shown only once."""
        key = "oc_" + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, prefix=key[:10], key_hash=cls.hash(key))
        return token, key

    @classmethod
    def authenticate(cls, key: str) -> ApiToken | None:
        token = (
            cls.objects.select_related("user")
            .filter(key_hash=cls.hash(key), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        now = timezone.now()
        if token and (token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60):
            # To the minute: a write per request would queue behind frame writes.
            cls.objects.filter(pk=token.pk).update(last_used_at=now)
        return token


_HEX = set("0123456789abcdefABCDEF")


def canonical_key(key: bytes) -> str:
    """One text form per key: hex digits of the key's bytes. A key written as an
    even number of hex digits (up to 40) means the bytes they spell."""
    text = key.decode("latin-1")
    if text and len(text) <= 40 and len(text) % 2 == 0 and set(text) <= _HEX:
        return text.lower()
    return key.hex()


def key_candidates(password: bytes) -> list[str]:
    """What a received Basic-auth password may stand for."""
    candidates = [password.hex()]
    text = password.decode("latin-1")
    if text and len(text) % 2 == 0 and set(text) <= _HEX:
        candidates.append(text.lower())
    return candidates


class RejectedAttempt(models.Model):
    """A handshake we refused: unknown id (known-chargers mode), bad password,
    plain ws:// for a TLS charger. The dashboard lists them; one click admits."""

    charge_point_id = models.CharField(max_length=100, db_index=True)
    remote_addr = models.CharField(max_length=100, blank=True)
    reason = models.CharField(max_length=200)
    first_at = models.DateTimeField(auto_now_add=True)
    last_at = models.DateTimeField(auto_now=True)
    count = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-last_at"]

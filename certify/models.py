"""Certification sessions: one charger worked through a catalog of test items,
each with an automatic verdict backed by evidence frames and an optional
override by the engineer."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from chargers.models import Charger, Frame

from .judging.verdict import (
    FAILED,
    FINAL_VERDICTS,
    INCONCLUSIVE,
    NOT_APPLICABLE,
    NOT_SUPPORTED,
    OPEN,
    PASSED,
    VERDICT_LABELS,
)

ABANDONED = "abandoned"
AUTO_VERDICTS = [OPEN, PASSED, FAILED, NOT_SUPPORTED, NOT_APPLICABLE, INCONCLUSIVE]
OVERRIDE_VERDICTS = [PASSED, FAILED, NOT_SUPPORTED, NOT_APPLICABLE]


def _secret() -> str:
    return secrets.token_urlsafe(18)


class CertSession(models.Model):
    """A certification run of one charger. Its frames are the charger's frames
    with seq in (start_seq, end_seq]; end_seq is fixed when the session is signed."""

    STATE_OPEN, STATE_SIGNED = "open", "signed"

    charge_point_id = models.CharField(max_length=48, db_index=True)
    charger = models.ForeignKey(Charger, null=True, blank=True, on_delete=models.PROTECT, related_name="sessions")
    catalog = models.CharField(max_length=50, default="ocpp16-testscript")
    engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="cert_sessions"
    )
    engineer_name = models.CharField(max_length=150, blank=True)
    lab = models.CharField(max_length=150, blank=True)
    notes = models.TextField(blank=True)
    state = models.CharField(max_length=10, default=STATE_OPEN)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    start_seq = models.BigIntegerField(default=0)
    end_seq = models.BigIntegerField(null=True, blank=True)
    # Options: auto_trigger_status (item 18), heartbeat_interval, meter_interval...
    options = models.JSONField(default=dict, blank=True)
    # The charger's facts as the report shows them, refreshed until signed.
    facts = models.JSONField(default=dict, blank=True)
    # The protocol findings over the session's log (Finding.as_dict each), kept at sign-off
    # as the report printed them; None while open (they are worked out from the log).
    findings = models.JSONField(null=True, blank=True)
    # The firmware under test (certify.firmware): what the charger ran when the session
    # began, and what it booted with after our UpdateFirmware (seq of that boot).
    firmware_at_start = models.CharField(max_length=50, blank=True)
    firmware_after_update = models.CharField(max_length=50, blank=True)
    firmware_update_seq = models.BigIntegerField(null=True, blank=True)
    revision = models.PositiveIntegerField(default=1)
    revision_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="revisions")
    # Credentials of this session's diagnostics upload locations.
    ftp_user = models.CharField(max_length=40, blank=True)
    ftp_password = models.CharField(max_length=60, default=_secret)
    upload_secret = models.CharField(max_length=60, default=_secret)
    # Sign-off.
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    signer_name = models.CharField(max_length=150, blank=True)
    signer_role = models.CharField(max_length=150, blank=True)
    signer_statement = models.TextField(blank=True)
    report = models.FileField(upload_to="reports/", blank=True)
    report_sha256 = models.CharField(max_length=64, blank=True)
    log_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"Session {self.pk} of {self.charge_point_id} (rev {self.revision})"

    @property
    def is_signed(self) -> bool:
        return self.state == self.STATE_SIGNED

    @property
    def firmware(self) -> str:
        """The firmware under test as every page and the report print it:
        "1.02.06", or "1.02.06, updated to 1.02.07 in the session"."""
        text = self.firmware_at_start or "—"
        if self.firmware_after_update and self.firmware_after_update != self.firmware_at_start:
            text += f", updated to {self.firmware_after_update} in the session"
        return text

    def frames(self):
        """The session's frames, in log order."""
        if self.charger_id is None:
            return Frame.objects.none()
        frames = Frame.objects.filter(charger_id=self.charger_id, seq__gt=self.start_seq)
        if self.end_seq is not None:
            frames = frames.filter(seq__lte=self.end_seq)
        return frames.order_by("seq")

    def verdict_counts(self) -> dict[str, int]:
        """How many of its items have each verdict (an override wins over the
        automatic one), every verdict named, e.g. {"open": 6, "passed": 12, ...}."""
        counts = dict.fromkeys(VERDICT_LABELS, 0)
        for result in self.items.all():
            counts[result.verdict] += 1
        return counts

    def counted(self) -> list[tuple[str, str, int]]:
        """(verdict, label, how many) for each verdict its items have, in the
        labels' order: what the history's badges show."""
        counts = self.verdict_counts()
        return [(key, label, counts[key]) for key, label in VERDICT_LABELS.items() if counts[key]]

    @staticmethod
    def live_topic(pk: int) -> str:
        """The topic (chargers.live) a session's pages listen on and its changes
        are announced to."""
        return f"session.{pk}"


class ItemResult(models.Model):
    """One catalog item of a session: the automatic verdict and the override."""

    session = models.ForeignKey(CertSession, on_delete=models.CASCADE, related_name="items")
    # The case's key in its catalog ("7", "TC_003_CS"); number is its place in the catalog's order.
    case = models.CharField(max_length=40)
    number = models.PositiveSmallIntegerField()
    auto_verdict = models.CharField(max_length=20, default=OPEN)
    auto_reason = models.CharField(max_length=500, blank=True)
    # Short result text in the reference's style, e.g. "Configuration (109)".
    remark = models.CharField(max_length=200, blank=True)
    evidence = models.JSONField(default=list, blank=True)  # frame ids the verdict rests on
    timings = models.JSONField(default=dict, blank=True)  # e.g. {"RemoteStart→Charging": 1.23}
    auto_updated_at = models.DateTimeField(null=True, blank=True)
    override_verdict = models.CharField(max_length=20, blank=True)
    override_remark = models.CharField(max_length=500, blank=True)
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    override_at = models.DateTimeField(null=True, blank=True)
    # Expected versus actual, and the clause a failure breaks (certify.evaluation).
    expected = models.TextField(blank=True)
    actual = models.TextField(blank=True)
    clause = models.CharField(max_length=120, blank=True)
    # For a pass seen outside an attempt: where its evidence came from.
    source = models.CharField(max_length=200, blank=True)
    warnings = models.JSONField(default=list, blank=True)  # wrong behaviour seen outside an attempt
    history = models.JSONField(default=list, blank=True)  # every change of the verdict, with its cause
    steps = models.JSONField(default=list, blank=True)  # [{"label", "done", "frame"}]
    waiting = models.JSONField(default=dict, blank=True)  # {"for", "deadline", "person"}
    # What the run that worked the item says of how it got there ("card accepted offline
    # from the local list", "HeartbeatInterval 10 s rejected; 15 s used"); part of the remark.
    notes = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["session", "number"]
        constraints = [models.UniqueConstraint(fields=["session", "case"], name="one_result_per_case")]

    @property
    def verdict(self) -> str:
        return self.override_verdict or self.auto_verdict

    @property
    def verdict_label(self) -> str:
        return VERDICT_LABELS[self.verdict]

    @property
    def is_overridden(self) -> bool:
        return bool(self.override_verdict)

    def override(self, verdict: str, remark: str, user=None) -> None:
        """Set the verdict by hand, saying why; the automatic one stays beside it.
        Refused (ValidationError) once the session is signed, for a verdict not
        among OVERRIDE_VERDICTS, or without a remark. The caller announces it."""
        self._check_unsigned()
        if verdict not in OVERRIDE_VERDICTS:
            labels = ", ".join(VERDICT_LABELS[v] for v in OVERRIDE_VERDICTS)
            raise ValidationError({"verdict": f"Choose one of {labels}."})
        if not remark.strip():
            raise ValidationError({"remark": "Say why you set the verdict by hand."})
        self.override_verdict = verdict
        self.override_remark = remark.strip()[:500]
        self.override_by = user if getattr(user, "pk", None) else None
        self.override_at = timezone.now()
        self.save()

    def clear_override(self) -> None:
        """Back to the automatic verdict (refused once the session is signed). The caller announces it."""
        self._check_unsigned()
        self.override_verdict = self.override_remark = ""
        self.override_by, self.override_at = None, None
        self.save()

    def _check_unsigned(self) -> None:
        if self.session.is_signed:
            raise ValidationError("This session is signed: its verdicts can no longer change.")

    @property
    def shown_remark(self) -> str:
        """What a Remark column shows: the engineer's remark when they set the
        verdict, else the automatic short remark."""
        return self.override_remark if self.is_overridden else self.remark

    def attempts_list(self) -> list[Attempt]:
        """This item's attempts, oldest first."""
        return list(Attempt.objects.filter(session_id=self.session_id, case=self.case).order_by("n"))

    def attempt_summary(self, attempts: list[Attempt] | None = None) -> str:
        """E.g. "passed on attempt 2; attempt 1 failed: No StopTransaction ..."."""
        attempts = self.attempts_list() if attempts is None else attempts
        if not attempts:
            return ""
        finished = [a for a in attempts if a.verdict in FINAL_VERDICTS]
        parts = []
        if finished and finished[-1].verdict == self.auto_verdict:
            last = finished[-1]
            parts.append(f"{VERDICT_LABELS[last.verdict].lower()} on attempt {last.n}")
        for attempt in attempts:
            if parts and finished and attempt is finished[-1]:
                continue
            label = VERDICT_LABELS.get(attempt.verdict, attempt.verdict).lower()
            parts.append(f"attempt {attempt.n} {label}{': ' + attempt.reason if attempt.reason else ''}")
        return "; ".join(parts)


class Attempt(models.Model):
    """One try at one item. A failure rests only on the frames inside an
    attempt of the item's own (seq in (start_seq, end_seq]), so legal behaviour
    during other work never fails an item."""

    session = models.ForeignKey(CertSession, on_delete=models.CASCADE, related_name="attempts")
    case = models.CharField(max_length=40)  # the key of the case tried
    n = models.PositiveSmallIntegerField()  # 1 for the first try at the case, 2 for the next...
    started_at = models.DateTimeField(default=timezone.now)
    started_by = models.CharField(max_length=150, blank=True)
    start_seq = models.BigIntegerField(default=0)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_seq = models.BigIntegerField(null=True, blank=True)
    verdict = models.CharField(max_length=20, default=OPEN)
    reason = models.CharField(max_length=500, blank=True)
    remark = models.CharField(max_length=200, blank=True)
    expected = models.TextField(blank=True)
    actual = models.TextField(blank=True)
    clause = models.CharField(max_length=120, blank=True)
    evidence = models.JSONField(default=list, blank=True)
    timings = models.JSONField(default=dict, blank=True)
    commands = models.JSONField(default=list, blank=True)  # unique ids of our CALLs sent within it
    steps = models.JSONField(default=list, blank=True)  # what it saw and awaited, as its verdict was given

    class Meta:
        ordering = ["session", "case", "n"]
        constraints = [models.UniqueConstraint(fields=["session", "case", "n"], name="one_attempt_n_per_case")]

    def __str__(self) -> str:
        return f"Item {self.case}, attempt {self.n} ({self.verdict})"

    @property
    def label(self) -> str:
        return f"attempt {self.n}"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None

    @property
    def verdict_label(self) -> str:
        return VERDICT_LABELS.get(self.verdict, self.verdict.capitalize())


class SessionFile(models.Model):
    """A file of a session: firmware we host for item 12, diagnostics received
    for item 13."""

    FIRMWARE, DIAGNOSTICS = "firmware", "diagnostics"

    session = models.ForeignKey(CertSession, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField(max_length=20)
    name = models.CharField(max_length=200)
    file = models.FileField(upload_to="sessions/", max_length=300)
    size = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    source = models.CharField(max_length=20, blank=True)  # upload | ftp | http
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]


class TransferEvent(models.Model):
    """What our FTP and HTTP servers saw of a session's files: a login refused or
    taken, a file stored, served or cut off, a URL with the wrong secret. Kept so
    a failed transfer's reason says who failed (certify.transfer.saw)."""

    FTP, HTTP = "ftp", "http"

    session = models.ForeignKey(CertSession, on_delete=models.CASCADE, related_name="transfers")
    at = models.DateTimeField(default=timezone.now)
    server = models.CharField(max_length=10)  # ftp | http
    # login, login-failed, stored, incomplete, too-large, served, refused
    event = models.CharField(max_length=30)
    detail = models.CharField(max_length=300, blank=True)
    remote = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.server} {self.event} {self.detail}".strip()

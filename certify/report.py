"""The engineer's deliverable: a PDF shaped like the reference test script,
with the evidence each verdict rests on, signed (PAdES) with the complete
evidence log attached. Rendering fetches nothing from the network.

Printing a frame costs WeasyPrint ~40 ms, so the report prints only the frames
each verdict rests on (at most PRINTED_PER_ITEM) and attaches the whole log.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.utils import timezone

from chargers.models import Frame

from . import catalog, charts, engine, evidence, signing
from .models import VERDICT_LABELS, CertSession, ItemResult

PRINTED_PER_ITEM = 20


def refuse_fetch(url: str, timeout: int = 10, ssl_context=None):
    """WeasyPrint's URL fetcher: data: URIs only, nothing from the network."""
    if url.startswith("data:"):
        from weasyprint.urls import default_url_fetcher

        return default_url_fetcher(url, timeout, ssl_context)
    raise ValueError(f"The report fetches nothing: {url[:80]}")


def result_text(result: ItemResult, item: catalog.Item, facts: dict) -> str:
    """The Result column as the reference writes it ("ok", "Ok, Configuration
    (109)", "Not supported by ...")."""
    if result.is_overridden:
        return result.override_remark
    if result.verdict == "passed":
        remark = result.remark
        if not remark:
            return "ok"
        return remark if remark.lower().startswith("ok") else f"Ok, {remark}"
    if result.verdict == "open":
        return "Not tested" + (f": {item.manual}" if not item.automatic and item.manual else "")
    return result.auto_reason


def context(session: CertSession, signoff: dict, evidence_sha256: str) -> dict:
    results = {r.number: r for r in session.items.select_related("override_by")}
    wanted = {fid for r in results.values() for fid in r.evidence[:PRINTED_PER_ITEM]}
    frames = {f.pk: f for f in Frame.objects.filter(pk__in=wanted)}
    rows = []
    counts = dict.fromkeys(VERDICT_LABELS, 0)
    for item in catalog.items(session.catalog):
        result = results.get(item.number) or ItemResult(number=item.number)
        counts[result.verdict] += 1
        printed = []
        for fid in result.evidence[:PRINTED_PER_ITEM]:
            frame = frames.get(fid)
            if frame is not None:
                printed.append({"frame": frame, "pretty": _pretty(frame.raw)})
        rows.append(
            {
                "item": item,
                "result": result,
                "text": result_text(result, item, session.facts),
                "label": VERDICT_LABELS[result.verdict],
                "auto_label": VERDICT_LABELS[result.auto_verdict],
                "printed": printed,
                "more": max(0, len(result.evidence) - PRINTED_PER_ITEM),
            }
        )
    return {
        "session": session,
        "facts": session.facts,
        "platform": settings.CERTIFY_PLATFORM,
        "rows": rows,
        "counts": [(VERDICT_LABELS[k], v) for k, v in counts.items()],
        "chart": charts.session_chart(session),
        "max_points": charts.MAX_POINTS,
        "signoff": signoff,
        "evidence_sha256": evidence_sha256,
        "frame_count": session.frames().count(),
        "fingerprint": signing.fingerprint(),
    }


def _pretty(raw: str) -> str:
    try:
        return json.dumps(json.loads(raw), indent=1, ensure_ascii=False)[:4000]
    except (ValueError, RecursionError):
        return raw[:4000]


def render_pdf(session: CertSession, signoff: dict, evidence_sha256: str) -> bytes:
    from weasyprint import HTML

    html = render_to_string("certify/report.html", context(session, signoff, evidence_sha256))
    return HTML(string=html, url_fetcher=refuse_fetch, base_url=None).write_pdf()


def sign_off(session: CertSession, user, name: str, role: str, statement: str, day: date | None = None) -> CertSession:
    """Render, attach the evidence, sign, store and finalize: from here on the
    session's verdicts cannot change."""
    if session.is_signed:
        raise ValidationError("This session is signed already; open a new revision to change it.")
    if not name.strip() or not role.strip():
        raise ValidationError("Name and role are needed to sign.")
    engine.evaluate_session(session)
    session.end_seq = session.frames().aggregate(m=Max("seq"))["m"] or session.start_seq
    session.refresh_from_db(fields=["facts"])
    data, sha = evidence.export(session)
    signoff = {
        "name": name,
        "role": role,
        "statement": statement,
        "date": day or timezone.now().date(),
        "finished": session.finished_at or timezone.now(),
    }
    pdf = render_pdf(session, signoff, sha)
    signed = signing.sign(
        pdf,
        data,
        signer_name=name,
        reason=f"{role}: {statement}"[:200] if statement else role,
        location=session.lab or settings.CERTIFY_LAB or "OCPP Certify",
    )
    with transaction.atomic():
        session.state = CertSession.STATE_SIGNED
        session.finished_at = timezone.now()
        session.signed_at = timezone.now()
        session.signed_by = user if getattr(user, "pk", None) else None
        session.signer_name, session.signer_role, session.signer_statement = name, role, statement
        session.log_sha256 = sha
        session.report_sha256 = hashlib.sha256(signed).hexdigest()
        session.report.save(f"session-{session.pk}-rev{session.revision}.pdf", ContentFile(signed), save=False)
        session.save()
    engine.forget(session.charger_id)
    return session


def new_revision(session: CertSession, user=None) -> CertSession:
    """A fresh session continuing a signed one; the history keeps both."""
    from . import services

    revision = services.create_session(
        session.charge_point_id,
        engineer=user,
        engineer_name=session.engineer_name,
        lab=session.lab,
        options={k: v for k, v in session.options.items() if k not in ("not_applicable", "profiles")},
        catalog_name=session.catalog,
    )
    revision.revision = session.revision + 1
    revision.revision_of = session
    revision.save(update_fields=["revision", "revision_of"])
    return revision

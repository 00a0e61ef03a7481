"""A frame log as the pages show it (the charger's page, a session's, its
history): newest first, one line per frame (chargers.frames.lines) with the whole
frame a click away, secrets shown as ***, and filters by action, direction,
connector, transaction, id tag, time and free text. The filters are the page's
URL parameters, so a reload, a bookmark or a link shows the same frames.

Fast on a long log: pages are keyset by seq (page 1000 costs what page 1 does);
a filtered page looks through at most SCAN_FRAMES frames (SQL narrows each filter
first, a payload field by its text, then reads the payload of at most SCAN_LIMIT
rows) and, when it found fewer than a page, says how far back it looked and
offers the older frames.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import timedelta

from django import forms
from django.db.models import Max, Min, Q, QuerySet

from .frames.lines import frame_line, redact
from .frames.reader import parse, pretty
from .models import Frame
from .protocol import FILTER_ACTIONS

PER_PAGE = 50
CHUNK = 250  # rows read at a time while a filter picks its frames
SCAN_FRAMES = 20_000  # frames of the log one filtered request looks through, newest first
SCAN_LIMIT = 5000  # rows of those one request reads a payload of, past the SQL filters
# The payload fields a filter matches, wherever they sit in the payload (a local
# list's idTag, a charging profile's transactionId).
FIELDS = {"connector": "connectorId", "transaction": "transactionId", "id_tag": "idTag"}


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"


class FrameFilter(forms.Form):
    """The log's filters; an invalid one is said beside its field and not applied."""

    action = forms.ChoiceField(required=False, choices=[("", "all"), *((a, a) for a in FILTER_ACTIONS)])
    direction = forms.ChoiceField(
        required=False,
        choices=[("", "all"), (Frame.IN, "charger → us"), (Frame.OUT, "us → charger"), (Frame.EVENT, "events")],
    )
    connector = forms.IntegerField(required=False, min_value=0, widget=forms.NumberInput(attrs={"min": 0}))
    transaction = forms.IntegerField(required=False, label="Transaction id")
    id_tag = forms.CharField(required=False, max_length=20, label="Id tag")
    since = forms.DateTimeField(
        required=False, label="From (UTC)", widget=DateTimeInput(attrs={"step": 1}, format="%Y-%m-%dT%H:%M:%S")
    )
    until = forms.DateTimeField(
        required=False, label="To (UTC)", widget=DateTimeInput(attrs={"step": 1}, format="%Y-%m-%dT%H:%M:%S")
    )
    q = forms.CharField(
        required=False,
        max_length=200,
        label="Search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "text in the frame, note or sender"}),
    )

    PARAMS = ("action", "direction", "connector", "transaction", "id_tag", "since", "until", "q")


def values_of(payload, key: str) -> list:
    """Every value a payload holds under `key`, at any depth."""
    found = []
    stack = [payload]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for k, v in node.items():
                if k == key:
                    found.append(v)
                elif isinstance(v, dict | list):
                    stack.append(v)
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, dict | list))
    return found


def _field_filter(qs: QuerySet, key: str, value) -> tuple[QuerySet, Callable[[Frame], bool]]:
    """SQL narrows to frames whose text names the field and the value; the check
    then reads the payload (so connector 1 does not match connectorId 10)."""
    if isinstance(value, int):
        text = Q(raw__contains=f'"{key}":{value}') | Q(raw__contains=f'"{key}": {value}')
    else:
        text = Q(raw__contains=f'"{key}"') & Q(raw__contains=json.dumps(value)[1:-1])
    return qs.filter(text), lambda frame: value in values_of(parse(frame).payload, key)


def frame_page(frames: QuerySet, params, secrets: Iterable[str] = ()) -> dict:
    """One page of the log for the template chargers/_frames.html: the frames
    with their line, whole text (masked) and whether `mark` names them, the
    filter form, and where the next (older) page starts."""
    secrets = list(secrets)
    form = FrameFilter(params)
    form.is_valid()
    f = {name: value for name, value in form.cleaned_data.items() if value not in (None, "")}
    qs = frames
    if "action" in f:
        qs = qs.filter(action=f["action"])
    if "direction" in f:
        qs = qs.filter(direction=f["direction"])
    if "since" in f:
        qs = qs.filter(ts__gte=f["since"])
    if "until" in f:
        qs = qs.filter(ts__lte=f["until"])
    around = qs  # the filters a frame's CALL or answer also meets
    checks: list[Callable[[Frame], bool]] = []
    for name, key in FIELDS.items():
        if name in f:
            qs, check = _field_filter(qs, key, f[name])
            checks.append(check)
    if "q" in f:
        q = f["q"]
        qs = qs.filter(Q(raw__icontains=q) | Q(note__icontains=q) | Q(sent_by__icontains=q))
        # The search reads what the page shows: a secret is not found by its text.
        needle = q.casefold()
        checks.append(lambda frame: needle in f"{redact(frame.raw, secrets)} {frame.note} {frame.sent_by}".casefold())
    before = params.get("before", "")
    windowed = bool(f.keys() - {"action"})
    window = (f.get("since"), f.get("until")) if "since" in f or "until" in f else None
    page, cursor, more = _scan(frames, qs, checks, int(before) if before.isdigit() else None, windowed, window)
    partners = _partners(around, page) if any(name in f for name in FIELDS) else []
    mark = params.get("mark", "")
    shown = sorted([*page, *partners], key=lambda frame: -frame.seq)
    for frame in shown:
        frame.line = frame_line(frame, secrets)
        frame.pretty = pretty(redact(frame.raw, secrets))
        frame.marked = str(frame.pk) == mark
    return {
        "frames": shown,
        "next_before": cursor if more else None,
        "searched_to": cursor if more and len(page) < PER_PAGE else None,
        "filters": form,
        "filtered": bool(f),
        "is_first_page": not before,
    }


def _scan(
    frames: QuerySet, qs: QuerySet, checks: list, before: int | None, windowed: bool, window: tuple | None = None
) -> tuple[list[Frame], int | None, bool]:
    """(the page's frames, where the next page starts, whether older frames may
    match). Unfiltered (or by action, which an index serves): one query. Filtered:
    newest first through at most SCAN_FRAMES frames of the log, and at most
    SCAN_LIMIT of them read by a payload check."""
    if not windowed:
        rows = list((qs if before is None else qs.filter(seq__lt=before)).order_by("-seq")[: PER_PAGE + 1])
        page = rows[:PER_PAGE]
        return page, page[-1].seq if page else before, len(rows) > PER_PAGE
    bounds = frames.aggregate(low=Min("seq"), high=Max("seq"))
    if bounds["high"] is None:
        return [], None, False
    low, high = bounds["low"], bounds["high"]
    if window is not None:  # a time range: the seqs it spans, found by bisection
        since, until = window
        if until is not None:
            high = min(high, _last_seq_at(frames, until, low, high))
        if since is not None:
            low = max(low, _last_seq_at(frames, since - timedelta(microseconds=1), low, high) + 1)
    cursor = high + 1 if before is None else min(before, high + 1)
    floor = max(low, cursor - SCAN_FRAMES)
    page: list[Frame] = []
    checked = 0
    while cursor > floor and checked < SCAN_LIMIT:
        rows = list(qs.filter(seq__lt=cursor, seq__gte=floor).order_by("-seq")[:CHUNK])
        for frame in rows:
            if checks:
                checked += 1
            if all(check(frame) for check in checks):
                if len(page) == PER_PAGE:
                    return page, page[-1].seq, True
                page.append(frame)
            cursor = frame.seq
        if len(rows) < CHUNK:
            cursor = floor
    return page, cursor, cursor > low


def _last_seq_at(frames: QuerySet, moment, low: int, high: int) -> int:
    """The last seq stored at or before `moment` (low - 1 if none), by bisection
    over seq: frames are stored in time order, and each probe is an index lookup."""
    found = low - 1
    while low <= high:
        middle = (low + high) // 2
        probe = frames.filter(seq__lte=middle, seq__gte=low).order_by("-seq").values_list("seq", "ts").first()
        if probe is None:
            low = middle + 1
        elif probe[1] <= moment:
            found, low = probe[0], middle + 1
        else:
            high = probe[0] - 1
    return found


def _partners(around: QuerySet, page: list[Frame]) -> list[Frame]:
    """The CALLs and answers of the page's frames (StartTransaction's CALL for
    its transactionId, a RemoteStart's answer for its connector), within the
    same action, direction and time filters."""
    calls = [frame for frame in page if frame.message_type in (2, 3, 4) and frame.unique_id]
    if not calls:
        return []
    seqs = {frame.seq for frame in page}
    wanted = around.filter(
        action__in={frame.action for frame in calls},
        unique_id__in={frame.unique_id for frame in calls},
        seq__gte=min(frame.seq for frame in calls) - 10_000,
        seq__lte=max(frame.seq for frame in calls) + 10_000,
    )
    pairs = {(frame.action, frame.unique_id) for frame in calls}
    found = []
    for frame in wanted:
        if frame.seq not in seqs and (frame.action, frame.unique_id) in pairs:
            frame.partner = True
            found.append(frame)
    return found

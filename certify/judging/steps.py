"""The vocabulary of expected message sequences: the steps a test case written
the OCTT way lists (numbered steps, each a message one side sends and the other
answers), and the values its expectations may hold. `certify.judging.sequence`
walks them over the evidence log.

Steps:
- `Send`: a CALL of ours and the answer the charger must give;
- `Expect`: a CALL the charger must send (its fields), and what we answered
  (when our answer is not what the case needs, the bench could not test it:
  inconclusive, never failed);
- `Manual`: what a person (or the physical-step hook) does; the step after it
  waits for the person up to the step's time budget (`within`, else the test
  data's `manual_step_seconds`; without either, without a deadline). A person
  confirms a step done with a STEP_DONE event in the log (the session page's
  Done button): the case then goes on, the next step awaited from that moment;
  a budget that runs out with neither the confirmation nor the charger's frames
  leaves the case inconclusive (the step was not done), never failed;
- `Absent`: a message the charger must not send, until the next step comes or
  for a time;
- `AnyOrder`: messages whose order is free (StartTransaction and StatusNotification
  Charging, StopTransaction and Finishing: OCPP 1.6 §4.8, §4.9, §4.10 set no order);
- `Each`: one expectation per connector (and connector 0).

Values in an expectation may be literals, `OneOf` alternatives, `MISSING` (the
field must be absent), `Check` (a predicate with its words), `Var` (the session's
test data: connector, id tags, intervals) or `Ref` (a field of an earlier step's
frame, e.g. the transactionId we gave in answer to StartTransaction).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

# The log's event for a step by hand confirmed done: {"event", "case", "step" (its row number), "label", "by"}.
STEP_DONE = "step-done"

# -- values ---------------------------------------------------------------------


@dataclass(frozen=True)
class Var:
    """A value of the session's test data (connector, id_tag, connection_timeout, ...)."""

    name: str


@dataclass(frozen=True)
class Ref:
    """A field of an earlier named step's frames: `payload.<path>` (the CALL) or
    `answer.<path>` (its answer), dotted for nested objects and list places
    (`answer.certificateHashData.0`)."""

    step: str
    path: str


class OneOf:
    """Any of these values passes."""

    def __init__(self, *values: Any) -> None:
        self.values = values

    def __repr__(self) -> str:
        return " or ".join(text_of(v) for v in self.values)


@dataclass(frozen=True)
class Check:
    """A predicate over a field, with the words that say what it wants. The test
    gets the field's value and `resolve`, which turns a Var or Ref into its value."""

    test: Callable[[Any, Callable[[Any], Any]], bool]
    text: str

    def __repr__(self) -> str:
        return self.text


class _Missing:
    def __repr__(self) -> str:
        return "absent"


MISSING: Any = _Missing()  # the field must be absent (as expectation), or is absent (as value)
UNKNOWN: Any = object()  # a Var or Ref that cannot be resolved: the field is not checked


# -- steps ----------------------------------------------------------------------


@dataclass(frozen=True)
class Send:
    """We send `action` with `payload`; the charger must answer with `answer`'s
    fields. `errors`: CALLERROR codes that pass as well; `unsupported`: answer
    statuses or CALLERROR codes meaning the charger lacks the feature (the case
    is then Not supported, never failed); `otherwise`: what another answer
    makes of the case (inconclusive for a step that only prepares the case);
    `disconnects`: the command takes the charger away (a reset). Payload strings
    with {placeholders} are filled per session and not compared."""

    action: str
    payload: Mapping = field(default_factory=dict)
    answer: Mapping = field(default_factory=dict)
    errors: tuple[str, ...] = ()
    unsupported: tuple[str, ...] = ()
    name: str = ""
    label: str = ""
    within: Any = None  # s for the answer; default: effect timeout
    otherwise: str = "failed"
    disconnects: bool = False
    when: Callable[[Mapping], bool] | None = None

    @property
    def again(self) -> tuple[str, ...]:
        """Answers a charger may legally give where the case needs Accepted, after which
        a lab sends the command again (up to SEND_TRIES in all) before calling the case
        inconclusive: Reset Rejected (§5.14: the charger says whether it will reset)."""
        return LEGAL_REFUSALS.get(self.action, ()) if self.answer.get("status") == "Accepted" else ()


LEGAL_REFUSALS = {"Reset": ("Rejected",)}
SEND_TRIES = 3  # sends of a command refused legally, SEND_AGAIN_AFTER s apart
SEND_AGAIN_AFTER = 5.0


@dataclass(frozen=True)
class Expect:
    """The charger sends `action` ("event:connected" and the like: the log
    records a connection event). `match` picks the frames the step is about
    (e.g. the connector); `fields` are what they must carry. A strict step is
    decided by the first frame it picks; a loose one (StatusNotification by
    default) waits for a frame with the fields, passing over others. `ours`: what
    we must have answered for the case to test anything. `after`/`within`:
    seconds from the previous step's frame (the earliest and latest it may come)."""

    action: str
    fields: Mapping = field(default_factory=dict)
    match: Mapping = field(default_factory=dict)
    ours: Mapping = field(default_factory=dict)
    name: str = ""
    label: str = ""
    optional: bool = False
    strict: bool | None = None  # None: loose for StatusNotification, strict otherwise
    after: Any = None
    within: Any = None
    since: str = ""  # count after/within from this named step's frame, not the previous step's
    # `within` counts from the last exchange before the frame (a heartbeat's interval is one of
    # inactivity, §9.1.10; §4.6: another message may take its place), not from the anchor.
    idle: bool = False
    state: bool = False  # passes too when the last such frame already carries the fields (a state, not an event)
    when: Callable[[Mapping], bool] | None = None

    @property
    def is_strict(self) -> bool:
        return self.strict if self.strict is not None else self.action != "StatusNotification"


@dataclass(frozen=True)
class Manual:
    """A step a person (or the physical-step hook) does: plug, unplug, swipe,
    fault, clear-fault, power-cycle, unplug-ev-side, offline, ... `disconnects`:
    the step takes the charger away (power cycle, network cut), so a
    disconnection after it is expected. `within`: the person's time budget in
    seconds (a number or Var); None: the test data's `manual_step_seconds`."""

    action: str
    label: str
    params: Mapping = field(default_factory=dict)
    disconnects: bool = False
    when: Callable[[Mapping], bool] | None = None
    within: Any = None


@dataclass(frozen=True)
class Absent:
    """The charger must NOT send `action` (with `fields`; "" for any CALL) until
    the next step's frame, or for `within` seconds when it is the last step."""

    action: str
    fields: Mapping = field(default_factory=dict)
    within: Any = None
    label: str = ""
    when: Callable[[Mapping], bool] | None = None


@dataclass(frozen=True)
class AnyOrder:
    """Steps whose frames may come in any order."""

    steps: tuple
    label: str = ""
    when: Callable[[Mapping], bool] | None = None

    def __init__(self, *steps, label: str = "", when=None) -> None:
        object.__setattr__(self, "steps", steps)
        object.__setattr__(self, "label", label)
        object.__setattr__(self, "when", when)


@dataclass(frozen=True)
class Each:
    """One copy of an `Expect` per connector (1..data["connectors"]), and connector 0
    when `zero`; their frames may come in any order."""

    step: Expect
    zero: bool = True
    when: Callable[[Mapping], bool] | None = None


Step = Send | Expect | Manual | Absent | AnyOrder | Each


def expand(steps: Iterable[Step], data: Mapping) -> list[Step]:
    """The steps that apply to this session (`when`), with `Each` unrolled."""
    out: list[Step] = []
    for step in steps:
        if step.when is not None and not step.when(data):
            continue
        if isinstance(step, Each):
            count = data.get("connectors") or 1
            members = tuple(
                replace(
                    step.step,
                    match={**step.step.match, "connectorId": c},
                    label=f"{label_of(step.step)} (connector {c})",
                )
                for c in range(0 if step.zero else 1, int(count) + 1)
            )
            out.append(AnyOrder(*members))
        elif isinstance(step, AnyOrder):
            out.append(AnyOrder(*expand(step.steps, data), label=step.label))
        else:
            out.append(step)
    return out


def is_placeholder(value) -> bool:
    """A value filled per session ("{connector}")."""
    return isinstance(value, str) and "{" in value and "}" in value


def literal(value):
    """What of our payload a step can compare: placeholders (filled per session)
    and frame fields (Ref) at any depth stand for any value."""
    if isinstance(value, Mapping):
        return {k: literal(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [literal(v) for v in value]
    return UNKNOWN if is_placeholder(value) or isinstance(value, Ref) else value


def describe(fields: Mapping, resolve: Callable) -> str:
    """Expected fields in words ("status Accepted, idTagInfo.status Accepted"); values
    that cannot be resolved (UNKNOWN) are left out."""
    parts = []
    for key, want in fields.items():
        want = resolve(want)
        if want is UNKNOWN:
            continue
        if isinstance(want, Mapping):
            inner = describe(want, resolve)
            parts.extend(f"{key}.{p}" for p in inner.split(", ") if p)
        else:
            parts.append(f"{key} {text_of(want)}")
    return ", ".join(parts)


def actual_of(fields: Mapping, payload, resolve: Callable) -> str:
    """The payload's values of the expected fields, in the same words."""
    if not isinstance(payload, dict):
        return "no payload"
    parts = []
    for key, want in fields.items():
        value = payload.get(key, MISSING)
        if isinstance(resolve(want), Mapping) and isinstance(value, dict):
            parts.append(f"{key}: {{{actual_of(resolve(want), value, resolve)}}}")
        else:
            parts.append(f"{key} {text_of(value)}")
    return ", ".join(parts) or "a frame"


def last_exchange(records: Iterable) -> Any:
    """The time of the last frame either way among `records` (None without one): an
    interval of inactivity counts from it (§9.1.10)."""
    for record in reversed(list(records)):
        if record.message_type is not None:
            return record.ts
    return None


def label_of(step: Step) -> str:
    """The words a step shows in the session page and the report."""
    if getattr(step, "label", ""):
        return step.label
    if isinstance(step, Send):
        answer = ", ".join(f"{k} {text_of(v)}" for k, v in step.answer.items() if not isinstance(v, Var | Ref))
        return f"We send {step.action}" + (f"; the charger answers {answer}" if answer else "")
    if isinstance(step, Expect):
        shown = ", ".join(
            f"{k} {text_of(v)}" for k, v in step.fields.items() if not isinstance(v, Var | Ref | Mapping | Check)
        )
        return f"The charger sends {step.action}" + (f" ({shown})" if shown else "")
    if isinstance(step, Absent):
        return f"The charger does not send {step.action or 'anything'}"
    if isinstance(step, Each):
        return label_of(step.step)
    if isinstance(step, AnyOrder):
        return " and ".join(label_of(m) for m in step.steps)
    return getattr(step, "label", "")


def text_of(value) -> str:
    """A value of an expectation in the words the page shows."""
    if value is MISSING:
        return "absent"
    if isinstance(value, str):
        return value
    return repr(value) if isinstance(value, OneOf | Check) else str(value)

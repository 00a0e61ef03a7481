"""The meter-values chart a case's panel shows (`meter_chart`), drawn on the server as inline SVG.

Power, current, voltage and energy over time, one small panel per quantity
(their units differ). One series per transaction and connector (its colour,
named in the legend), one dash pattern per phase: the energy register of two
connectors is two rising lines, not one that saws between them. Samples come
from the session's MeterValues and StopTransaction transactionData frames; a
StopTransaction's connector is found through its StartTransaction.

A long session is sampled down to about MAX_POINTS points per line, keeping
each bucket's minimum and maximum so peaks and dips stay visible. Ticks are
round values with distinct labels and units; the time axis is UTC.

This module only computes geometry; templates/certify/_session_meter_chart.html
draws it with presentation attributes only (no CSS), so the session page and
the PDF (WeasyPrint ignores most CSS inside SVG) draw the same picture.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime

from chargers.frames.reader import Log
from chargers.protocol.v16.state import SampledValue, State16, meter_values
from chargers.timestamps import parse_ocpp_time

MAX_POINTS = 500
WIDTH, PANEL_HEIGHT, LEFT, RIGHT, TOP, GAP, AXIS = 540, 72, 54, 14, 8, 26, 30
FONT = 7  # px, in the viewBox
CHAR_W = 4.1  # a DejaVu Sans character at FONT px, on average
LEGEND_ROW = 11

# Panel key, title, base unit, the measurand it shows.
PANELS = (
    ("power", "Power", "W", "Power.Active.Import"),
    ("current", "Current", "A", "Current.Import"),
    ("voltage", "Voltage", "V", "Voltage"),
    ("energy", "Energy", "Wh", "Energy.Active.Import.Register"),
)
_PANEL_OF = {measurand: key for key, _, _, measurand in PANELS}
# Units a charger may send, as (our base unit, factor).
_UNITS = {"W": ("W", 1), "kW": ("W", 1000), "Wh": ("Wh", 1), "kWh": ("Wh", 1000), "A": ("A", 1), "V": ("V", 1)}
_DEFAULT_UNIT = {"power": "W", "current": "A", "voltage": "V", "energy": "Wh"}
# Larger units a panel's labels switch to, by the size of its values.
_SCALED = {"W": ("kW", "MW"), "Wh": ("kWh", "MWh")}
PHASES = ("", "L1", "L2", "L3", "N", "L1-N", "L2-N", "L3-N", "L1-L2", "L2-L3", "L3-L1")
COLORS = ("#1f4f82", "#d97706", "#0f7b3f", "#9333ea", "#b42318", "#0891b2", "#4b5563", "#be185d")
DASHES = ("", "5 2", "1.5 1.5", "6 2 1.5 2")
TIME_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
PLOT_FILL, PLOT_STROKE, GRID, INK, MUTED = "#f6f8fa", "#c9d1d9", "#e1e6eb", "#1d2430", "#57606a"

Source = tuple[int | None, int | None]  # (connector, transaction)
Series = dict[tuple[str, Source, str], list[tuple[float, float]]]  # (panel, source, phase) -> [(t, value)]


@dataclass
class Line:
    source: Source
    phase: str
    color: str
    dash: str
    points: str  # "x,y x,y ..." for <polyline>
    count: int


@dataclass
class Panel:
    key: str
    title: str
    unit: str
    top: float
    height: float
    lines: list[Line] = field(default_factory=list)
    y_ticks: list[tuple[float, float, str]] = field(default_factory=list)  # (y, label's y, label with unit)
    phases: list[tuple[str, str, float, float]] = field(default_factory=list)  # (phase, dash, x, x2) of the key

    @property
    def bottom(self) -> float:
        return self.top + self.height

    @property
    def title_y(self) -> float:
        return self.top - 4

    @property
    def mark_y(self) -> float:
        return self.title_y - 2


@dataclass
class LegendEntry:
    label: str
    color: str
    x: float
    y: float

    @property
    def line_x2(self) -> float:
        return self.x + 14

    @property
    def mark_y(self) -> float:
        return self.y - 2

    @property
    def text_x(self) -> float:
        return self.x + 18


@dataclass
class Chart:
    width: int
    height: int
    left: int
    right: float
    panels: list[Panel]
    x_ticks: list[tuple[float, str]]  # (x, label)
    samples: int
    frames: int
    legend: list[LegendEntry] = field(default_factory=list)
    axis_label: str = ""

    @property
    def empty(self) -> bool:
        return not self.panels

    @property
    def plot_width(self) -> float:
        return self.right - self.left

    @property
    def axis_y(self) -> float:
        return self.panels[-1].bottom if self.panels else 0

    @property
    def tick_end_y(self) -> float:
        return self.axis_y + 3

    @property
    def tick_label_y(self) -> float:
        return self.axis_y + 11

    @property
    def axis_label_y(self) -> float:
        return self.height - 3

    @property
    def label_x(self) -> float:
        return self.left - 3


def source_label(source: Source) -> str:
    connector, transaction = source
    parts = []
    if connector is not None:
        parts.append(f"connector {connector}")
    parts.append(f"transaction {transaction}" if transaction is not None else "no transaction")
    return ", ".join(parts)


def meter_series(log: Log) -> tuple[Series, int]:
    """The samples of MeterValues/StopTransaction CALLs as (epoch s, value) per
    panel, source and phase, in base units; returns them and how many frames
    had any. A StopTransaction names no connector: the 1.6 state finds it
    through the transaction."""
    state = State16(log)
    series: Series = {}
    used = 0
    calls = sorted([*log.calls("MeterValues"), *log.calls("StopTransaction")], key=lambda r: r.seq)
    for record in calls:
        transaction = _int(record.get("transactionId"))
        connector = _int(record.get("connectorId"))
        if connector is None and transaction is not None:
            connector = _int(state.connector_of(transaction))
        source = (connector, transaction)
        found = False
        for reading in meter_values(record):
            when = _epoch(reading.timestamp, record.ts)
            for sample in reading.values:
                point = _sample(sample)
                if point is not None:
                    panel, phase, value = point
                    series.setdefault((panel, source, phase), []).append((when, value))
                    found = True
        used += found
    for points in series.values():
        points.sort()
    return series, used


def _int(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _epoch(timestamp, fallback: datetime) -> float:
    """A reading's own time; the frame's when it has none with a zone."""
    parsed, _ = parse_ocpp_time(timestamp) if isinstance(timestamp, str) else (None, "")
    return (parsed or fallback).timestamp()


def _sample(sample: SampledValue) -> tuple[str, str, float] | None:
    if sample.format == "SignedData":
        return None
    panel = _PANEL_OF.get(sample.measurand)
    if panel is None or sample.phase not in PHASES:
        return None
    unit, factor = _UNITS.get(sample.unit or _DEFAULT_UNIT[panel], (None, 1))
    if unit != _DEFAULT_UNIT[panel]:
        return None
    try:
        value = float(sample.value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(value):
        return None
    return panel, sample.phase, value * factor


def downsample(points: list[tuple[float, float]], max_points: int = MAX_POINTS) -> list[tuple[float, float]]:
    """At most about max_points points: each bucket keeps its min and max, in time order."""
    if len(points) <= max_points:
        return points
    buckets = max(1, max_points // 2)
    size = len(points) / buckets
    out: list[tuple[float, float]] = []
    for b in range(buckets):
        chunk = points[int(b * size) : int((b + 1) * size)]
        if not chunk:
            continue
        low = min(chunk, key=lambda p: p[1])
        high = max(chunk, key=lambda p: p[1])
        out.extend(sorted({low, high}))
    return out


def nice_ticks(low: float, high: float, target: int = 4) -> list[float]:
    """Round values (1, 2 or 5 times a power of ten apart) covering [low, high];
    a flat series gets a band of 5% around its value."""
    if high - low < 1e-9:
        pad = max(abs(high) * 0.05, 1.0)
        low, high = low - pad, high + pad
    raw = (high - low) / target
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first, last = math.floor(low / step + 1e-9), math.ceil(high / step - 1e-9)
    return [round(k * step, 10) for k in range(first, last + 1)]


def tick_labels(ticks: list[float], unit: str) -> tuple[list[str], str]:
    """Labels for a panel's ticks, each with its unit, in a larger unit when the
    values are large ("11.5 kW"), with as many decimals as the step needs to
    keep every label distinct."""
    scale, shown = 1.0, unit
    biggest = max(abs(t) for t in ticks)
    for n, bigger in enumerate(_SCALED.get(unit, ()), start=1):
        if biggest >= 1000**n:
            scale, shown = 1000.0**n, bigger
    step = (ticks[1] - ticks[0]) / scale if len(ticks) > 1 else 1.0
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    return [f"{t / scale:,.{decimals}f} {shown}" for t in ticks], shown


def time_ticks(t0: float, t1: float, target: int = 6) -> tuple[list[float], str]:
    """Round UTC times between t0 and t1 and their strftime format."""
    span = t1 - t0
    step = next((s for s in TIME_STEPS if span / s <= target), TIME_STEPS[-1] * math.ceil(span / 86400 / target))
    ticks = [k * step for k in range(math.ceil(t0 / step), math.floor(t1 / step) + 1)]
    fmt = "%H:%M:%S" if step < 60 else "%H:%M"
    if span >= 86400:
        fmt = "%m-%d %H:%M"
    if len(ticks) < 2:
        ticks, fmt = ([t0, t1] if span >= 0.001 else [t0]), "%H:%M:%S.%f"
    return ticks, fmt


def _clock(epoch: float, fmt: str) -> str:
    text = datetime.fromtimestamp(epoch, UTC).strftime(fmt)
    return text[:-3] if fmt.endswith("%f") else text


def build_chart(series: Series, frames: int = 0) -> Chart:
    """Lay out the legend, then one panel per quantity present, sharing the time axis."""
    present = [p for p in PANELS if any(key[0] == p[0] for key in series)]
    times = [t for points in series.values() for t, _ in points]
    if not present or not times:
        return Chart(WIDTH, 0, LEFT, WIDTH - RIGHT, [], [], 0, frames)
    t0, t1 = min(times), max(times)
    span = (t1 - t0) or 1.0
    plot_w = WIDTH - LEFT - RIGHT

    def x_of(t: float) -> float:
        return LEFT + (t - t0) / span * plot_w

    sources = sorted({key[1] for key in series}, key=lambda s: (s[0] is None, s[0] or 0, s[1] is None, s[1] or 0))
    color_of = {source: COLORS[n % len(COLORS)] for n, source in enumerate(sources)}
    legend, top = _legend(sources, color_of)

    panels: list[Panel] = []
    top += TOP + FONT + 4
    for key, title, unit, _ in present:
        values = [v for (k, _, _), points in series.items() if k == key for _, v in points]
        ticks = nice_ticks(min(values), max(values))
        labels, shown = tick_labels(ticks, unit)
        panel = Panel(key, title, shown, top, PANEL_HEIGHT)
        low, high = ticks[0], ticks[-1]

        def y_of(v: float, low=low, high=high, panel=panel) -> float:
            return panel.bottom - (v - low) / (high - low) * panel.height

        phases = sorted({phase for (k, _, phase) in series if k == key}, key=PHASES.index)
        dash_of = {phase: DASHES[n % len(DASHES)] for n, phase in enumerate(phases)}
        for (k, source, phase), points in sorted(series.items(), key=lambda kv: (sources.index(kv[0][1]), kv[0][2])):
            if k != key:
                continue
            thin = downsample(points)
            panel.lines.append(
                Line(
                    source=source,
                    phase=phase or "total",
                    color=color_of[source],
                    dash=dash_of[phase],
                    points=" ".join(f"{x_of(t):.1f},{y_of(v):.1f}" for t, v in thin),
                    count=len(points),
                )
            )
        panel.y_ticks = [(y_of(v), y_of(v) + 2.5, label) for v, label in zip(ticks, labels, strict=True)]
        if len(phases) > 1 or phases != [""]:
            x = WIDTH - RIGHT
            for phase in reversed(phases):
                x -= (len(phase or "total") * CHAR_W) + 22
                panel.phases.insert(0, (phase or "total", dash_of[phase], x, x + 14))
        panels.append(panel)
        top += PANEL_HEIGHT + GAP
    height = int(top - GAP + AXIS)
    ticks, fmt = time_ticks(t0, t1)
    x_ticks = [(x_of(t), _clock(t, fmt)) for t in ticks]
    day0 = datetime.fromtimestamp(t0, UTC).date()
    day1 = datetime.fromtimestamp(t1, UTC).date()
    axis = f"Time (UTC), {day0:%Y-%m-%d}" + (f" to {day1:%Y-%m-%d}" if day1 != day0 else "")
    samples = sum(len(points) for points in series.values())
    return Chart(WIDTH, height, LEFT, WIDTH - RIGHT, panels, x_ticks, samples, frames, legend, axis)


def _legend(sources: list[Source], color_of: dict) -> tuple[list[LegendEntry], float]:
    """Entries left to right, wrapped into rows; returns them and the y below them."""
    entries, x, y = [], float(LEFT), float(FONT + 2)
    for source in sources:
        label = source_label(source)
        width = 18 + len(label) * CHAR_W + 10
        if x + width > WIDTH - RIGHT and x > LEFT:
            x, y = float(LEFT), y + LEGEND_ROW
        entries.append(LegendEntry(label, color_of[source], x, y))
        x += width
    return entries, y


def session_chart(session) -> Chart:
    """The chart of a session's meter readings."""
    frames = (
        session.frames()
        .filter(action__in=["MeterValues", "StopTransaction", "StartTransaction"], message_type__in=[2, 3])
        .values("id", "seq", "ts", "direction", "message_type", "action", "unique_id", "raw")
    )
    series, used = meter_series(Log(frames.iterator(chunk_size=2000)))
    return build_chart(series, used)

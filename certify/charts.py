"""The meter-values chart of item 8, drawn on the server as inline SVG.

Power, current, voltage and energy over time, one small panel per quantity
(their units differ), one line per phase. Samples come from the session's
MeterValues and StopTransaction transactionData frames. A long session is
sampled down to about MAX_POINTS points per line, keeping each bucket's minimum
and maximum so peaks and dips stay visible. This module only computes geometry;
templates/certify/_session_meter_chart.html draws it (autoescaped).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from chargers.models import parse_ocpp_time

MAX_POINTS = 500
WIDTH, PANEL_HEIGHT, LEFT, RIGHT, TOP, GAP, AXIS = 540, 80, 46, 8, 16, 28, 18

# Panel key, title, unit we draw in, the measurands it shows.
PANELS = (
    ("power", "Power", "W", "Power.Active.Import"),
    ("current", "Current", "A", "Current.Import"),
    ("voltage", "Voltage", "V", "Voltage"),
    ("energy", "Energy", "Wh", "Energy.Active.Import.Register"),
)
_PANEL_OF = {measurand: key for key, _, _, measurand in PANELS}
# Units a charger may send, as (our unit, factor).
_UNITS = {"W": ("W", 1), "kW": ("W", 1000), "Wh": ("Wh", 1), "kWh": ("Wh", 1000), "A": ("A", 1), "V": ("V", 1)}
_DEFAULT_UNIT = {"power": "W", "current": "A", "voltage": "V", "energy": "Wh"}
PHASES = ("", "L1", "L2", "L3", "N", "L1-N", "L2-N", "L3-N", "L1-L2", "L2-L3", "L3-L1")
COLORS = ("#1f4f82", "#d97706", "#0f7b3f", "#9333ea", "#b42318", "#0891b2")


@dataclass
class Line:
    phase: str
    color: str
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
    y_ticks: list[tuple[float, str]] = field(default_factory=list)  # (y, label)

    @property
    def bottom(self) -> float:
        return self.top + self.height

    @property
    def title_y(self) -> float:
        return self.top - 5


@dataclass
class Chart:
    width: int
    height: int
    left: int
    right: float
    panels: list[Panel]
    x_ticks: list[tuple[float, str, str]]  # (x, label, text-anchor)
    samples: int
    frames: int

    @property
    def empty(self) -> bool:
        return not self.panels

    @property
    def plot_width(self) -> float:
        return self.right - self.left


Series = dict[tuple[str, str], list[tuple[float, float]]]  # (panel, phase) -> [(t, value)]


def meter_series(frames) -> tuple[Series, int]:
    """The samples of MeterValues/StopTransaction CALLs as (epoch s, value) per
    panel and phase, in our units; returns them and how many frames had any."""
    series: Series = {}
    used = 0
    for ts, raw in frames:
        try:
            message = json.loads(raw)
            payload = message[3]
            meter_values = payload.get("meterValue") or payload.get("transactionData") or []
        except (ValueError, RecursionError, IndexError, KeyError, TypeError, AttributeError):
            continue
        found = False
        for meter_value in meter_values if isinstance(meter_values, list) else []:
            if not isinstance(meter_value, dict):
                continue
            when = _epoch(meter_value.get("timestamp"), ts)
            for sample in meter_value.get("sampledValue") or []:
                point = _sample(sample)
                if point is not None:
                    panel, phase, value = point
                    series.setdefault((panel, phase), []).append((when, value))
                    found = True
        used += found
    for points in series.values():
        points.sort()
    return series, used


def _epoch(timestamp, fallback: datetime) -> float:
    parsed, _ = parse_ocpp_time(timestamp) if isinstance(timestamp, str) else (None, "")
    return (parsed or fallback).timestamp()


def _sample(sample) -> tuple[str, str, float] | None:
    if not isinstance(sample, dict) or sample.get("format") == "SignedData":
        return None
    panel = _PANEL_OF.get(sample.get("measurand") or "Energy.Active.Import.Register")
    phase = sample.get("phase") or ""
    if panel is None or phase not in PHASES:
        return None
    unit, factor = _UNITS.get(sample.get("unit") or _DEFAULT_UNIT[panel], (None, 1))
    if unit != _DEFAULT_UNIT[panel]:
        return None
    try:
        value = float(sample.get("value"))
    except (TypeError, ValueError):
        return None
    if value != value or value in (float("inf"), float("-inf")):
        return None
    return panel, phase, value * factor


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


def build_chart(series: Series, frames: int = 0) -> Chart:
    """Lay out one panel per quantity present, sharing the time axis."""
    present = [p for p in PANELS if any(key[0] == p[0] for key in series)]
    times = [t for points in series.values() for t, _ in points]
    if not present or not times:
        return Chart(WIDTH, 0, LEFT, WIDTH - RIGHT, [], [], 0, frames)
    t0, t1 = min(times), max(times)
    span = (t1 - t0) or 1.0
    plot_w = WIDTH - LEFT - RIGHT

    def x_of(t: float) -> float:
        return LEFT + (t - t0) / span * plot_w

    panels: list[Panel] = []
    top = TOP
    for key, title, unit, _ in present:
        panel = Panel(key, title, unit, top, PANEL_HEIGHT)
        lines = sorted((phase, points) for (k, phase), points in series.items() if k == key)
        values = [v for _, points in lines for _, v in points]
        low, high = min(values), max(values)
        if high - low < 1e-9:
            low, high = low - 1, high + 1
        pad = (high - low) * 0.08
        low, high = low - pad, high + pad

        def y_of(v: float, low=low, high=high, panel=panel) -> float:
            return panel.bottom - (v - low) / (high - low) * panel.height

        for n, (phase, points) in enumerate(lines):
            thin = downsample(points)
            panel.lines.append(
                Line(
                    phase=phase or "total",
                    color=COLORS[n % len(COLORS)],
                    points=" ".join(f"{x_of(t):.1f},{y_of(v):.1f}" for t, v in thin),
                    count=len(points),
                )
            )
        panel.y_ticks = [(y_of(v), _number(v)) for v in (low + pad, (low + high) / 2, high - pad)]
        panels.append(panel)
        top += PANEL_HEIGHT + GAP
    height = int(top - GAP + AXIS)
    anchors = ("start", "middle", "middle", "middle", "end")
    x_ticks = [(x_of(t0 + span * i / 4), _clock(t0 + span * i / 4), anchors[i]) for i in range(5)]
    samples = sum(len(points) for points in series.values())
    return Chart(WIDTH, height, LEFT, WIDTH - RIGHT, panels, x_ticks, samples, frames)


def session_chart(session) -> Chart:
    """The chart of a session's meter readings (item 8)."""
    frames = (
        session.frames()
        .filter(direction="in", message_type=2, action__in=["MeterValues", "StopTransaction"])
        .values_list("ts", "raw")
    )
    series, used = meter_series(frames.iterator(chunk_size=2000))
    return build_chart(series, used)


def _number(v: float) -> str:
    if abs(v) >= 10_000:
        return f"{v / 1000:.1f}k"
    if abs(v) >= 100:
        return f"{v:.0f}"
    return f"{v:.1f}"


def _clock(epoch: float) -> str:
    from datetime import UTC

    return datetime.fromtimestamp(epoch, UTC).strftime("%H:%M:%S")

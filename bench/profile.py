"""Where the server's time goes per message, from a `py-spy record -f raw
--threads` profile (collapsed stacks): `python -m bench.profile FILE [MESSAGES]`.

Prints CPU time per message by thread, inclusive time of the hot-path functions,
and self time by package/file, all as microseconds per message.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

RATE = 250  # samples per second, as bench.__main__ records

# (label, regex on a frame "function (file:line)"): inclusive time of each.
KEY_FRAMES = [
    ("consumer receive (whole CALL, event loop)", r"(^|\.)receive \(chargers/consumers\.py"),
    ("  CentralSystem.handle_frame", r"(^|\.)handle_frame \(chargers/protocol/central_system\.py"),
    ("    parse_frame (json.loads)", r"(^|\.)parse_frame \("),
    ("    schemas.validate (request + response)", r"(^|\.)validate \(chargers/protocol/v16/schemas\.py"),
    ("      _check_times", r"(^|\.)_check_times \("),
    ("    result_frame (ocpp serialize + camelCase)", r"(^|\.)result_frame \("),
    ("    store_frame (loop side)", r"(^|\.)(store_frame|store) \(chargers/frames/writer\.py"),
    ("    send_text → daphne send", r"(^|\.)send_text \(chargers/consumers\.py"),
    ("FrameWriter._drain (loop side of commits)", r"(^|\.)_drain \(chargers/frames/writer\.py"),
    ("  live updates and listeners", r"(^|\.)(_announce_later|_tell_listeners) \("),
    ("insert_and_touch (DB thread, whole transaction)", r"(^|\.)insert_and_touch \(chargers/frames/thread\.py"),
    ("  Frame(...) model instances", r"^Model\.__init__ \(django/db/models/base\.py"),
    ("  bulk_create", r"(^|\.)bulk_create \("),
    ("  Charger last_frame_at update", r"^QuerySet\.update \(django/db/models/query\.py"),
    ("  commit", r"(^|\.)_?commit \(django/db/backends"),
    ("DB connection open (get_new_connection)", r"(^|\.)get_new_connection \("),
    ("DB connection close (close_old_connections)", r"(^|\.)close_old_connections \("),
    ("asgiref sync_to_async (both sides)", r"\(asgiref/sync\.py"),
    ("channels consumer dispatch", r"(^|\.)dispatch \(channels/"),
    ("daphne/autobahn WebSocket I/O", r"\((autobahn|daphne)/"),
    ("twisted reactor", r"\(twisted/"),
    ("logging", r"\(logging/"),
]

PACKAGES = [
    ("sqlite3 / psycopg (driver)", r"sqlite3/|psycopg"),
    ("django ORM / db", r"django/db/"),
    ("django other", r"django/"),
    ("json", r"\(json/"),
    ("jsonschema_rs", r"jsonschema_rs"),
    ("ocpp library", r"\(ocpp/"),
    ("our code (chargers/, certify/)", r"\((chargers|certify)/"),
    ("asgiref", r"asgiref/"),
    ("channels", r"channels/"),
    ("autobahn (WebSocket framing)", r"autobahn/"),
    ("daphne", r"daphne/"),
    ("twisted", r"twisted/"),
    ("asyncio", r"asyncio/"),
    ("concurrent.futures / threading", r"concurrent/|threading\.py"),
    ("logging", r"logging/"),
    ("other", r"."),
]


def read(path: Path) -> list[tuple[list[str], int]]:
    stacks = []
    for line in path.read_text(errors="replace").splitlines():
        stack, _, n = line.rpartition(" ")
        if stack and n.isdigit():
            stacks.append((stack.split(";"), int(n)))
    return stacks


def summarize(path: Path, details: dict | None = None, messages: int | None = None) -> str:
    stacks = read(path)
    if messages is None and details:
        messages = details.get("load", {}).get("calls_sent")
    messages = messages or 1
    total = sum(n for _, n in stacks)
    us = 1e6 / RATE / messages  # microseconds per message per sample
    lines = [
        f"\nprofile {path.name}: {total} samples at {RATE} Hz = {total / RATE:.1f} s CPU, {messages:,} messages "
        f"→ {total * us:,.0f} µs of server CPU per message (CALL in + CALLRESULT out + their two frames)"
    ]
    threads: Counter = Counter()
    for stack, n in stacks:
        name = stack[0]
        thread = "event loop (main)" if "MainThread" in name or "main" in name.lower() else "worker threads (DB)"
        if len(stack) > 1 and "_worker" in ";".join(stack[:6]):
            thread = "worker threads (DB)"
        threads[thread] += n
    lines.append("by thread:")
    for name, n in threads.most_common():
        lines.append(f"  {n * us:8.0f} µs  {100 * n / total:5.1f}%  {name}")
    lines.append("inclusive time of hot-path functions (µs/message):")
    for label, pattern in KEY_FRAMES:
        rx = re.compile(pattern)
        n = sum(c for stack, c in stacks if any(rx.search(f) for f in stack))
        lines.append(f"  {n * us:8.0f} µs  {100 * n / total:5.1f}%  {label}")
    lines.append("self time by package (µs/message):")
    by_pkg: Counter = Counter()
    for stack, n in stacks:
        leaf = stack[-1]
        for label, pattern in PACKAGES:
            if re.search(pattern, leaf):
                by_pkg[label] += n
                break
    for label, n in by_pkg.most_common():
        lines.append(f"  {n * us:8.0f} µs  {100 * n / total:5.1f}%  {label}")
    lines.append("top self-time frames:")
    leaves: Counter = Counter()
    for stack, n in stacks:
        leaves[re.sub(r":\d+\)$", ")", stack[-1])] += n
    for frame, n in leaves.most_common(20):
        lines.append(f"  {n * us:8.0f} µs  {100 * n / total:5.1f}%  {frame[:110]}")
    return "\n".join(lines)


if __name__ == "__main__":
    target = Path(sys.argv[1])
    print(summarize(target, messages=int(sys.argv[2]) if len(sys.argv) > 2 else None))

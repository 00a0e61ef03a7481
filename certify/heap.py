"""The C heap of a server that renders reports for months: few arenas, and the
memory a report freed handed back to the system.

Rendering a report's PDF (WeasyPrint, Pango, HarfBuzz, then the signature)
allocates a couple of hundred megabytes for a moment, in the thread of its
request, and every request runs in a thread of its own. glibc gives threads up
to eight arenas a core and keeps what is freed in each for later use, so a
server signing report after report kept growing. Two arenas (as
MALLOC_ARENA_MAX=2 would set; the GIL leaves little to contend for) and
malloc_trim(0) after each report, with one WeasyPrint font configuration per
process (certify/report.py), keep it level: `python -m bench --soak`, figures in
the README (Performance, memory over months). Linux with glibc only; elsewhere
both do nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util

ARENAS = 2
_M_ARENA_MAX = -8  # glibc's mallopt parameter


def _libc():
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        return libc if libc is not None and hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None
    except OSError:
        return None


_glibc = _libc()


def limit_arenas() -> None:
    """At start, before the request threads: at most ARENAS arenas."""
    if _glibc is not None:
        _glibc.mallopt(_M_ARENA_MAX, ARENAS)


def release() -> None:
    """Return the memory freed since to the system (after a report)."""
    if _glibc is not None:
        _glibc.malloc_trim(0)

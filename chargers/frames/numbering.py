"""Each charger's frames numbered 1, 2, 3... without a gap, also when the charger
reconnects to another process that shares the database: the one routine every
writer numbers its batches with."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from itertools import islice

from ..models import Frame
from .rows import FrameRecord, frame

# Last seq written per charger by this process; reloaded on conflict. An entry
# goes when the charger's connection here ends (`forget`); past MAX_CHARGERS (for
# chargers that only ever got events here, e.g. refused ones) the oldest half goes.
last_seq: dict[int, int] = {}
MAX_CHARGERS = 100_000
ATTEMPTS = 3

LoadSeqs = Callable[[set[int]], Awaitable[dict[int, int]]]
Insert = Callable[[list[Frame]], Awaitable[None]]


async def numbered(
    items: list[tuple[int, FrameRecord]],
    load: LoadSeqs,
    insert: Insert,
    conflicts: tuple[type[BaseException], ...],
) -> list[Frame]:
    """Number the records on from each charger's last seq (asked of the database
    with `load` when unknown), write them with `insert`; on a seq conflict
    (another process wrote frames of the same charger: it reconnected there)
    take up the numbering of every charger of the batch and try again."""
    chargers = {pk for pk, _ in items}
    for attempt in range(ATTEMPTS):
        unknown = chargers if attempt else chargers - last_seq.keys()
        if unknown:
            found = await load(unknown)
            last_seq.update({pk: found.get(pk) or 0 for pk in unknown})
        seqs: dict[int, int] = {}
        objs = []
        for charger_pk, record in items:
            seqs[charger_pk] = seqs.get(charger_pk, last_seq[charger_pk]) + 1
            objs.append(frame(charger_pk, seqs[charger_pk], record))
        try:
            await insert(objs)
        except conflicts:
            if attempt == ATTEMPTS - 1:
                raise
            continue
        last_seq.update(seqs)  # committed: the next frames number on from here
        if len(last_seq) > MAX_CHARGERS:
            for pk in list(islice(last_seq, len(last_seq) // 2)):
                del last_seq[pk]
        return objs
    raise AssertionError("unreachable")


def forget(charger_pk: int) -> None:
    """The charger's connection here ended: its numbering is read from the
    database again when it next has frames (meanwhile it may write through
    another process)."""
    last_seq.pop(charger_pk, None)

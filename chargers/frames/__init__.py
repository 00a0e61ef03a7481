"""The one place where evidence frames are stored.

Every frame in both directions, and every connection event, goes through
`store_frame`, which returns only once the frame is committed: the protocol
answers a CALL only after that, so nothing is ever answered that is not stored.
Concurrent frames (of all chargers of this process) are committed together in
one statement: a group commit that keeps the promise at a fraction of the cost
of a transaction per frame.

One module per part:
- `writer`: the batching (FrameWriter, one per event loop) and which writer takes a batch;
- `loop_sqlite`, `loop_postgres`: the writers that commit from the event loop itself;
- `thread`: the writer thread, which takes what the loop cannot (a locked SQLite
  file, the chargers' last-seen times, checkpoints, OCPP_FRAME_WRITES_ON_LOOP off);
- `numbering`: each charger's gap-free sequence numbers, the one routine all three use;
- `rows`: a frame as a table row, its columns read off the model;
- `touches`: the chargers' last-seen times, written at most once a second.
"""

from .numbering import forget
from .rows import FrameRecord
from .writer import store_frame, store_frames

__all__ = ["FrameRecord", "forget", "store_frame", "store_frames"]

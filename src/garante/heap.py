"""The heap of a long-running process: what it starts with, kept out of later collections.

Apart from the server that calls it (``api.server``, ``cli.serve``), so that what measures a
server's work in process (``bench/fanout.py``) settles its heap the same way without loading
the web stack.
"""

from __future__ import annotations

import gc


def settle_heap() -> None:
    """Collect once, then keep what is left (modules, the app, the open store: some 350,000
    objects, all living as long as the server) out of every later collection.

    CPython's full collections walk every tracked object. Without this each one took 200-400 ms
    on a 2-core machine, every request waiting behind it (one interpreter lock); they come
    whenever the objects that requests leave behind have grown by a quarter, so a few
    requests in a thousand paid for them. Frozen (``gc.freeze``), the startup objects are never
    walked again, and a full collection walks only what was made since: under a millisecond.
    """
    gc.collect()
    gc.freeze()

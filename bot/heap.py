"""The long-lived process's heap, settled once it has started.

CPython's cyclic collector walks every tracked object on each full collection. After start the bot holds
some 150,000 of them that live as long as the process (modules, classes, SQLAlchemy's tables and compiled
statements, Jinja2's templates, the handlers' registries), so each full collection took about 80 ms on a
2-core machine: a pause in whichever message or console page it landed on, and the KOC page's slow tail.
`gc.freeze()` moves what exists at that moment out of the collector's reach; what is made later (each
message, each page) is collected as before. Only the real entry points call it, after their start: a test
process builds and drops many apps, and freezing those would keep their cycles for good.
"""

from __future__ import annotations

import gc
import logging

_LOGGER = logging.getLogger(__name__)


def settle() -> int:
    """Collect what start-up left behind, then keep the rest out of later collections; how many were kept."""
    gc.collect()
    gc.freeze()
    kept = gc.get_freeze_count()
    _LOGGER.info("the heap is settled: %d objects made at start are out of the collector's reach", kept)
    return kept

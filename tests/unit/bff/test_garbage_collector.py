"""The serving process's garbage collector: the startup heap frozen, young collections rarer."""

from __future__ import annotations

import gc

from bff.app import YOUNG_COLLECTION_THRESHOLD, tune_garbage_collector


def test_tuning_freezes_the_startup_heap_and_raises_only_the_young_threshold() -> None:
    before = gc.get_threshold()
    try:
        tune_garbage_collector()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (YOUNG_COLLECTION_THRESHOLD, *before[1:])
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)

"""A small process-local cache of values valid for one fingerprint of the data they rest on.

The barometer's figures (``results_cache``) and the review flags' campaign context
(``review_flags_cache``) each cost seconds to compute and a few milliseconds to fingerprint
(counts, latest ids and update times read in one aggregate query). Each key (a campaign, its
settings) holds one entry, replaced when its fingerprint moves; the least recently read keys
go first past ``size``. Each gunicorn worker has its own: the fingerprint, read from the shared
database, makes them agree. A hand-written LRU of a few lines rather than a dependency: a
generic cache library (cachetools) expires by age or size, not by "the data changed".
"""

from __future__ import annotations

import gc
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from threading import Lock
from typing import Any, Generic, TypeVar

T = TypeVar("T")
Fingerprint = tuple[Any, ...]


@dataclass(frozen=True)
class Entry(Generic[T]):
    fingerprint: Fingerprint
    value: T


class FingerprintCache(Generic[T]):
    """Least recently used values, one entry per key, each valid for one fingerprint."""

    def __init__(self, size: int) -> None:
        self.size = max(size, 1)
        self._entries: OrderedDict[Hashable, Entry[T]] = OrderedDict()
        self._lock = Lock()
        #: How many values were computed (misses): what the tests and the benchmark read.
        self.computed = 0

    def peek(self, key: Hashable) -> Entry[T] | None:
        """The entry under ``key`` whatever its fingerprint (to refresh it in part)."""
        with self._lock:
            return self._entries.get(key)

    def get(self, key: Hashable, fingerprint: Fingerprint, compute: Callable[[], T]) -> T:
        """The value under ``key`` if its fingerprint is still ``fingerprint``, else
        ``compute()`` stored in its place (computed outside the lock: a slow computation
        blocks no other read)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.fingerprint == fingerprint:
                self._entries.move_to_end(key)
                return entry.value
        value = compute()
        self.put(key, fingerprint, value)
        return value

    def put(self, key: Hashable, fingerprint: Fingerprint, value: T) -> None:
        with self._lock:
            self.computed += 1
            self._entries[key] = Entry(fingerprint, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        # The entries hold millions of objects (a campaign's tests and answers): left to the
        # cyclic garbage collector, each of its full passes walks them all again, which cost a
        # warm request as much as its own work. Frozen, the collector skips them; they are
        # still freed when evicted (by reference counting: the entries hold no cycles). The
        # garbage already there is collected first, so that no cycle is frozen with them.
        gc.collect()
        gc.freeze()

    def clear(self) -> None:
        """Forget every entry, and start counting computations again."""
        with self._lock:
            self._entries.clear()
            self.computed = 0

    def __len__(self) -> int:
        return len(self._entries)

"""Duplicate scenario ids in a batch, found in bounded memory.

A batch warns when two scenarios share an id. Keeping every id (or a dict of them) costs the
parent some hundred bytes per scenario, which over ten million rows is gigabytes; here each id
is an 8-byte fingerprint (BLAKE2b) in one flat open-addressing table sized from the number of
scenarios, about 10 bytes per scenario. Two different ids share a fingerprint with a
probability of about n^2 / 2^65 (one in 37 million at a million scenarios), which would show as
one wrong warning; the warning names the later scenario, not the first one (keeping where each
id was first seen would cost as much as the ids themselves).
"""

from __future__ import annotations

from array import array
from hashlib import blake2b

LOAD = 0.77   # the table grows (doubles) beyond this share of used slots


class SeenIds:
    """A set of ids that only answers "seen before?".

    Args:
        expected: how many ids will be added (the table is sized for them; it grows if needed).
    """

    def __init__(self, expected: int = 0):
        self._size = max(64, int(expected / LOAD) + 1)
        self._table = array("Q", [0]) * self._size
        self._used = 0

    def add(self, text: str) -> bool:
        """Add an id; True when it (or, very rarely, an id with the same fingerprint) was seen."""
        fingerprint = int.from_bytes(blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little") or 1
        table, size = self._table, self._size
        slot = fingerprint % size
        while True:
            value = table[slot]
            if value == fingerprint:
                return True
            if value == 0:
                break
            slot = slot + 1 if slot + 1 < size else 0
        if self._used + 1 > LOAD * size:
            self._grow()
            return self.add(text)
        table[slot] = fingerprint
        self._used += 1
        return False

    def _grow(self) -> None:
        old = self._table
        self._size *= 2
        self._table = array("Q", [0]) * self._size
        self._used = 0
        for fingerprint in old:
            if fingerprint:
                self._insert(fingerprint)

    def _insert(self, fingerprint: int) -> None:
        table, size = self._table, self._size
        slot = fingerprint % size
        while table[slot]:
            slot = slot + 1 if slot + 1 < size else 0
        table[slot] = fingerprint
        self._used += 1

    def __len__(self) -> int:
        return self._used

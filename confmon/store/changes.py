"""What one store call changed, keyed so that a face redraws only what moved."""

from __future__ import annotations

import enum
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import ClassVar, Generic, TypeVar

from confmon.model import RoomKey
from confmon.store.notes import Note

MemberKey = tuple[RoomKey, str]  # (room, call_sid)
TargetKey = tuple[RoomKey, str | None]  # a member, or a whole room when call_sid is None

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class Changes:
    """What one store call changed. Each key appears in at most one of added/updated/removed."""

    rooms_added: tuple[RoomKey, ...] = ()
    rooms_updated: tuple[RoomKey, ...] = ()
    rooms_removed: tuple[RoomKey, ...] = ()
    members_added: tuple[MemberKey, ...] = ()
    members_updated: tuple[MemberKey, ...] = ()
    members_removed: tuple[MemberKey, ...] = ()
    log: tuple[Note, ...] = ()
    health_changed: bool = False

    empty: ClassVar[Changes]

    def __bool__(self) -> bool:
        return bool(
            self.rooms_added or self.rooms_updated or self.rooms_removed
            or self.members_added or self.members_updated or self.members_removed
            or self.log or self.health_changed
        )  # fmt: skip

    def __or__(self, later: Changes) -> Changes:
        """Both, as seen by a face that has applied neither: net effect per key, logs in order."""
        if not later:
            return self
        if not self:
            return later
        return Changes.join((self, later))

    @staticmethod
    def join(batch: Iterable[Changes]) -> Changes:
        """All of them, in order, as one: a burst costs one pass, not one `|` per item."""
        merged = ChangeSet()
        for changes in batch:
            if changes:
                merged.replay(changes)
        return merged.freeze()

    def rooms_touched(self) -> tuple[RoomKey, ...]:
        """Every room that was added or changed, or one of whose members was: new rooms first."""
        return tuple(
            dict.fromkeys(
                (*self.rooms_added, *self.rooms_updated, *(room for room, _ in self.members_added),
                 *(room for room, _ in self.members_updated), *(room for room, _ in self.members_removed))
            )
        )  # fmt: skip


Changes.empty = Changes()


class _Op(enum.Enum):
    ADDED = "added"
    UPDATED = "updated"
    REMOVED = "removed"


class _KeyChanges(Generic[K]):
    """Net effect per key: added+updated is added, added+removed is nothing (the face never saw it),
    removed+added is updated (the face still shows the old row)."""

    __slots__ = ("_ops",)

    def __init__(self) -> None:
        self._ops: dict[K, _Op] = {}

    def add(self, key: K) -> None:
        self._ops[key] = _Op.UPDATED if self._ops.get(key) is _Op.REMOVED else _Op.ADDED

    def update(self, key: K) -> None:
        if self._ops.get(key) is not _Op.ADDED:
            self._ops[key] = _Op.UPDATED

    def remove(self, key: K) -> None:
        if self._ops.get(key) is _Op.ADDED:
            del self._ops[key]
        else:
            self._ops[key] = _Op.REMOVED

    def replay(self, added: Iterable[K], updated: Iterable[K], removed: Iterable[K]) -> None:
        """What another Changes did to these keys, after what this one did."""
        for key in removed:
            self.remove(key)
        for key in added:
            self.add(key)
        for key in updated:
            self.update(key)

    def keys(self, op: _Op) -> tuple[K, ...]:
        return tuple(key for key, seen in self._ops.items() if seen is op)


class ChangeSet:
    """The mutable builder behind one Changes."""

    __slots__ = ("health_changed", "log", "members", "rooms")

    def __init__(self) -> None:
        self.rooms = _KeyChanges[RoomKey]()
        self.members = _KeyChanges[MemberKey]()
        self.log: list[Note] = []
        self.health_changed = False

    def replay(self, changes: Changes) -> None:
        self.rooms.replay(changes.rooms_added, changes.rooms_updated, changes.rooms_removed)
        self.members.replay(changes.members_added, changes.members_updated, changes.members_removed)
        self.log.extend(changes.log)
        self.health_changed |= changes.health_changed

    def freeze(self) -> Changes:
        return Changes(
            rooms_added=self.rooms.keys(_Op.ADDED),
            rooms_updated=self.rooms.keys(_Op.UPDATED),
            rooms_removed=self.rooms.keys(_Op.REMOVED),
            members_added=self.members.keys(_Op.ADDED),
            members_updated=self.members.keys(_Op.UPDATED),
            members_removed=self.members.keys(_Op.REMOVED),
            log=tuple(self.log),
            health_changed=self.health_changed,
        )

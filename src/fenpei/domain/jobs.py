"""Scheduled jobs (定时任务): each named job runs once per slot of its period, across any
number of processes — the slot is a row whose primary key only one of them can insert."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class JobStatus(StrEnum):
    running = "running"
    done = "done"
    failed = "failed"


@dataclass(eq=False)
class JobRun:
    """One run of a job: ``slot`` numbers its period since 1970 (slot n starts at n·every)."""

    job: str
    slot: int
    status: JobStatus
    worker: str
    started_at: datetime
    finished_at: datetime | None = None
    summary: str | None = None


def slot_of(now: datetime, every: timedelta) -> int:
    """The number of the period ``now`` falls in."""
    return (now - EPOCH) // every


def slot_start(slot: int, every: timedelta) -> datetime:
    return EPOCH + slot * every

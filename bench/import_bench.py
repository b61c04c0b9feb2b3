"""Maven import: fenpei's one-transaction batch path vs a row-at-a-time first version.
Customer file import (``fenpei import customers``, a child process): rows/s and the
child's peak memory for a small and a large generated file — flat in the file size."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from bench._databases import fresh_fenpei, kinds
from fenpei.adapters.db import tables as t
from fenpei.adapters.maven import read_maven
from fenpei.bootstrap import Fenpei
from fenpei.cli.imports import BUNDLED_MAVEN
from fenpei.domain.users import SYSTEM
from fenpei.services.maven_import import MavenData, import_maven

NAIVE_ROWS = 1000  # the naive path is slow; time a slice and compare per row


def fenpei_import(fenpei: Fenpei, data: MavenData) -> float:
    started = time.perf_counter()
    with fenpei.uow() as uow:
        import_maven(uow=uow, data=data, actor=SYSTEM, now=fenpei.now())
        uow.commit()
    return time.perf_counter() - started


def naive_import(fenpei: Fenpei, data: MavenData) -> float:
    """What a first version does: per opportunity, look the rep up and commit 2 inserts."""
    now = fenpei.now()
    started = time.perf_counter()
    with fenpei.engine.connect() as connection:
        for _, row in data.pipeline[:NAIVE_ROWS]:
            rep_id = connection.scalar(
                sa.select(t.reps.c.id).where(t.reps.c.name == row["sales_agent"])
            )
            customer_id = connection.scalar(
                sa.insert(t.customers)
                .values(
                    name=f"{row['account']} · {row['product']}",
                    external_id=f"naive:{row['opportunity_id']}",
                    owner_id=rep_id,
                    stage="new",
                    tags=[],
                    custom={},
                    created_at=now,
                    updated_at=now,
                )
                .returning(t.customers.c.id)
            )
            connection.execute(
                sa.insert(t.assignments).values(
                    customer_id=customer_id,
                    to_rep_id=rep_id,
                    method="import",
                    at=now,
                    actor="bench",
                    explanation={},
                    capacity_override=False,
                )
            )
            connection.commit()
    return time.perf_counter() - started


FILE_SIZES = (20_000, 100_000)
MILLION = 1_000_000  # PostgreSQL only, import only: the size a big CRM migration has
ROUTED_SIZES = (2_000, 10_000)  # routing costs ~ms per customer: smaller files
FENPEI = str(Path(sys.executable).with_name("fenpei"))


def write_leads(path: Path, rows: int) -> None:
    with path.open("w") as out:
        out.write("name,phone,email,region,level,external_id\n")
        for n in range(rows):
            out.write(f"Lead {n},138{n:08d},lead{n}@example.com,East,A,bench-{path.stem}-{n}\n")


# A small Python between the bench and fenpei: a child's peak RSS counts the memory of the
# process it was forked from, so fenpei forked from this bench (holding the Maven data)
# would report the bench's size, not its own.
_LAUNCHER = """
import os, resource, subprocess, sys
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)
"""


def import_file(url: str, path: Path, *, route: bool) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of ``fenpei import customers`` as a child process."""
    args = [FENPEI, "import", "customers", str(path)] + ([] if route else ["--no-route"])
    env = {**os.environ, "FENPEI_DATABASE_URL": url}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, *args], env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    code, peak_kib = (int(word) for word in done.stdout.split())
    if code != 0:
        raise RuntimeError(f"import failed: {done.stderr}")
    return seconds, peak_kib / 1024  # ru_maxrss is in KiB on Linux


def run_files() -> None:
    print("\n== Customer file import (child process: start-up included; peak RSS) ==")
    for kind in kinds():
        with fresh_fenpei(kind) as fenpei, tempfile.TemporaryDirectory() as folder:
            url = fenpei.engine.url.render_as_string(hide_password=False)
            fenpei.close()
            for route, sizes in ((False, FILE_SIZES), (True, ROUTED_SIZES)):
                for rows in sizes:
                    path = Path(folder) / f"leads-{rows}-{route}.csv"
                    write_leads(path, rows)
                    seconds, peak = import_file(url, path, route=route)
                    what = "import + route" if route else "import only"
                    _report(kind, what, rows, seconds, peak)
            if kind == "postgres":
                path = Path(folder) / "leads-million.csv"
                write_leads(path, MILLION)
                seconds, peak = import_file(url, path, route=False)
                _report(kind, "import only", MILLION, seconds, peak)


def _report(kind: str, what: str, rows: int, seconds: float, peak: float) -> None:
    print(
        f"  {kind:8} {what:14} {rows:9,} rows {rows / seconds:7.0f} rows/s | "
        f"peak RSS {peak:6.0f} MB"
    )


def run() -> None:
    run_maven()
    run_files()


def run_maven() -> None:
    print("\n== Maven import (8,800 opportunities) ==")
    data = read_maven(BUNDLED_MAVEN)
    rows = len(data.pipeline)
    for kind in kinds():
        with fresh_fenpei(kind) as fenpei:
            ours = fenpei_import(fenpei, data)  # also creates the reps the naive path needs
            naive = naive_import(fenpei, data)
            fenpei.close()
        ours_per_row = ours / rows
        naive_per_row = naive / NAIVE_ROWS
        print(
            f"  {kind:8} fenpei {rows / ours:8.0f} rows/s | naive row-at-a-time "
            f"{NAIVE_ROWS / naive:7.0f} rows/s | fenpei is {naive_per_row / ours_per_row:5.1f}x "
            "faster per row"
        )

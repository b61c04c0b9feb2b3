"""Export of up to 1,000,000 customers (SQLite) to CSV and Excel: rows per second and the
peak memory each export added (RSS high-water mark over the RSS before it, in a child
process per measurement), at 100k, 300k and 1M rows — flat in the row count — against a
naive export measured in the same run — the same rows and words, but every row loaded at
once and the whole file built in memory (CSV as one string, openpyxl's normal workbook) —
at the two smaller sizes only. Excel is measured at 10k, 30k and 100k rows: XlsxWriter
writes a few thousand rows a second, so a million would take minutes on its own.

``python -m bench --only export``; ``FENPEI_EXPORT_BENCH_ROWS=200000`` for a quicker run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from fenpei.adapters.db import tables as t
from fenpei.adapters.db.migrate import upgrade
from fenpei.adapters.exports.csv_file import csv_chunks
from fenpei.bootstrap import bootstrap
from fenpei.config import Language, Settings
from fenpei.domain.users import SYSTEM
from fenpei.services.categories import ensure_default_categories
from fenpei.services.exports.kinds import ExportFormat, ExportKind
from fenpei.services.exports.service import Export
from fenpei.services.ports import CustomerQuery

START = datetime(2026, 1, 1, tzinfo=UTC)
SIZES = {"csv": (100_000, 300_000, 1_000_000), "xlsx": (10_000, 30_000, 100_000)}
# XlsxWriter writes some 2,500-5,000 rows a second on these shared machines: 1M rows would
# take four to seven minutes alone (FENPEI_EXPORT_BENCH_XLSX_ROWS=1000000 measures it).
NAIVE_SIZES = {"csv": (100_000, 300_000), "xlsx": (10_000, 30_000)}
REPS = 50
CHUNK = 50_000


def _rss_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


_GENERATE = """
INSERT INTO customers (name, company_name, region, level, stage, score, grade, owner_id,
                       tags, custom, key_account, created_at, updated_at, assigned_at)
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < :rows)
SELECT CASE WHEN i % 10 = 0 THEN '=客户' || i || '+1' ELSE '客户 ' || i END,
       '公司 ' || (i % 997),
       CASE i % 3 WHEN 0 THEN 'East' WHEN 1 THEN 'West' ELSE 'North' END,
       CASE i % 3 WHEN 0 THEN 'A' WHEN 1 THEN 'B' ELSE 'C' END,
       CASE i % 5 WHEN 0 THEN 'new' WHEN 1 THEN 'contacted' WHEN 2 THEN 'qualified'
                  WHEN 3 THEN 'won' ELSE 'lost' END,
       (i % 1000) / 10.0,
       CASE i % 4 WHEN 0 THEN 'A' WHEN 1 THEN 'B' WHEN 2 THEN 'C' ELSE 'D' END,
       CASE WHEN i % 7 = 0 THEN NULL ELSE 1 + i % :reps END,
       '[]', '{}', 0,
       datetime('2026-01-01 00:00:00', '+' || i || ' seconds') || '.000000',
       '2026-01-01 00:00:00.000000',
       CASE WHEN i % 7 = 0 THEN NULL
            ELSE datetime('2026-01-01 00:00:00', '+' || i || ' seconds') || '.000000' END
FROM n
"""


def build(url: str, rows: int) -> None:
    """A migrated SQLite database with ``REPS`` reps (ids 1…REPS) and ``rows`` customers,
    one a second from START (so "created before START + n seconds" is exactly n
    customers); one name in ten looks like a formula, one customer in seven is unowned."""
    fenpei = bootstrap(Settings(database_url=url))
    upgrade(fenpei.engine)
    with fenpei.uow() as uow:
        ensure_default_categories(uow=uow, actor=SYSTEM, now=START)
        uow.commit()
    with fenpei.engine.begin() as connection:
        connection.execute(
            sa.insert(t.reps),
            [{"name": f"销售 {n}", "active": True, "created_at": START, "updated_at": START}
             for n in range(REPS)],
        )  # fmt: skip
        # One INSERT … SELECT over a recursive CTE: a million rows in seconds, not minutes.
        connection.exec_driver_sql(_GENERATE, {"rows": rows, "reps": REPS})
    fenpei.close()


def child(url: str, how: str, fmt: str, rows: int) -> None:
    """One measured export in this process: prints seconds and the RSS it added (MiB)."""
    from fenpei.adapters.exports import encode
    from fenpei.services.exports.service import BATCH, ExportRequest, start_export
    from fenpei.web._export_words import export_words

    fenpei = bootstrap(Settings(database_url=url))
    query = CustomerQuery(created_to=START + timedelta(seconds=rows))
    with fenpei.uow(read_only=True) as uow:
        words = export_words(uow, Language.zh_cn, fenpei.settings.zone)
    before = _rss_kib("VmRSS")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / f"out.{fmt}"
        export = start_export(
            uows=fenpei.uow, actor=SYSTEM, now=fenpei.now(), reps_default=False, words=words,
            request=ExportRequest(kind=ExportKind.customers, fmt=ExportFormat(fmt), query=query),
            batch_size=BATCH if how == "streamed" else rows + 1,
        )  # fmt: skip
        if how == "streamed":
            chunks = encode(export.fmt, sheet=export.sheet, headers=export.headers,
                            batches=export.batches)  # fmt: skip
            with out.open("wb") as file:
                for chunk in chunks:
                    file.write(chunk)
        else:
            naive(export, fmt, out)
        written = export.rows
    seconds = time.perf_counter() - started
    grown = (_rss_kib("VmHWM") - before) / 1024
    print(json.dumps({"seconds": seconds, "mib": grown, "rows": written}))


def naive(export: Export, fmt: str, out: Path) -> None:
    """What a first version does with the same rows and words: every row loaded in one
    read (one batch), then the whole file built in memory and written at once (CSV joined
    into one string; Excel through openpyxl's normal, in-memory workbook)."""
    import openpyxl

    from fenpei.adapters.exports.cells import safe_cell

    (rows,) = list(export.batches)
    if fmt == "csv":
        out.write_bytes(b"".join(csv_chunks(export.headers, [rows])))
        return
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(export.headers)
    for row in rows:
        sheet.append([safe_cell(value) for value in row])
    workbook.save(out)


def _measure(url: str, how: str, fmt: str, rows: int) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.export_bench", "--child", url, how, fmt, str(rows)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run() -> None:
    largest = int(os.environ.get("FENPEI_EXPORT_BENCH_ROWS", SIZES["csv"][-1]))
    xlsx_largest = int(os.environ.get("FENPEI_EXPORT_BENCH_XLSX_ROWS", SIZES["xlsx"][-1]))
    sizes = {
        "csv": [n for n in SIZES["csv"] if n <= largest] or [largest],
        "xlsx": sorted({*(n for n in SIZES["xlsx"] if n <= xlsx_largest), xlsx_largest}),
    }
    rows = max(max(sizes["csv"]), max(sizes["xlsx"]))
    print("\nexport: customers to CSV and Excel (SQLite), streamed vs load-all-then-write")
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'export.db'}"
        started = time.perf_counter()
        build(url, rows)
        print(f"  built {rows:,} customers in {time.perf_counter() - started:.1f}s")
        for fmt in ("csv", "xlsx"):
            streamed = {n: _measure(url, "streamed", fmt, n) for n in sizes[fmt]}
            baseline = {n: _measure(url, "naive", fmt, n) for n in NAIVE_SIZES[fmt]}
            for n, s in streamed.items():
                assert s["rows"] == n, (fmt, n, s)
                print(_line(fmt, n, s, baseline.get(n)))
            small, large = sizes[fmt][0], sizes[fmt][-1]
            grew = streamed[large]["mib"] / max(streamed[small]["mib"], 0.1)
            n0, n1 = NAIVE_SIZES[fmt]
            naive_grew = baseline[n1]["mib"] / max(baseline[n0]["mib"], 0.1)
            print(
                f"  {fmt}: peak memory at {large:,} / at {small:,} rows: {grew:.2f}x for "
                f"{large / small:.0f}x the rows (naive at {n1:,} / at {n0:,}: {naive_grew:.2f}x)"
            )


def _line(fmt: str, n: int, s: dict[str, float], b: dict[str, float] | None) -> str:
    line = (
        f"  {fmt:4} {n:>9,} rows: streamed {n / s['seconds']:>7,.0f} rows/s, +{s['mib']:6.1f} MiB"
    )
    if b is None:
        return line
    return line + (
        f" | naive {n / b['seconds']:>7,.0f} rows/s, +{b['mib']:6.1f} MiB"
        f" | memory naive/streamed {b['mib'] / max(s['mib'], 0.1):5.1f}x,"
        f" time naive/streamed {b['seconds'] / s['seconds']:4.2f}x"
    )


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    else:
        run()

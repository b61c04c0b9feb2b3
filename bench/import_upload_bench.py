"""Import in the browser: the preview's check of a whole file (every bad row kept, for the
count and the error file) and the worker's skip-bad-rows import, against the command
line's all-or-nothing check and import of the same good rows, measured in the same run
(ratios: how much the browser path costs over the CLI path)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from tests._import_files import MAPPING, gbk_leads

from bench._databases import fresh_fenpei, kinds
from fenpei.adapters.files import tabular
from fenpei.bootstrap import Fenpei
from fenpei.domain.import_uploads import ImportMode
from fenpei.domain.users import SYSTEM
from fenpei.services import import_jobs as jobs
from fenpei.services._import_columns import resolve_columns
from fenpei.services.imports import running, uploads
from fenpei.services.imports.checking import check_rows

ROWS = 20_000
BAD = ROWS // 20  # 5 % bad rows


def _cli_path(fenpei: Fenpei, data: bytes) -> tuple[float, float]:
    """The CLI's check and write (no routing) of the good rows only: seconds each."""
    good = gbk_leads(good=ROWS - BAD, bad=0, name="good.csv").data
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "good.csv"
        path.write_bytes(good)
        table = tabular.open_table(path, "good.csv")
        checked = float("inf")
        for _ in range(2):  # the faster of two: the first also warms the caches
            started = time.perf_counter()
            with fenpei.uow() as uow:
                jobs.check_file(uow, table, now=fenpei.now(), mapping=MAPPING)
            checked = min(checked, time.perf_counter() - started)
        with fenpei.uow() as uow:
            job = jobs.start_job(
                uow, table, sha256=table.sha256, actor=SYSTEM, now=fenpei.now(), route=False
            )
            uow.commit()
        started = time.perf_counter()
        jobs.write_rows(
            uow_factory=fenpei.uow,
            table=table,
            job=job,
            actor=SYSTEM,
            now=fenpei.now,
            mapping=MAPPING,
        )
        return checked, time.perf_counter() - started


def _browser_path(fenpei: Fenpei, data: bytes) -> tuple[float, float]:
    """The preview's whole-file check, then the worker's skip import: seconds each."""
    with fenpei.uow() as uow:
        upload = uploads.receive(
            uow=uow,
            files=fenpei.table_files,
            name="leads.csv",
            data=data,
            actor=SYSTEM,
            now=fenpei.now(),
            max_bytes=len(data),
        )
        uow.commit()
    assert upload.id is not None
    started = time.perf_counter()
    with fenpei.uow() as uow, fenpei.table_files.open("leads.csv", data, sheet=None) as (t, _):
        custom = uow.custom_fields.all()
        check = check_rows(
            uow,
            t,
            resolve_columns(t.headers, MAPPING, custom),
            zone=fenpei.settings.zone,
            custom_fields=custom,
        )
    previewed = time.perf_counter() - started
    assert check.bad_rows == BAD
    with fenpei.uow() as uow:
        uploads.start(
            uow=uow,
            upload_id=upload.id,
            mapping=MAPPING,
            source=None,
            mode=ImportMode.skip_bad_rows,
            route=False,
            actor=SYSTEM,
            now=fenpei.now(),
        )
        uow.commit()
    started = time.perf_counter()
    running.run_waiting(
        uow_factory=fenpei.uow,
        files=fenpei.table_files,
        rulebook=fenpei.rulebook,
        now=fenpei.now,
        rng=fenpei.rng,
    )
    return previewed, time.perf_counter() - started


def run() -> None:
    print(f"\nImport in the browser: {ROWS:,} GBK rows, {BAD:,} bad (5 %)")
    data = gbk_leads(good=ROWS - BAD, bad=BAD).data
    for kind in kinds():
        with fresh_fenpei(kind) as fenpei:
            cli_check, cli_write = _cli_path(fenpei, data)
        with fresh_fenpei(kind) as fenpei:
            preview, worker = _browser_path(fenpei, data)
        print(
            f"  {kind:8} CLI check {ROWS / cli_check:8,.0f} rows/s · preview (every bad row "
            f"kept) {ROWS / preview:8,.0f} rows/s = {cli_check / preview:.2f}x the CLI check"
        )
        print(
            f"  {kind:8} CLI write {(ROWS - BAD) / cli_write:8,.0f} rows/s · worker import "
            f"(check, error file, write) {ROWS / worker:8,.0f} rows/s = "
            f"{(cli_check + cli_write) / worker:.2f}x the CLI check + write"
        )


if __name__ == "__main__":
    run()

"""Import from the browser and the API, the services and the worker on SQLite and
PostgreSQL: skip mode writes exactly the good rows and an error file of exactly the bad
ones; all-or-nothing writes nothing; a remembered mapping is reused; a big file is
written in batches with progress; a worker that died is taken over; hostile files are
refused with a clear error and nothing is written."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import openpyxl
import pytest
import sqlalchemy as sa

from fenpei.adapters.db import tables
from fenpei.bootstrap import Fenpei
from fenpei.domain.errors import ValidationFailed
from fenpei.domain.import_uploads import ImportMode, UploadState
from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.services.import_jobs import BATCH_ROWS
from fenpei.services.imports import mapping as mappings
from fenpei.services.imports import running, uploads
from fenpei.services.imports.uploads import Progress
from tests._import_files import MAPPING, ImportFile, gbk_leads, hostile_files, xlsx_leads
from tests.fakes import FixedClock


def _count(app: Fenpei, table: sa.Table) -> int:
    with app.engine.connect() as connection:
        return int(connection.scalar(sa.select(sa.func.count()).select_from(table)) or 0)


def _names(app: Fenpei) -> list[str]:
    with app.engine.connect() as connection:
        query = sa.select(tables.customers.c.name).order_by(tables.customers.c.id)
        return list(connection.scalars(query))


def _queue(
    app: Fenpei,
    file: ImportFile,
    mode: ImportMode,
    *,
    source: str | None = None,
    mapping: dict[str, str | None] | None = None,
    route: bool = True,
) -> int:
    with app.uow() as uow:
        upload = uploads.receive(
            uow=uow,
            files=app.table_files,
            name=file.name,
            data=file.data,
            actor=SYSTEM,
            now=app.now(),
            max_bytes=app.settings.max_upload_bytes,
        )
        assert upload.id is not None
        uploads.start(
            uow=uow,
            upload_id=upload.id,
            mapping=MAPPING if mapping is None else mapping,
            source=source,
            mode=mode,
            route=route,
            actor=SYSTEM,
            now=app.now(),
        )
        uow.commit()
    return upload.id


def _run(app: Fenpei) -> int:
    return running.run_waiting(
        uow_factory=app.uow, files=app.table_files, rulebook=app.rulebook, now=app.now, rng=app.rng
    )


def _progress(app: Fenpei, upload_id: int) -> Progress:
    with app.uow() as uow:
        return uploads.progress(uow, upload_id, SYSTEM)


def test_skip_mode_writes_exactly_the_good_rows_and_the_error_file_holds_the_bad(
    app: Fenpei,
) -> None:
    before = _names(app)
    file = gbk_leads(good=20, bad=4)
    upload_id = _queue(app, file, ImportMode.skip_bad_rows)

    assert _run(app) == 1

    assert _names(app)[len(before) :] == file.good_names
    done = _progress(app, upload_id)
    assert done.upload.state is UploadState.done and done.upload.bad_rows == 4
    assert (done.rows_done, done.rows_total) == (20, 20)
    assert done.job is not None and done.job.rows_routed == 20
    with app.uow() as uow:
        name, data = uploads.error_file(uow, upload_id, SYSTEM, now=app.now())
        uow.commit()
        assert uow.import_uploads.get(upload_id) is not None
    assert name == "展会线索-errors.csv"
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert [r[1] for r in rows[1:]] == file.bad_names
    assert [r[-1].split(".")[0] for r in rows[1:]] == [f"row {n}" for n in file.bad_lines]
    with app.uow() as uow:
        kept = uow.import_uploads.get(upload_id)
    assert kept is not None and kept.data == b""  # the upload's bytes are gone once it ended


def test_all_or_nothing_with_bad_rows_writes_nothing_and_lists_them(app: Fenpei) -> None:
    before = _count(app, tables.customers)
    file = gbk_leads(good=6, bad=2)
    upload_id = _queue(app, file, ImportMode.all_or_nothing)

    _run(app)

    assert _count(app, tables.customers) == before
    assert _count(app, tables.import_jobs) == 0
    failed = _progress(app, upload_id)
    assert failed.upload.state is UploadState.failed
    assert [e["field"] for e in failed.upload.errors] == [f"row {n}.phone" for n in file.bad_lines]
    assert failed.upload.note == "2 of 8 rows have problems; nothing was imported"


def test_a_clean_file_all_or_nothing_imports_every_row_unrouted_when_asked(app: Fenpei) -> None:
    file = gbk_leads(good=5, bad=0)
    upload_id = _queue(app, file, ImportMode.all_or_nothing, route=False)
    _run(app)
    done = _progress(app, upload_id)
    assert done.upload.state is UploadState.done and not done.has_error_file
    with app.engine.connect() as connection:
        owners = connection.scalars(
            sa.select(tables.customers.c.owner_id).where(
                tables.customers.c.name.in_(file.good_names)
            )
        ).all()
    assert owners == [None] * 5


def test_a_remembered_mapping_is_offered_for_the_source_and_the_same_layout(app: Fenpei) -> None:
    file = gbk_leads(good=2, bad=0)
    headers = list(MAPPING)
    with app.uow() as uow:
        guessed, remembered = mappings.suggest(uow, headers, source=None)
    assert remembered is None and guessed["联系人"] is None

    _queue(app, file, ImportMode.all_or_nothing, source="展会 2026")

    with app.uow() as uow:
        by_source, key = mappings.suggest(uow, headers, source="展会 2026")
        by_layout, layout_key = mappings.suggest(uow, list(reversed(headers)), source=None)
    assert key == "展会 2026" and by_source == MAPPING
    assert layout_key == mappings.header_signature(headers) and by_layout["联系人"] == "name"


def test_a_big_file_is_written_in_batches_and_its_progress_reaches_the_total(
    app: Fenpei,
) -> None:
    rows = 2 * BATCH_ROWS + 10
    file = gbk_leads(good=rows, bad=0, name="big.csv")
    upload_id = _queue(app, file, ImportMode.all_or_nothing, route=False)
    _run(app)
    done = _progress(app, upload_id)
    assert (done.rows_done, done.rows_total, done.percent) == (rows, rows, 100)
    assert done.job is not None and done.job.last_row == rows + 1


def test_a_worker_that_died_is_taken_over_after_its_claim_went_stale(
    app: Fenpei, clock: FixedClock
) -> None:
    file = gbk_leads(good=3, bad=0)
    upload_id = _queue(app, file, ImportMode.all_or_nothing)
    with app.uow() as uow:  # a worker claims it, then dies before writing anything
        assert uow.import_uploads.claim(upload_id, now=app.now(), stale_before=app.now())
        uow.commit()

    assert _run(app) == 0  # still held
    clock.advance(running.STALE_AFTER + timedelta(seconds=1))
    assert _run(app) == 1
    assert _progress(app, upload_id).upload.state is UploadState.done
    assert set(file.good_names) <= set(_names(app))


def test_a_rep_may_not_upload(app: Fenpei) -> None:
    file = gbk_leads(good=1, bad=0)
    with app.uow() as uow, pytest.raises(Exception, match="only an admin or a manager"):
        uploads.receive(
            uow=uow,
            files=app.table_files,
            name=file.name,
            data=file.data,
            actor=Actor("rep", Role.rep),
            now=app.now(),
            max_bytes=10**6,
        )


ONE_ROW = {"姓名": "王伟", "手机": "13800138000", "邮箱": "wang@example.cn"}


@pytest.mark.parametrize("kind", sorted(hostile_files(ONE_ROW)))
def test_a_hostile_file_is_refused_with_a_clear_error_and_nothing_is_written(
    app: Fenpei, kind: str
) -> None:
    name, data = hostile_files(ONE_ROW)[kind]
    customers, jobs = _count(app, tables.customers), _count(app, tables.import_jobs)
    try:
        with app.uow() as uow:
            upload = uploads.receive(
                uow=uow,
                files=app.table_files,
                name=name,
                data=data,
                actor=SYSTEM,
                now=app.now(),
                max_bytes=10**6,
            )
            assert upload.id is not None
            uploads.start(
                uow=uow,
                upload_id=upload.id,
                mapping={},
                source=None,
                mode=ImportMode.all_or_nothing,
                route=True,
                actor=SYSTEM,
                now=app.now(),
            )
            uow.commit()
    except ValidationFailed as refused:
        assert refused.errors and all(e.field and e.message for e in refused.errors)
        assert _count(app, tables.import_uploads) == 0
    else:
        _run(app)
        failed = _progress(app, upload.id)
        assert failed.upload.state is UploadState.failed, kind
        assert failed.upload.errors and failed.upload.errors[0]["field"].startswith("row ")
    assert (_count(app, tables.customers), _count(app, tables.import_jobs)) == (customers, jobs)


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(app: Fenpei) -> None:
    file = gbk_leads(good=50, bad=0)
    with app.uow() as uow, pytest.raises(ValidationFailed, match="at most 1,024 bytes"):
        uploads.receive(
            uow=uow,
            files=app.table_files,
            name=file.name,
            data=file.data,
            actor=SYSTEM,
            now=app.now(),
            max_bytes=1024,
        )


def test_a_draft_never_imported_is_dropped_after_a_day(app: Fenpei, clock: FixedClock) -> None:
    file = gbk_leads(good=1, bad=0)
    with app.uow() as uow:
        uploads.receive(
            uow=uow,
            files=app.table_files,
            name=file.name,
            data=file.data,
            actor=SYSTEM,
            now=app.now(),
            max_bytes=10**6,
        )
        uow.commit()
    _run(app)
    assert _count(app, tables.import_uploads) == 1
    clock.advance(running.DRAFTS_KEPT + timedelta(seconds=1))
    _run(app)
    assert _count(app, tables.import_uploads) == 0


def test_the_error_file_fixed_and_uploaded_again_imports_the_rest(app: Fenpei) -> None:
    file = gbk_leads(good=5, bad=2)
    first = _queue(app, file, ImportMode.skip_bad_rows, source="展会")
    _run(app)
    with app.uow() as uow:
        _, data = uploads.error_file(uow, first, SYSTEM, now=app.now())
        uow.commit()  # the download's audit entry
    fixed = data.replace(b"12ab", b"13912345678")
    second = _queue(app, ImportFile("fixed.csv", fixed), ImportMode.all_or_nothing, source="展会")
    _run(app)
    done = _progress(app, second)
    assert done.upload.state is UploadState.done and done.rows_done == 2
    assert set(file.good_names + file.bad_names) <= set(_names(app))
    with app.engine.connect() as connection:
        actions = list(connection.scalars(sa.select(tables.audit_log.c.action)))
    assert {"import.queued", "import.error_file", "import"} <= set(actions)


def test_a_workbook_whose_first_sheet_is_a_cover_is_read_from_its_table_sheet(
    app: Fenpei,
) -> None:
    file = xlsx_leads(good=3, bad=1)
    upload_id = _queue(app, file, ImportMode.skip_bad_rows)
    with app.uow() as uow:
        upload = uow.import_uploads.get(upload_id)
    assert upload is not None and upload.sheet == "线索" and upload.sheets == ["说明", "线索"]
    _run(app)
    with app.uow() as uow:
        name, data = uploads.error_file(uow, upload_id, SYSTEM, now=app.now())
    assert name == "leads-errors.xlsx"
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert [r[1] for r in rows[1:]] == file.bad_names

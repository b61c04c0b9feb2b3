"""Backups of the whole database and the attachment files: a snapshot (SQLite's online
backup API, or ``pg_dump -Fc``) in one ``.tar.gz`` with a ``manifest.json`` that lets a
restore verify every table, row for row (see ``services/backups``)."""

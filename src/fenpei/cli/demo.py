"""`fenpei serve --demo`: a fresh SQLite file with the Maven CRM data and an admin user."""

from __future__ import annotations

import secrets
from pathlib import Path

from rich.panel import Panel
from rich.progress import Progress

from fenpei.adapters.db.migrate import upgrade
from fenpei.adapters.maven import read_maven
from fenpei.bootstrap import Fenpei, bootstrap
from fenpei.cli._common import console
from fenpei.cli.imports import BUNDLED_MAVEN, print_maven_summary
from fenpei.config import Mode, Settings
from fenpei.domain.users import SYSTEM, Role
from fenpei.services.categories import ensure_default_categories
from fenpei.services.maven_import import import_maven
from fenpei.services.maven_rules import create_maven_rules
from fenpei.services.users import create_user, one_time_password

DEMO_DB = Path("fenpei-demo.db")


def prepare_demo(db_file: Path = DEMO_DB) -> Fenpei:
    """Start over on ``db_file``: migrate, import the bundled Maven data, create an admin."""
    for stale in (db_file, Path(f"{db_file}-wal"), Path(f"{db_file}-shm")):
        stale.unlink(missing_ok=True)
    # A fresh random key per demo: the default key is public, so cookies signed with it
    # could be forged by anyone who can reach the server.
    settings = Settings(
        mode=Mode.demo, database_url=f"sqlite:///{db_file}", secret_key=secrets.token_urlsafe(32)
    )
    fenpei = bootstrap(settings)
    upgrade(fenpei.engine)
    password = one_time_password()
    with fenpei.uow() as uow, Progress(console=console, transient=True) as bar:
        ensure_default_categories(uow=uow, actor=SYSTEM, now=fenpei.now())
        data = read_maven(BUNDLED_MAVEN)
        task = bar.add_task("Importing Maven CRM", total=len(data.pipeline))
        summary = import_maven(
            uow=uow,
            data=data,
            actor=SYSTEM,
            now=fenpei.now(),
            progress=lambda done, total: bar.update(task, completed=done),
        )
        rules = create_maven_rules(uow=uow, actor=SYSTEM, now=fenpei.now())
        create_user(
            uow=uow,
            hasher=fenpei.hasher,
            username="admin",
            password=password,
            role=Role.admin,
            actor=SYSTEM,
            now=fenpei.now(),
            display_name="Admin",
            must_change_password=True,
        )
        uow.commit()
    print_maven_summary(summary)
    console.print(f"{len(rules)} routing rules by office and sector (fenpei rules list)")
    console.print(
        Panel(
            f"user [bold]admin[/bold]  password [bold]{password}[/bold]\n"
            f"(shown once; the demo database is {db_file.resolve()})",
            title="Demo login",
        )
    )
    return fenpei

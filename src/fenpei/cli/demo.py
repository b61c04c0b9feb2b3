"""`fenpei serve --demo`: the Maven CRM data and an admin user, in a database the command
line can reach too — FENPEI_DATABASE_URL when it is set (it must be empty), otherwise a
fresh SQLite file whose URL is printed."""

from __future__ import annotations

import secrets
import shlex
from pathlib import Path

from rich.panel import Panel
from rich.progress import Progress
from rich.text import Text

from fenpei.adapters.db.migrate import upgrade
from fenpei.bootstrap import Fenpei, bootstrap
from fenpei.cli._common import console, database_revisions, load_settings, shown_url
from fenpei.cli._errors import CannotRun
from fenpei.cli.imports import BUNDLED_MAVEN, print_maven_summary, read_maven_directory
from fenpei.config import Mode, Settings
from fenpei.domain.errors import ValidationFailed
from fenpei.domain.users import SYSTEM, Role
from fenpei.services.categories import ensure_default_categories
from fenpei.services.maven_import import import_maven
from fenpei.services.maven_rules import create_maven_rules
from fenpei.services.maven_scoring import create_maven_scorecard
from fenpei.services.scoring.rescore import rescore_stale
from fenpei.services.scoring.training import LEARNED_KINDS, train_model
from fenpei.services.users import create_user, one_time_password

DEMO_DB = Path("fenpei-demo.db")


def _demo_settings(db_file: Path) -> tuple[Settings, str]:
    """The demo's settings, and how to reach its database from the command line."""
    # A fresh random key per demo: the default key is public, so cookies signed with it
    # could be forged by anyone who can reach the server.
    settings = load_settings(mode=Mode.demo, secret_key=secrets.token_urlsafe(32))
    if "database_url" in settings.model_fields_set:  # FENPEI_DATABASE_URL is set
        return settings, "fenpei customers list (with FENPEI_DATABASE_URL set as it is now)"
    for stale in (db_file, Path(f"{db_file}-wal"), Path(f"{db_file}-shm")):
        stale.unlink(missing_ok=True)
    url = f"sqlite:///{db_file.resolve()}"
    settings = settings.model_copy(update={"database_url": url})
    return settings, f"FENPEI_DATABASE_URL={shlex.quote(url)} fenpei customers list"


def prepare_demo(db_file: Path = DEMO_DB) -> Fenpei:
    """Migrate, import the bundled Maven data, create an admin: into the empty database
    FENPEI_DATABASE_URL names, or else into ``db_file``, started over."""
    settings, command_line = _demo_settings(db_file)
    fenpei = bootstrap(settings)
    try:
        if database_revisions(fenpei.engine):
            raise CannotRun(
                f"the database at {shown_url(fenpei.engine)} already has a fenpei schema: "
                "serve it with `fenpei serve`, or set FENPEI_DATABASE_URL to an empty "
                "database (or unset it) for a fresh demo"
            )
        _load_demo(fenpei)
    except BaseException:
        fenpei.close()
        raise
    console.print(f"The demo database is {shown_url(fenpei.engine)}; from the command line:")
    console.print(Text(f"  {command_line}", style="bold"), soft_wrap=True)
    return fenpei


def _train_demo_models(fenpei: Fenpei) -> None:
    """The learned score and rep affinity, trained on the Maven history and active, and
    every customer scored with them and the demo scorecard: the scoring page and the
    customers' grades have something to show, and predicted_conversion a model to use."""
    with Progress(console=console, transient=True) as bar:
        step = bar.add_task("Training models on the Maven history", total=None)
        for kind in LEARNED_KINDS:
            bar.update(step, description=f"Training the {kind.value} model")
            with fenpei.uow() as uow:
                try:
                    trained = train_model(
                        uow=uow, kind=kind, actor=SYSTEM, now=fenpei.now(), activate=True
                    )
                except ValidationFailed as too_little:  # a cut-down data set
                    console.print(f"no {kind.value} model: {too_little}")
                    continue
                uow.commit()
            auc = trained.metrics.get("auc")
            console.print(f"{kind.value} model v{trained.version} active (held-out AUC {auc:.3f})")
        bar.update(step, description="Scoring the customers")
        looked, _ = rescore_stale(uow_factory=fenpei.uow, now=fenpei.now)
    console.print(f"{looked} customers scored and graded (fenpei model list)")


def _load_demo(fenpei: Fenpei) -> None:
    upgrade(fenpei.engine)
    password = one_time_password()
    with fenpei.uow() as uow, Progress(console=console, transient=True) as bar:
        ensure_default_categories(uow=uow, actor=SYSTEM, now=fenpei.now())
        data = read_maven_directory(BUNDLED_MAVEN)
        task = bar.add_task("Importing Maven CRM", total=len(data.pipeline))
        summary = import_maven(
            uow=uow,
            data=data,
            actor=SYSTEM,
            now=fenpei.now(),
            progress=lambda done, total: bar.update(task, completed=done),
        )
        rules = create_maven_rules(uow=uow, actor=SYSTEM, now=fenpei.now())
        create_maven_scorecard(uow=uow, actor=SYSTEM, now=fenpei.now())
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
    _train_demo_models(fenpei)
    login = Text.assemble(
        "user ", ("admin", "bold"), "  password ", (password, "bold"), "\n(shown once)"
    )
    console.print(Panel(login, title="Demo login"))

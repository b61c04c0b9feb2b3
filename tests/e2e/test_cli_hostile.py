"""The command line never shows a traceback. Every command that takes a file or a folder is
found by walking the command tree, so a command added later is covered without touching
this test; each is given hostile paths and must answer one line naming the argument, with
exit code 2. Also: user data is never read as rich markup, a database without the schema
says to upgrade it, and `serve` refuses to expose the public default secret."""

from __future__ import annotations

import os
import shutil
import signal
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
import sqlalchemy as sa
import typer
import typer.main
import uvicorn
from typer.testing import CliRunner, Result

from fenpei.adapters.db.migrate import upgrade
from fenpei.bootstrap import bootstrap
from fenpei.cli import _files
from fenpei.cli._common import console
from fenpei.cli.main import app
from fenpei.cli.serve import is_loopback
from fenpei.config import Settings
from fenpei.domain.errors import ValidationFailed
from tests.conftest import MAVEN_DIR

runner = CliRunner()
SMALL_BOUND = 1_000  # MAX_FILE_BYTES while the oversize file is tried


@dataclass(frozen=True)
class Command:
    """A leaf command of the app, with what it needs to be invoked."""

    words: tuple[str, ...]
    callback: Any
    params: tuple[Any, ...]

    @property
    def hints(self) -> dict[str, Any]:
        return typing.get_type_hints(self.callback)

    def takes_path(self, param: Any) -> bool:
        hint = self.hints.get(param.name)
        return Path in (hint, *typing.get_args(hint))

    def args(self, *, fill: dict[str, str]) -> list[str]:
        """The words to run it: ``fill`` values for the named parameters, a plain value
        for every other argument and required option."""
        args = list(self.words)
        for param in self.params:
            is_option = param.opts[0].startswith("-")
            if param.name not in fill and is_option and not param.required:
                continue
            value = fill.get(param.name, "1" if self.hints.get(param.name) is int else "name=1")
            args += [param.opts[0], value] if is_option else [value]
        return args


def commands() -> list[Command]:
    """Every leaf command of the app, read from the click command tree."""
    found: list[Command] = []

    def walk(command: Any, words: tuple[str, ...]) -> None:
        if hasattr(command, "commands"):
            for name, child in sorted(command.commands.items()):
                walk(child, (*words, name))
        else:
            found.append(Command(words, command.callback, tuple(command.params)))

    walk(typer.main.get_command(app), ())
    return found


@dataclass(frozen=True)
class PathParameter:
    command: Command
    name: str
    shown: str  # how errors name it: FILE, DIRECTORY, --file

    def args(self, value: str) -> list[str]:
        return self.command.args(fill={self.name: value})


def path_parameters() -> list[PathParameter]:
    return [
        PathParameter(
            command,
            param.name,
            param.opts[0] if param.opts[0].startswith("-") else param.name.upper(),
        )
        for command in commands()
        for param in command.params
        if command.takes_path(param)
    ]


PATH_PARAMETERS = path_parameters()
CONTENTS = {
    "empty": b"",
    "non-utf8": b"\xff\xfe\xfa name\n\x80\x81\x82\n",
    "nested": b"[" * 100_000,
    "markup": b"[/bold],[/bold]\n[red],[/red]\n",
    "oversize": b"name\n" + b"x" * (4 * SMALL_BOUND) + b"\n",
}
HOSTILE = [
    "missing",
    "directory",
    "fifo",
    "/dev/zero",
    "/dev/null",
    *(f"{kind}{suffix}" for kind in CONTENTS for suffix in (".csv", ".xlsx", ".json")),
]


def hostile_path(folder: Path, kind: str) -> Path:
    """Make the hostile thing ``kind`` in ``folder`` (whose name is rich markup)."""
    if kind.startswith("/dev/"):
        return Path(kind)
    path = folder / kind
    if kind == "directory":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind != "missing":
        path.write_bytes(CONTENTS[path.stem])
    return path


def test_the_tree_walk_finds_every_command_taking_a_path() -> None:
    # A guard on the walk itself: these must be among what it finds.
    found = {(" ".join(p.command.words), p.shown) for p in PATH_PARAMETERS}

    assert {
        ("import customers", "FILE"),
        ("import maven", "DIRECTORY"),
        ("rules add", "FILE"),
        ("route", "--file"),
    } <= found


@pytest.fixture(scope="module")
def migrated_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'fenpei.db'}"
    fenpei = bootstrap(Settings(database_url=url))
    upgrade(fenpei.engine)
    fenpei.close()
    return url


@pytest.fixture
def cli_db(migrated_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("FENPEI_DATABASE_URL", migrated_url)
    return migrated_url


@pytest.fixture(autouse=True)
def never_hang() -> Iterator[None]:
    """Fail, instead of hanging the suite, if a read blocks (a FIFO) or never ends."""

    def expire(signum: int, frame: FrameType | None) -> None:
        raise TimeoutError("the command did not finish in 60 s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def invoke(args: list[str]) -> Result:
    return runner.invoke(app, args)


def lines_of(result: Result) -> list[str]:
    return [line for line in result.output.splitlines() if line.strip()]


def assert_one_line(result: Result, code: int = 2) -> str:
    """The command ended with ``code`` and exactly one non-empty line; that line."""
    assert "Traceback" not in result.output
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    lines = lines_of(result)
    assert len(lines) == 1, result.output
    return lines[0]


@pytest.mark.parametrize("kind", HOSTILE)
@pytest.mark.parametrize(
    "parameter", PATH_PARAMETERS, ids=lambda p: f"{' '.join(p.command.words)} {p.shown}"
)
def test_a_hostile_path_gets_one_line_naming_the_argument_and_exit_2(
    parameter: PathParameter,
    kind: str,
    cli_db: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "[red]hostile:smile:"
    folder.mkdir()
    path = hostile_path(folder, kind)
    if kind.startswith("oversize"):
        monkeypatch.setattr(_files, "MAX_FILE_BYTES", SMALL_BOUND)

    if parameter.command.words == ("files", "attach") and kind in ("markup.csv", "nested.csv"):
        pytest.skip("any CSV text is a file one may attach: this one is not hostile there")
    line = assert_one_line(invoke(parameter.args(str(path))))

    # Named, and shown as typed: rich would have eaten "[red]" and made ":smile:" an emoji.
    assert line.startswith(f"Error: {parameter.shown} {str(path)!r}: "), line
    # A backup archive's bound is FENPEI_BACKUP_MAX_RESTORE_BYTES, not the file bound; the
    # small "oversize" file is refused as no archive.
    if kind.startswith("oversize") and parameter.shown not in ("DIRECTORY", "ARCHIVE"):
        assert "too large" in line


def test_a_maven_folder_with_hostile_files_gets_one_line(
    cli_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "maven"
    shutil.copytree(MAVEN_DIR, folder)
    (folder / "accounts.csv").unlink()
    os.mkfifo(folder / "accounts.csv")
    (folder / "products.csv").write_bytes(b"\xff\xfe")
    monkeypatch.setattr(_files, "MAX_FILE_BYTES", 300_000)  # sales_pipeline.csv is larger

    line = assert_one_line(invoke(["import", "maven", str(folder)]))

    assert "accounts.csv is a named pipe (FIFO)" in line
    assert "products.csv is not UTF-8 text" in line
    assert "sales_pipeline.csv is too large" in line


@pytest.mark.parametrize(
    "value", ['{"name": ' * 100_000, "[/bold]", '["a list"]', '{"name": "A\\u0000"}']
)
def test_a_hostile_json_option_gets_one_line(cli_db: str, value: str) -> None:
    line = assert_one_line(invoke(["route", "--customer", value]))

    assert line.startswith("Error: --customer: ")


def test_customer_and_rule_names_print_as_typed_not_as_markup(
    cli_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(console, "width", 300)
    name = "[/bold] [red]Acme :smile:"
    result = invoke(["customers", "add", f"name={name}", "region=[/red]", "--no-route"])
    assert result.exit_code == 0, result.output
    customer_id = result.output.split()[1]
    rule = tmp_path / "rule.json"
    rule.write_text(
        '{"name": "[/bold] rule :smile:", "priority": 5, "target": {"kind": "pool", '
        '"pool": "public"}, "conditions": {"all": [{"field": "region", "op": "eq", '
        '"value": "[/red]"}]}}'
    )
    assert invoke(["rules", "add", str(rule)]).exit_code == 0

    for args in (["customers", "list"], ["customers", "show", customer_id]):
        result = invoke(args)
        assert result.exit_code == 0, result.output
        assert name in result.output and "[/red]" in result.output
    result = invoke(["rules", "list"])
    assert result.exit_code == 0 and "[/bold] rule :smile:" in result.output


def no_server(*args: object, **kwargs: object) -> None:
    raise AssertionError("uvicorn.run must not be reached")


def test_every_command_on_a_database_without_the_schema_says_to_upgrade(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FENPEI_DATABASE_URL", database_url)
    monkeypatch.setattr(uvicorn, "run", no_server)
    sample = tmp_path / "sample.json"
    sample.write_text("{}")
    swept = 0
    for command in commands():
        # `restore` opens only the empty database named by its --database-url
        if command.words in (("db", "upgrade"), ("restore",)):
            continue
        paths = {p.name: str(sample) for p in command.params if command.takes_path(p)}

        line = assert_one_line(invoke(command.args(fill=paths)))

        assert "has no fenpei schema: run `fenpei db upgrade`" in line, command.words
        swept += 1
    assert swept > 10
    if database_url.startswith("sqlite"):  # asking did not create the file
        assert not Path(sa.make_url(database_url).database or "").exists()


def test_an_empty_sqlite_file_says_to_upgrade_and_upgrading_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "empty.db").touch()
    monkeypatch.setenv("FENPEI_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")

    line = assert_one_line(invoke(["customers", "list"]))

    assert line == (
        f"Error: the database at sqlite:///{tmp_path / 'empty.db'} has no fenpei schema: "
        "run `fenpei db upgrade`"
    )
    assert invoke(["db", "upgrade"]).exit_code == 0
    assert invoke(["customers", "list"]).exit_code == 0


@pytest.mark.parametrize("command", [["customers", "list"], ["db", "upgrade"]])
def test_an_unreachable_database_gets_one_line_with_the_password_hidden(
    command: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FENPEI_DATABASE_URL", "postgresql+psycopg://fenpei:s3cret@127.0.0.1:1/x")

    line = assert_one_line(invoke(command))

    assert line.startswith("Error: cannot open the database at ")
    assert "fenpei:***@127.0.0.1:1/x" in line and "s3cret" not in line


def test_invalid_settings_get_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FENPEI_MODE", "production")
    monkeypatch.delenv("FENPEI_SECRET_KEY", raising=False)

    line = assert_one_line(invoke(["customers", "list"]))

    assert line.startswith("Error: invalid settings: FENPEI_SECRET_KEY must be set")


def test_an_unexpected_error_is_one_line_unless_debugging(
    cli_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**kwargs: object) -> None:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr("fenpei.cli.customers.customer_service.list_customers", broken)

    line = assert_one_line(invoke(["customers", "list"]), code=1)

    assert line == (
        "internal error: RuntimeError: boom second line (set FENPEI_DEBUG=1 for the traceback)"
    )
    monkeypatch.setenv("FENPEI_DEBUG", "1")
    assert isinstance(invoke(["customers", "list"]).exception, RuntimeError)


def test_a_value_the_database_guard_refuses_is_reported_as_invalid_input(
    cli_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    refusal = ValidationFailed.one("customers.name", "must not contain NUL characters")

    def refused(**kwargs: object) -> None:
        raise sa.exc.StatementError("refused", "INSERT …", {}, refusal)

    monkeypatch.setattr("fenpei.cli.customers.create_and_route", refused)

    result = invoke(["customers", "add", "name=A"])

    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "customers.name: must not contain NUL characters" in result.output
    assert "Nothing was changed." in result.output


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "fenpei.example.com"])
def test_serve_in_dev_with_the_default_secret_refuses_a_public_host(
    host: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FENPEI_MODE", raising=False)
    monkeypatch.delenv("FENPEI_SECRET_KEY", raising=False)
    monkeypatch.setattr(uvicorn, "run", no_server)

    line = assert_one_line(invoke(["serve", "--host", host]))

    assert line == f"Error: set FENPEI_SECRET_KEY and FENPEI_MODE=production to serve on {host}"


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("[::1]", True),
        ("localhost", True), ("LocalHost", True), ("::ffff:127.0.0.1", True),
        ("0.0.0.0", False), ("::", False), ("10.0.0.1", False), ("localhost.example", False),
    ],
)  # fmt: skip
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, object]]:
    calls: list[dict[str, object]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: calls.append(kwargs))
    return calls


def test_serve_in_dev_warns_and_serves_on_loopback(
    cli_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FENPEI_SECRET_KEY", raising=False)
    calls = served(monkeypatch)

    result = invoke(["serve", "--host", "127.0.0.1", "--port", "8123"])

    assert result.exit_code == 0, result.output
    assert "warning: FENPEI_SECRET_KEY is the public default" in result.output
    assert calls == [{"host": "127.0.0.1", "port": 8123, "log_level": "info"}]


def test_serve_with_a_secret_key_may_listen_on_any_host(
    cli_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FENPEI_SECRET_KEY", "k" * 40)
    calls = served(monkeypatch)

    result = invoke(["serve", "--host", "0.0.0.0"])

    assert result.exit_code == 0, result.output
    assert "warning" not in result.output and calls[0]["host"] == "0.0.0.0"


@pytest.fixture
def small_maven(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo loads a copy of the Maven data with only its first opportunities (fast)."""
    folder = tmp_path / "maven-small"
    shutil.copytree(MAVEN_DIR, folder)
    pipeline = folder / "sales_pipeline.csv"
    pipeline.write_text("".join(pipeline.read_text().splitlines(keepends=True)[:41]))
    monkeypatch.setattr("fenpei.cli.demo.BUNDLED_MAVEN", folder)


def test_serve_demo_prints_the_url_the_command_line_can_use(
    small_maven: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FENPEI_DATABASE_URL", raising=False)
    calls = served(monkeypatch)
    monkeypatch.setattr(console, "width", 300)

    result = invoke(["serve", "--demo"])

    assert result.exit_code == 0, result.output
    url = f"sqlite:///{tmp_path / 'fenpei-demo.db'}"
    assert f"FENPEI_DATABASE_URL={url} fenpei customers list" in result.output
    assert "40 customers scored and graded" in result.output  # the demo scorecard, active
    assert len(calls) == 1
    monkeypatch.setenv("FENPEI_DATABASE_URL", url)
    listed = invoke(["customers", "list", "--lang", "en"])
    assert listed.exit_code == 0 and "of 40" in listed.output


def test_serve_demo_honours_database_url_and_never_loads_over_a_schema(
    small_maven: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'mine.db'}"
    monkeypatch.setenv("FENPEI_DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    served(monkeypatch)

    result = invoke(["serve", "--demo"])

    assert result.exit_code == 0, result.output
    assert not (tmp_path / "fenpei-demo.db").exists()
    assert invoke(["customers", "list"]).exit_code == 0
    line = assert_one_line(invoke(["serve", "--demo"]))
    assert f"the database at {url} already has a fenpei schema" in line

"""`fenpei pool list|customers|claim|return|push|move`: the pool's daily work from the
command line, acting as the rep named by --as (or the system), refusals exit 2 with one
line naming the field, in the language of --lang."""

from __future__ import annotations

import sqlalchemy as sa
from typer.testing import CliRunner

from fenpei.adapters.db import tables as t
from fenpei.bootstrap import Fenpei
from fenpei.cli.main import app as cli
from tests.e2e.conftest import World
from tests.e2e.test_api_pools import _into_pool


def _run(app: Fenpei, *args: str) -> tuple[int, str]:
    url = app.engine.url.render_as_string(hide_password=False)
    env = {"FENPEI_DATABASE_URL": url, "COLUMNS": "200"}
    result = CliRunner().invoke(cli, ["pool", *args], env=env)
    return result.exit_code, result.output


def _owners(app: Fenpei, *ids: int) -> list[tuple[int | None, str | None]]:
    with app.engine.connect() as connection:
        rows = connection.execute(
            sa.select(t.customers.c.id, t.customers.c.owner_id, t.customers.c.pool).where(
                t.customers.c.id.in_(ids)
            )
        )
        found = {row.id: (row.owner_id, row.pool) for row in rows}
    return [found[i] for i in ids]


def test_list_claim_and_return_from_the_command_line(app: Fenpei, seeded: World) -> None:
    _into_pool(app, seeded.globex_id, stage="contacted")
    _into_pool(app, seeded.script_id)
    globex = str(seeded.globex_id)

    code, out = _run(app, "list", "--lang", "en")
    assert code == 0 and "public · public · 2 waiting" in out
    code, out = _run(app, "customers", "public", "--region", "West", "--lang", "zh-CN")
    assert code == 0 and f"#{globex} Globex" in out and "显示 1 个，共 1 个等待领取" in out

    code, out = _run(app, "claim", globex, "--as", "Moses Frase", "--lang", "en")
    assert (code, out.strip()) == (0, "Moses Frase claimed Globex")
    assert _owners(app, seeded.globex_id) == [(seeded.moses_id, None)]

    code, out = _run(app, "return", globex, "--reason", "bogus", "--as", "Moses Frase")
    assert code == 2 and out.count("\n") == 1 and "reason:" in out
    code, out = _run(app, "return", globex, "--reason", "no_need", "--lang", "en")
    assert (code, out.strip()) == (0, "Globex returned to public")
    assert _owners(app, seeded.globex_id) == [(None, "public")]


def test_refusals_exit_2_with_one_line_naming_the_field(app: Fenpei, seeded: World) -> None:
    _into_pool(app, seeded.script_id)
    script = str(seeded.script_id)
    code, out = _run(app, "claim", script, "--as", "Nobody", "--lang", "en")
    assert (code, out.count("\n")) == (2, 1) and "--as: Nobody not found" in out
    code, out = _run(app, "claim", "999999", "--as", "Moses Frase", "--lang", "zh-CN")
    assert (code, out.count("\n")) == (2, 1) and "customer_id: 找不到 999999" in out
    code, out = _run(app, "push", script, "--rep", "Nobody", "--lang", "en")
    assert (code, out.count("\n")) == (2, 1) and "--rep:" in out
    code, out = _run(app, "move", script, "--to", "public", "--lang", "en")
    assert code == 2 and "customer_ids:" in out and "already waits in" in out


def test_push_and_move_in_bulk(app: Fenpei, seeded: World) -> None:
    _into_pool(app, seeded.globex_id, stage="contacted")
    _into_pool(app, seeded.script_id)
    ids = [str(seeded.globex_id), str(seeded.script_id)]

    code, out = _run(app, "move", *ids, "--to", f"team:{seeded.team_id}", "--lang", "en")
    assert (code, out.strip()) == (0, f"2 customer(s) moved to team:{seeded.team_id}")
    code, out = _run(app, "push", *ids, "--rep", "Moses Frase", "--lang", "zh-CN")
    assert (code, out.strip()) == (0, "已将 2 个客户分配给 Moses Frase")
    assert _owners(app, seeded.globex_id, seeded.script_id) == [(seeded.moses_id, None)] * 2
    code, out = _run(app, "push", *ids, "--rep", "Darcel Schlecht", "--lang", "en")
    assert code == 2 and out.count("\n") == 1 and "customer_ids:" in out
    assert "it is not waiting in this pool" in out

"""训练模型: the admin page that trains a model and shows its evaluation (zh-CN and en)."""

from __future__ import annotations

import re
from datetime import timedelta

import numpy as np
import pytest
from fastapi.testclient import TestClient

from fenpei.bootstrap import Fenpei
from fenpei.domain.customers import Customer, Stage
from fenpei.domain.scoring import ModelKind
from fenpei.domain.users import SYSTEM, Role
from fenpei.services import users
from tests.e2e.conftest import World, log_in
from tests.fakes import FixedClock

TRAIN = "/admin/scoring/train"


def _history(app: Fenpei, clock: FixedClock, world: World, n: int = 300) -> None:
    """Closed deals over the past year: retail is won far more often than energy."""
    rng = np.random.default_rng(11)
    with app.uow() as uow:
        batch = []
        for i in range(n):
            retail = i % 2 == 0
            won = bool(rng.random() < (0.8 if retail else 0.25))
            at = clock.now() - timedelta(days=n - i)
            batch.append(
                Customer(name=f"deal {i}", industry="retail" if retail else "energy",
                         stage=Stage.won if won else Stage.lost,
                         owner_id=world.moses_id if i % 3 else world.darcel_id,
                         team_id=world.team_id, closed_at=at, created_at=at, updated_at=at)
            )  # fmt: skip
        uow.customers.add_many(batch)
        uow.commit()


def test_an_admin_trains_a_score_and_reads_its_evaluation_in_chinese_and_english(
    app: Fenpei, clock: FixedClock, seeded: World, user_client: TestClient
) -> None:
    _history(app, clock, seeded)
    split = (clock.now() - timedelta(days=90)).date().isoformat()
    form = user_client.get(TRAIN)
    assert form.status_code == 200
    assert "训练评分模型" in form.text and 'name="split_at"' in form.text

    trained = user_client.post(TRAIN, data={"kind": "score", "split_at": split, "name": "春季"})
    assert trained.status_code == 303
    location = trained.headers["location"]
    assert re.fullmatch(r"/admin/scoring/train\?model=\d+", location)

    page = user_client.get(location)
    assert page.status_code == 200
    assert "客户评分（成交概率） 第 1 版「春季」" in page.text
    assert "已保存为未启用的版本" in page.text
    for model in ("learned", "naive_bayes", "logistic", "constant"):
        assert f'data-model="{model}"' in page.text
    assert "朴素贝叶斯（频率表）" in page.text and "布里尔分数" in page.text
    assert page.text.count('<circle class="bin"') >= 2  # the calibration chart's bins
    assert "Moses Frase" in page.text and "Darcel Schlecht" in page.text  # per rep
    english = user_client.get(location + "&lang=en")
    assert "Customer score (probability of winning), version 1 “春季”" in english.text
    assert "Calibration per rep" in english.text
    with app.uow(read_only=True) as uow:
        (model,) = uow.score_models.versions(ModelKind.score)
        assert not model.active and model.metrics["test_rows"] == 90
        assert model.created_by == "admin"


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"kind": "score", "split_at": "next spring"}, "请输入日期，格式为 年-月-日。"),
        ({"kind": "scorecard"}, "请选择客户评分或销售匹配度。"),
        ({"kind": "affinity", "split_at": "2031-01-01"}, "之后至少需要 1 个结果"),
    ],
)
def test_a_bad_form_is_shown_again_with_the_problem_and_nothing_is_stored(
    app: Fenpei, clock: FixedClock, seeded: World, user_client: TestClient,
    data: dict[str, str], error: str,
) -> None:  # fmt: skip
    _history(app, clock, seeded, n=60)
    refused = user_client.post(TRAIN, data=data)
    assert refused.status_code == 422
    assert error in refused.text
    assert 'aria-invalid="true"' in refused.text or "field-error" in refused.text
    with app.uow(read_only=True) as uow:
        assert uow.score_models.versions() == []


def test_without_history_the_page_says_what_is_missing(user_client: TestClient) -> None:
    refused = user_client.post(TRAIN, data={"kind": "score"})
    assert refused.status_code == 422
    assert "历史数据不足" in refused.text


def test_only_admins_train(
    app: Fenpei, clock: FixedClock, client: TestClient, seeded: World
) -> None:
    with app.uow() as uow:
        users.create_user(uow=uow, hasher=app.hasher, username="mia", password="long enough pw 1",
                          role=Role.manager, actor=SYSTEM, now=clock.now())  # fmt: skip
        uow.commit()
    log_in(client, "long enough pw 1", username="mia")
    assert client.get(TRAIN).status_code == 403
    assert client.post(TRAIN, data={"kind": "score"}).status_code == 403

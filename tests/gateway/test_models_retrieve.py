"""`GET /v1/models/{id}` with the real `openai` SDK: only a model the key's team may use; any other is a 404."""

from __future__ import annotations

import openai
import pytest

from tests.support.gateway_server import RunningGateway


def test_retrieve_a_model_the_team_may_use(gw: RunningGateway) -> None:
    model = gw.client().models.retrieve("chat-a")
    assert (model.id, model.object, model.owned_by) == ("chat-a", "model", "openai")
    assert gw.client("beta").models.retrieve("chat-b").id == "chat-b"


@pytest.mark.parametrize(("team", "name"), [("beta", "chat-a"), ("alpha", "no-such-model")])
def test_other_models_are_not_found(gw: RunningGateway, team: str, name: str) -> None:
    with pytest.raises(openai.NotFoundError) as refused:
        gw.client(team).models.retrieve(name)
    assert refused.value.body["message"] == f"the model {name!r} does not exist"  # type: ignore[index]


def test_retrieve_needs_a_key_and_works_without_the_prefix(gw: RunningGateway) -> None:
    with gw.http() as http:
        assert http.get("/v1/models/chat-a").status_code == 401
        answer = http.get("/models/chat-b", headers={"authorization": f"Bearer {gw.keys['beta']}"})
        assert answer.status_code == 200 and answer.json()["id"] == "chat-b"

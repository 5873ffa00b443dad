"""Image generation and text to speech through Warden to an OpenAI-compatible fake upstream, with the real openai
SDK: keys, limits, input guardrails, usage rows and known-answer costs; the families Warden does not serve are a 404
that names what it serves."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai
import pytest

from tests.gateway.conftest import GatewayFactory, deployment
from tests.support.fake_media import IMAGE_TOKENS
from tests.support.fake_upstream import FakeUpstream
from tests.support.gateway_server import RunningGateway
from tests.support.word_guardrail import WORD, BannedWord

IMAGE_IN, IMAGE_OUT, PER_CHARACTER = 5e-6, 4e-5, 1.5e-5


def _config(up: FakeUpstream) -> dict[str, Any]:
    image = deployment("img", up, input_cost_per_token=IMAGE_IN, output_cost_per_image_token=IMAGE_OUT,
                       model_info={"mode": "image_generation"})
    speech = deployment("tts", up, input_cost_per_character=PER_CHARACTER, model_info={"mode": "audio_speech"})
    policy = {"input": [{"guardrail": BannedWord.name, "mode": "block"}]}
    return {"model_list": [image, speech, deployment("chat-a", up)], "guardrail_policies": {"words": policy},
            "default_policy": "words", "prompts": None}


@pytest.fixture()
def media_gw(make_gateway: GatewayFactory, upstream: FakeUpstream) -> Iterator[RunningGateway]:
    teams = {"alpha": {}, "slow": {"key": {"rpm": 1}}, "beta": {"models": ["chat-a"]}}
    with make_gateway(_config(upstream), teams) as gw:
        yield gw


def test_image_generation_is_passed_through_and_priced(media_gw: RunningGateway, upstream: FakeUpstream) -> None:
    raw = media_gw.client().images.with_raw_response.generate(model="img", prompt="a red fox in snow", n=2,
                                                               size="1024x1024", quality="low")
    answer = raw.parse()
    assert len(answer.data or []) == 2 and (answer.data or [])[0].b64_json
    sent = upstream.requests_to("/images/generations")[-1]
    assert sent.json == {"model": "img-upstream", "prompt": "a red fox in snow", "n": 2, "size": "1024x1024",
                         "quality": "low"}
    assert sent.headers["authorization"] == "Bearer sk-upstream-secret"
    row = media_gw.row(raw.headers["x-request-id"])
    expected = 5 * IMAGE_IN + 2 * IMAGE_TOKENS * IMAGE_OUT
    assert (row.endpoint, row.deployment, row.status) == ("images", "img#0", "ok")
    assert (row.prompt_tokens, row.completion_tokens, row.image_output_tokens) == (5, 200, 200)
    assert row.cost_known and row.cost_usd == pytest.approx(expected)
    assert float(raw.headers["x-warden-cost-usd"]) == pytest.approx(expected)


def test_speech_is_passed_through_and_priced_by_the_character(media_gw: RunningGateway) -> None:
    raw = media_gw.client().audio.speech.with_raw_response.create(model="tts", voice="alloy", input="hello there",
                                                                   response_format="wav")
    assert raw.content == b"FAKEAUDIO:hello there" and raw.headers["content-type"] == "audio/wav"
    row = media_gw.row(raw.headers["x-request-id"])
    assert (row.endpoint, row.deployment, row.status) == ("speech", "tts#1", "ok")
    assert row.cost_known and row.cost_usd == pytest.approx(len("hello there") * PER_CHARACTER)


@pytest.mark.parametrize("call", ["images", "speech"])
def test_keys_limits_and_guardrails_apply(media_gw: RunningGateway, upstream: FakeUpstream, call: str) -> None:
    def ask(client: openai.OpenAI, text: str) -> Any:
        if call == "images":
            return client.images.generate(model="img", prompt=text)
        return client.audio.speech.create(model="tts", voice="alloy", input=text)

    with pytest.raises(openai.AuthenticationError):
        ask(media_gw.client(key="sk-not-a-key"), "hello")
    with pytest.raises(openai.PermissionDeniedError):
        ask(media_gw.client("beta"), "hello")  # team beta may use chat-a only
    ask(media_gw.client("slow"), "hello")
    with pytest.raises(openai.RateLimitError):
        ask(media_gw.client("slow"), "hello")  # rpm 1
    calls = len(upstream.requests)
    with pytest.raises(openai.BadRequestError) as caught:
        ask(media_gw.client(), f"draw {WORD} things")
    assert caught.value.code == "guardrail_violation" and len(upstream.requests) == calls
    assert media_gw.rows()[-1].status == "blocked"


@pytest.mark.parametrize(("body", "param"), [
    ({"model": "chat-a", "prompt": "x"}, "model"),                     # a chat model
    ({"model": "img", "prompt": "x", "api_base": "http://evil"}, "api_base"),  # not a field of the API
    ({"model": "img", "prompt": "x", "n": 50}, "n"),
    ({"model": "img"}, "prompt"),
])
def test_bad_image_requests_are_a_400_naming_the_value(media_gw: RunningGateway, body: dict[str, Any],
                                                       param: str) -> None:
    with media_gw.http() as http:
        answer = http.post("/v1/images/generations", json=body,
                           headers={"authorization": f"Bearer {media_gw.keys['alpha']}"})
    assert answer.status_code == 400 and param in answer.json()["error"]["message"]


def test_a_model_not_served_natively_is_refused(make_gateway: GatewayFactory, upstream: FakeUpstream) -> None:
    config = {"model_list": [{"model_name": "img", "model_info": {"mode": "image_generation"},
                              "litellm_params": {"model": "vertex_ai/imagen-3", "vertex_project": "p"}}]}
    with make_gateway(config) as gw:
        with pytest.raises(openai.BadRequestError) as caught:
            gw.client().images.generate(model="img", prompt="a fox")
        assert caught.value.code == "unsupported_model"


def test_unserved_families_name_what_is_served(media_gw: RunningGateway) -> None:
    client = media_gw.client()
    for call in (lambda: client.files.list(), lambda: client.batches.list(),
                 lambda: client.audio.transcriptions.create(model="tts", file=("a.wav", b"RIFF"))):
        with pytest.raises(openai.NotFoundError) as caught:
            call()
        assert "images/generations" in caught.value.message and caught.value.code == "unsupported_endpoint"
    with media_gw.http() as http:  # without the /v1 prefix too, as LiteLLM serves them
        answer = http.post("/images/generations", json={"model": "img", "prompt": "a fox"},
                           headers={"authorization": f"Bearer {media_gw.keys['alpha']}"})
        assert answer.status_code == 200 and len(answer.json()["data"]) == 1


def test_masked_personal_data_never_reaches_the_upstream(make_gateway: GatewayFactory, upstream: FakeUpstream) -> None:
    config = {**_config(upstream), "guardrail_policies": {"pii": {"input": [{"guardrail": "pii", "mode": "mask"}]}},
              "default_policy": "pii"}
    with make_gateway(config) as gw:
        gw.client().audio.speech.create(model="tts", voice="alloy", input="Write to jane.doe@example.com today",
                                        instructions="Read it to jane.doe@example.com slowly")
        gw.client().images.generate(model="img", prompt="A postcard addressed to jane.doe@example.com")
    speech, image = upstream.requests_to("/audio/speech")[-1].json, upstream.requests_to("/images/generations")[-1].json
    assert speech["input"] == "Write to <EMAIL_ADDRESS_1> today"
    assert "jane.doe" not in speech["instructions"] and "<EMAIL_ADDRESS" in speech["instructions"]
    assert image["prompt"] == "A postcard addressed to <EMAIL_ADDRESS_1>"

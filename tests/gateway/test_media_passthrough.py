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

IMAGE_IN, IMAGE_OUT, PER_CHARACTER, AUDIO_IN, PER_SECOND = 5e-6, 4e-5, 1.5e-5, 3e-6, 1e-4
AUDIO = b"RIFF" + bytes(996)  # 1000 bytes: 10 audio tokens to the fake, or 1 second for a whisper model


def _config(up: FakeUpstream) -> dict[str, Any]:
    image = deployment("img", up, input_cost_per_token=IMAGE_IN, output_cost_per_image_token=IMAGE_OUT,
                       model_info={"mode": "image_generation"})
    speech = deployment("tts", up, input_cost_per_character=PER_CHARACTER, model_info={"mode": "audio_speech"})
    stt = deployment("stt", up, input_cost_per_token=1e-6, input_cost_per_audio_token=AUDIO_IN, output_cost_per_token=1e-5,
                     model_info={"mode": "audio_transcription"})
    whisper = deployment("whisper", up, input_cost_per_second=PER_SECOND, model_info={"mode": "audio_transcription"})
    policy = {"input": [{"guardrail": BannedWord.name, "mode": "block"}]}
    return {"model_list": [image, speech, deployment("chat-a", up), stt, whisper],
            "guardrail_policies": {"words": policy}, "default_policy": "words", "prompts": None}


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


@pytest.mark.parametrize("call", ["images", "speech", "transcriptions"])
def test_keys_limits_and_guardrails_apply(media_gw: RunningGateway, upstream: FakeUpstream, call: str) -> None:
    def ask(client: openai.OpenAI, text: str) -> Any:
        if call == "images":
            return client.images.generate(model="img", prompt=text)
        if call == "transcriptions":
            return client.audio.transcriptions.create(model="stt", file=("a.wav", AUDIO), prompt=text)
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
                 lambda: client.audio.translations.create(model="stt", file=("a.wav", AUDIO))):
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


def test_transcription_is_passed_through_and_priced_by_its_tokens(media_gw: RunningGateway,
                                                                   upstream: FakeUpstream) -> None:
    raw = media_gw.client().audio.transcriptions.with_raw_response.create(
        model="stt", file=("call.wav", AUDIO, "audio/wav"), prompt="names: Ada", language="en", temperature=0.2)
    assert raw.parse().text == "fake transcript ok"
    sent = upstream.requests_to("/audio/transcriptions")[-1].json
    assert {k: sent[k] for k in ("model", "prompt", "language", "temperature")} == {
        "model": "stt-upstream", "prompt": "names: Ada", "language": "en", "temperature": "0.2"}
    assert sent["file"]["filename"] == "call.wav" and sent["file"]["data"] == AUDIO
    row = media_gw.row(raw.headers["x-request-id"])
    # 10 audio tokens and 2 prompt words in, 3 words out.
    expected = 10 * AUDIO_IN + 2 * 1e-6 + 3 * 1e-5
    assert (row.endpoint, row.prompt_tokens, row.audio_input_tokens, row.completion_tokens) == (
        "transcriptions", 12, 10, 3)
    assert row.cost_known and row.cost_usd == pytest.approx(expected)


def test_transcription_by_the_second_and_in_text(media_gw: RunningGateway) -> None:
    client = media_gw.client()
    raw = client.audio.transcriptions.with_raw_response.create(model="whisper", file=("a.wav", AUDIO * 2))
    row = media_gw.row(raw.headers["x-request-id"])
    assert row.cost_known and row.cost_usd == pytest.approx(2 * PER_SECOND)  # 2000 bytes: 2 seconds to the fake
    raw = client.audio.transcriptions.with_raw_response.create(model="stt", file=("a.wav", AUDIO),
                                                               response_format="text")
    assert raw.http_response.text == "fake transcript ok" and raw.headers["content-type"].startswith("text/plain")
    row = media_gw.row(raw.headers["x-request-id"])
    assert not row.cost_known and row.cost_usd == 0  # a plain-text transcript reports no usage


def test_a_transcription_needs_a_multipart_form(media_gw: RunningGateway) -> None:
    with media_gw.http() as http:
        answer = http.post("/v1/audio/transcriptions", json={"model": "stt"},
                           headers={"authorization": f"Bearer {media_gw.keys['alpha']}"})
        assert answer.status_code == 400 and "multipart/form-data" in answer.json()["error"]["message"]
        answer = http.post("/v1/audio/transcriptions", files={"file": ("a.wav", AUDIO)},
                           data={"model": "stt", "speaker": "x"},
                           headers={"authorization": f"Bearer {media_gw.keys['alpha']}"})
        assert answer.status_code == 400 and "speaker" in answer.json()["error"]["message"]


def test_an_image_answer_without_usage_has_an_unknown_cost(media_gw: RunningGateway) -> None:
    # As DALL-E answers: images and no usage.
    raw = media_gw.client().images.with_raw_response.generate(model="img", prompt="a fox [[fake:no_usage]]")
    row = media_gw.row(raw.headers["x-request-id"])
    assert not row.cost_known and row.cost_usd == 0

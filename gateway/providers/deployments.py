"""Turns the config's `model_list` into `Deployment`s: provider, transport, secrets and prices resolved."""

from __future__ import annotations

import logging
import os

from gateway.config import GatewayConfig, ModelDeployment
from gateway.providers.base import Deployment, NativeApi, Prices, Transport
from gateway.providers.pricing import PriceMap, with_overrides

log = logging.getLogger("warden.providers")

DEMO_PROVIDER = "warden-demo"
# Providers whose API is OpenAI's: called natively over the pooled client. Others go through litellm.
OPENAI_COMPATIBLE = {
    "openai": "https://api.openai.com/v1",
    "mistral": "https://api.mistral.ai/v1",
    "groq": "https://api.groq.com/openai/v1",
    "deepseek": "https://api.deepseek.com/v1",
    "hosted_vllm": None,
    "openai_compatible": None,
}
ENV_PREFIX = "os.environ/"


def resolve_secret(value: str | None, where: str) -> tuple[str | None, str | None]:
    """Returns (value, problem). `os.environ/NAME` reads NAME; an unset variable is a problem, not a crash."""
    if value is None or not value.startswith(ENV_PREFIX):
        return value, None
    name = value[len(ENV_PREFIX) :]
    resolved = os.environ.get(name)
    if resolved is None:
        return None, f"{where}: environment variable {name} is not set"
    return resolved, None


def build_deployments(config: GatewayConfig, prices: PriceMap | None = None) -> list[Deployment]:
    prices = prices or PriceMap()
    router = config.effective_router()
    out: list[Deployment] = []
    for index, entry in enumerate(config.model_list):
        out.append(_build(index, entry, prices, router.timeout, router.stream_timeout))
    return out


def _build(index: int, entry: ModelDeployment, prices: PriceMap, timeout: float, stream_timeout: float | None) -> Deployment:
    params, info = entry.litellm_params, entry.model_info
    provider, _, upstream = params.model.partition("/")
    if not upstream:
        provider, upstream = "openai", params.model
    where = f"model_list[{index}] ({entry.model_name})"
    problems: list[str] = []
    secrets: dict[str, str | None] = {}
    for name in ("api_key", "api_base", "aws_access_key_id", "aws_secret_access_key"):
        value, problem = resolve_secret(getattr(params, name), f"{where}.litellm_params.{name}")
        secrets[name] = value
        if problem:
            problems.append(problem)
    transport = _transport(provider, info.transport, secrets["api_base"])
    if transport == "native" and provider not in OPENAI_COMPATIBLE:
        problems.append(f"{where}: transport 'native' needs an OpenAI-compatible provider, not {provider!r}")
    if info.supports_native_responses and transport != "native":
        problems.append(f"{where}: supports_native_responses needs an OpenAI-compatible provider, not {provider!r}")
    api_base = secrets["api_base"] or OPENAI_COMPATIBLE.get(provider)
    if transport == "native" and not api_base:
        problems.append(f"{where}: provider {provider!r} needs an api_base")
    if transport == "demo":
        price = Prices(known=True)
    else:
        price = prices.lookup(params.model, upstream, info.base_model)
        price = with_overrides(price, params.price_overrides())
    for problem in problems:
        log.warning("deployment unavailable: %s", problem)
    extra = tuple((k, str(v)) for k in ("aws_region_name", "vertex_project", "vertex_location")
                  if (v := getattr(params, k)) is not None)
    extra += tuple((k, v) for k in ("aws_access_key_id", "aws_secret_access_key") if (v := secrets[k]))
    return Deployment(
        id=info.id or f"{entry.model_name}#{index}",
        model_name=entry.model_name,
        provider=provider,
        upstream_model=upstream,
        litellm_model=params.model,
        transport=transport,
        mode=info.mode,
        api_base=api_base,
        api_key=secrets["api_key"],
        api_version=params.api_version,
        organization=params.organization,
        timeout=params.timeout or timeout,
        stream_timeout=params.stream_timeout or stream_timeout or params.timeout or timeout,
        max_retries=params.max_retries,
        weight=params.weight,
        order=params.order,
        rpm=params.rpm,
        tpm=params.tpm,
        extra_headers=tuple((params.extra_headers or {}).items()),
        extra_params=extra,
        default_params=tuple(params.default_params().items()),
        prices=price,
        description=info.description,
        registry_model=info.registry_model,
        registry_version=info.registry_version,
        tags=tuple(params.tags),
        unavailable="; ".join(problems) or None,
        native_apis=_native_apis(provider, transport, info.supports_native_responses),
    )


def _native_apis(provider: str, transport: Transport, responses: bool) -> frozenset[NativeApi]:
    """Anthropic deployments take Anthropic's own Messages body; others only what their config declares."""
    apis: set[NativeApi] = set()
    if provider == "anthropic" and transport == "litellm":
        apis.add("anthropic_messages")
    if responses and transport == "native":
        apis.add("responses")
    return frozenset(apis)


def _transport(provider: str, wanted: str, api_base: str | None) -> Transport:
    if provider == DEMO_PROVIDER:
        return "demo"
    if wanted == "native":
        return "native"
    if wanted == "litellm":
        return "litellm"
    return "native" if provider in OPENAI_COMPATIBLE else "litellm"

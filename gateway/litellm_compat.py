"""Reading a LiteLLM config.yaml as it is: what Warden does not implement is dropped with a warning naming it.

Warden's config stays strict: this runs before validation and touches only the sections LiteLLM owns
(`model_list[].litellm_params`, `model_list[].model_info`, `router_settings`, `litellm_settings`,
`general_settings`) and LiteLLM's own top-level keys. In those, a key Warden's schema does not know is a
LiteLLM setting (LiteLLM has hundreds and adds more each release), so it is logged and ignored rather than
refused; a key of Warden's own sections (`server`, `teams`, `limits`...) that is unknown is still an error.
Some LiteLLM spellings are mapped onto what Warden implements instead of being dropped.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from gateway.providers.pricing import PRICE_KEYS as MAP_PRICE_KEYS

log = logging.getLogger("warden.config")

# LiteLLM's top-level keys (https://docs.litellm.ai/docs/proxy/config_settings) outside Warden's schema.
LITELLM_TOP_LEVEL = frozenset({
    "environment_variables", "callback_settings", "guardrails", "credential_list", "mcp_servers",
    "vector_store_registry", "files_settings", "assistant_settings", "finetune_settings", "model_group_settings",
    "search_tools", "prompts_settings",
})
# LiteLLM's documented deployment keys outside Warden's schema. Only these are warned about in a deployment:
# anything else there (`apibase`) is a typo that would send the call elsewhere, so it stays an error.
LITELLM_PARAMS = frozenset({
    "drop_params", "additional_drop_params", "region_name", "top_k", "stop", "n",
    "output_cost_per_second", "max_budget", "budget_duration", "vertex_credentials", "aws_session_token",
    "aws_profile_name", "aws_role_name", "aws_bedrock_runtime_endpoint", "azure_ad_token", "tenant_id",
    "client_id", "client_secret", "custom_llm_provider", "litellm_credential_name", "use_in_pass_through",
    "merge_reasoning_content_in_choices", "configurable_clientside_auth_params", "reasoning_effort", "thinking",
    "use_litellm_proxy", "mock_response", "model_info",
})
LITELLM_MODEL_INFO = frozenset({
    "max_tokens", "max_input_tokens", "litellm_provider", "team_id", "tier", "health_check_model",
    "health_check_timeout", "db_model", "created_at", "updated_at", "created_by", "updated_by", "key",
    "team_public_model_name", "tpm", "rpm",
})


def litellm_key(section: str, key: str) -> bool:
    """Is `key` a setting LiteLLM documents in this deployment section (so it is warned about, not refused)?"""
    if section == "litellm_params":
        return key in LITELLM_PARAMS
    return key in LITELLM_MODEL_INFO or key.startswith("supports_") or "_cost" in key


# Why some keys need no counterpart in Warden, said in their warning.
REASONS = {
    "environment_variables": "environment variables are read from the process environment only",
    "drop_params": "Warden always drops what a provider does not take (see gateway/providers/parameters.py)",
    "set_verbose": "Warden's log level is its own",
}
# model_info keys that are prices: moved to litellm_params, where Warden reads a deployment's price overrides.
PRICE_KEYS = tuple(MAP_PRICE_KEYS)


def accept_litellm(data: dict[str, Any], source: str, known: dict[str, Iterable[str]]) -> dict[str, Any]:
    """A copy of `data` without the LiteLLM keys Warden ignores (each logged), LiteLLM spellings mapped.
    `known` names the fields of each LiteLLM-owned section in Warden's schema."""
    data = dict(data)
    for key in sorted(LITELLM_TOP_LEVEL & data.keys()):
        _ignored(source, key)
        data.pop(key)
    if isinstance(data.get("model_list"), list):
        data["model_list"] = [_deployment(entry, f"model_list[{i}]", source, known)
                              for i, entry in enumerate(data["model_list"])]
    if isinstance(data.get("router_settings"), dict):
        data = _redis_settings(data, source)
    if isinstance(data.get("litellm_settings"), dict):
        data = _cache_settings(data, source)
    for section in ("router_settings", "litellm_settings", "general_settings"):
        if isinstance(data.get(section), dict):
            data[section] = _prune(data[section], section, source, known[section])
    return data


def _deployment(entry: Any, where: str, source: str, known: dict[str, Iterable[str]]) -> Any:
    if not isinstance(entry, dict):
        return entry
    entry = dict(entry)
    info, params = entry.get("model_info"), entry.get("litellm_params")
    if isinstance(info, dict) and isinstance(params, dict):
        moved = {k: info[k] for k in PRICE_KEYS if k in info and k not in params}
        entry["litellm_params"] = {**params, **moved}
        entry["model_info"] = {k: v for k, v in info.items() if k not in moved}
    for section in ("litellm_params", "model_info"):
        if isinstance(entry.get(section), dict):
            allowed = {*known[section], *(k for k in entry[section] if not litellm_key(section, k))}
            entry[section] = _prune(entry[section], f"{where}.{section}", source, allowed)
    return entry


def _prune(section: dict[str, Any], where: str, source: str, known: Iterable[str]) -> dict[str, Any]:
    allowed = set(known)
    for key in section:
        if key not in allowed:
            _ignored(source, f"{where}.{key}")
    return {k: v for k, v in section.items() if k in allowed}


def _redis_settings(data: dict[str, Any], source: str) -> dict[str, Any]:
    """LiteLLM shares its rpm/tpm counts across instances through `router_settings.redis_*`: in Warden that is
    the limits store, so those settings choose it unless the `limits` section already names one."""
    router = dict(data["router_settings"])
    host, port, password = (router.pop(k, None) for k in ("redis_host", "redis_port", "redis_password"))
    data["router_settings"] = router
    if host is None:
        return data
    limits = data.get("limits") if isinstance(data.get("limits"), dict) else {}
    if "redis_url" in limits or limits.get("backend") == "memory":
        _ignored(source, "router_settings.redis_host", "the limits section chooses the store")
        return data
    data["limits"] = {**limits, "backend": "redis", "redis_url": _redis_url(host, port, password)}
    log.info("%s: router_settings.redis_host/port/password are used as the limits store (limits.backend redis)",
             source)
    return data


def _cache_settings(data: dict[str, Any], source: str) -> dict[str, Any]:
    """LiteLLM's `litellm_settings.cache: true` turns on Warden's response cache (unless a `cache` section is
    written). LiteLLM caches every request, sampled or not, so the mapped cache does too."""
    settings = dict(data["litellm_settings"])
    enabled, params = settings.pop("cache", None), settings.pop("cache_params", None)
    data["litellm_settings"] = settings
    params = params if isinstance(params, dict) else {}
    if not enabled:
        return data
    if "cache" in data:
        _ignored(source, "litellm_settings.cache", "the cache section is used")
        return data
    kind = params.get("type", "local")
    if kind not in ("local", "redis"):
        _ignored(source, "litellm_settings.cache", f"type {kind!r}: Warden caches exact matches, in memory or Redis")
        return data
    cache: dict[str, Any] = {"enabled": True, "sampled": True, "backend": "memory" if kind == "local" else "redis"}
    if "ttl" in params:
        cache["ttl_s"] = params["ttl"]
    if kind == "redis" and params.get("host"):
        cache["redis_url"] = _redis_url(params["host"], params.get("port"), params.get("password"))
    for key in sorted(set(params) - {"type", "ttl", "host", "port", "password"}):
        _ignored(source, f"litellm_settings.cache_params.{key}")
    data["cache"] = cache
    log.info("%s: litellm_settings.cache turns on the response cache (%s)", source, cache["backend"])
    return data


def _redis_url(host: Any, port: Any, password: Any) -> str:
    secret = _env(password)
    auth = f":{quote(str(secret), safe='')}@" if secret else ""
    return f"redis://{auth}{_env(host)}:{_env(port) or 6379}/0"


def _env(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("os.environ/"):
        return os.environ.get(value[len("os.environ/"):])
    return value


def _ignored(source: str, key: str, why: str | None = None) -> None:
    why = why or REASONS.get(key.rpartition(".")[2])
    log.warning("%s: %s is a LiteLLM setting Warden does not implement; ignored%s", source, key,
                f" ({why})" if why else "")

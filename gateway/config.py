"""The configuration file: LiteLLM's `model_list` format plus Warden's own sections, validated strictly.

An unknown key or a wrong type stops start-up with a message naming the key. A file holding only a
`model_list` is valid: every other section has defaults. Secrets are never written here: a value of the form
`os.environ/NAME` is read from the environment when the deployment is built.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import ConfigDict, Field, ValidationError, model_validator

from gateway.litellm_compat import accept_litellm
from gateway.limits.factory import LimitsConfig as LimitStoreConfig
from gateway.prompts.store import PromptStoreConfig
from gateway.providers.base import DeploymentMode
from gateway.providers.failures import RetryPolicy
from gateway.providers.strategies import Strategy
from gateway.rag.config import RagConfig
from gateway.usage_policy.config import UsagePolicyConfig


from gateway.config_policies import GuardrailSpec, JudgeBand, JudgeConfig, PolicyConfig, Strict  # noqa: F401
from gateway.config_prices import PriceParams


class LiteLLMParams(PriceParams):
    """The subset of LiteLLM's `litellm_params` that Warden understands (prices: `PriceParams`)."""

    model: str
    api_base: str | None = None
    api_key: str | None = None
    api_version: str | None = None
    organization: str | None = None
    timeout: float | None = Field(default=None, gt=0)
    stream_timeout: float | None = Field(default=None, gt=0)
    max_retries: int | None = Field(default=None, ge=0, le=10)
    rpm: int | None = Field(default=None, gt=0)
    tpm: int | None = Field(default=None, gt=0)
    weight: float = Field(default=1.0, gt=0)
    order: int | None = Field(default=None, ge=1)
    """LiteLLM's deployment priority: lower orders are tried first, the others only when those fail."""
    extra_headers: dict[str, str] | None = None
    aws_region_name: str | None = None
    aws_access_key_id: str | None = None
    aws_secret_access_key: str | None = None
    vertex_project: str | None = None
    vertex_location: str | None = None
    tags: list[str] = Field(default=[], max_length=32)
    """Tag-based routing: a request naming tags goes only to deployments carrying all of them."""
    # Default request parameters (LiteLLM's spelling): sent upstream when the request does not set them.
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, ge=0, le=1)
    max_tokens: int | None = Field(default=None, gt=0)
    max_completion_tokens: int | None = Field(default=None, gt=0)
    seed: int | None = None
    presence_penalty: float | None = Field(default=None, ge=-2, le=2)
    frequency_penalty: float | None = Field(default=None, ge=-2, le=2)

    def default_params(self) -> dict[str, float | int]:
        return {name: value for name in DEFAULT_PARAMS if (value := getattr(self, name)) is not None}


DEFAULT_PARAMS = ("temperature", "top_p", "max_tokens", "max_completion_tokens", "seed", "presence_penalty",
                  "frequency_penalty")


class ModelInfo(Strict):
    id: str | None = None
    mode: DeploymentMode = "chat"
    base_model: str | None = None
    description: str | None = None
    max_output_tokens: int | None = Field(default=None, gt=0)
    transport: Literal["auto", "native", "litellm"] = "auto"
    """`native` calls an OpenAI-compatible upstream over Warden's pooled client; `litellm` translates through
    litellm (any provider); `auto` picks native for OpenAI-compatible providers."""
    registry_model: str | None = None
    registry_version: str | None = None
    access_groups: list[str] = Field(default=[], max_length=32)
    """LiteLLM's access groups: a key's or team's `models` naming a group may use this model."""
    supports_native_responses: bool = False
    """The upstream (OpenAI-compatible) serves `/responses`: `/v1/responses` requests are sent to it as they are,
    not translated into chat completions."""


class ModelDeployment(Strict):
    model_name: str = Field(min_length=1)
    litellm_params: LiteLLMParams
    model_info: ModelInfo = ModelInfo()


Fallbacks = list[dict[str, list[str]]]


class GroupAlias(Strict):
    """LiteLLM's long form of an alias; a hidden alias is served but not listed by /v1/models."""

    model: str
    hidden: bool = False


class RouterSettings(Strict):
    routing_strategy: Strategy = "simple-shuffle"
    num_retries: int = Field(default=2, ge=0, le=10)
    timeout: float = Field(default=600.0, gt=0)
    stream_timeout: float | None = Field(default=None, gt=0)
    retry_backoff_s: float = Field(default=0.25, ge=0)
    max_backoff_s: float = Field(default=8.0, ge=0)
    allowed_fails: int = Field(default=3, ge=1)
    cooldown_time: float = Field(default=30.0, ge=0)
    fallbacks: Fallbacks = []
    default_fallbacks: list[str] = []
    """Tried for every model that has no fallbacks of its own."""
    context_window_fallbacks: Fallbacks = []
    """Models tried, in order, when the upstream says the prompt does not fit the model's context window."""
    retry_policy: RetryPolicy | None = None
    """Retries per kind of error, in LiteLLM's names (`RateLimitErrorRetries`...); unset kinds: `num_retries`."""
    model_group_alias: dict[str, str | GroupAlias] = {}
    """Another public name for a model: requests for the alias are served by the model it names."""


class LiteLLMSettings(Strict):
    """Accepted from LiteLLM configs so they load unchanged; values feed the router settings."""

    num_retries: int | None = Field(default=None, ge=0, le=10)
    request_timeout: float | None = Field(default=None, gt=0)
    fallbacks: Fallbacks | None = None
    default_fallbacks: list[str] | None = None
    context_window_fallbacks: Fallbacks | None = None


class GeneralSettings(Strict):
    master_key: str | None = None
    """An extra admin key (LiteLLM's name for it), usually `os.environ/WARDEN_MASTER_KEY`."""


MAX_INT64 = 2**63 - 1
"""Counts are stored as 64-bit integers (BIGINT): a larger value is refused when it arrives, not by the database."""
MAX_BUDGET_USD = 1e12
"""Budgets are counted in integer micro-dollars, exact in a float up to 2**53: 1e12 USD keeps them exact."""


class TeamConfig(Strict):
    models: list[str] | None = None
    rpm: int | None = Field(default=None, gt=0, le=MAX_INT64)
    tpm: int | None = Field(default=None, gt=0, le=MAX_INT64)
    budget_usd: float | None = Field(default=None, ge=0, le=MAX_BUDGET_USD)
    budget_period: Literal["day", "week", "month", "total"] = "month"
    guardrail_policy: str | None = None


class RateConfig(Strict):
    rpm: int | None = Field(default=None, gt=0, le=MAX_INT64)
    tpm: int | None = Field(default=None, gt=0, le=MAX_INT64)


class LimitsConfig(LimitStoreConfig):
    """Where limits live (the store's settings) and the limits that are not per key or team."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    user: RateConfig = RateConfig()
    """Per end user (the request's `user` field), within each team."""
    models: dict[str, RateConfig] = {}
    """Per model, across all teams."""


class UsageConfig(Strict):
    batch_size: int = Field(default=200, ge=1)
    flush_interval_s: float = Field(default=0.5, gt=0)
    spool_dir: str = "var/spool"


class ServerConfig(Strict):
    max_body_bytes: int = Field(default=8 * 1024 * 1024, gt=0)
    key_cache_ttl_s: float = Field(default=5.0, ge=0)
    key_cache_stale_s: float = Field(default=300.0, ge=0)
    """While the database is unreachable, a key checked within this many seconds (past its TTL) is still served."""
    shutdown_grace_s: float = Field(default=10.0, gt=0)
    """On SIGTERM, how long in-flight requests may take; streams still open are ended with an error event."""
    default_max_tokens: int = Field(default=4096, gt=0)
    """Worst-case completion length used to reserve budget when a request sets no max_tokens."""
    metrics_auth: Literal["none", "admin", "token"] = "none"
    """Who may read `/metrics` (it names every team, model and their spend): anyone who reaches the port, an admin
    key, or a bearer token equal to `metrics_token` (an admin key works too)."""
    metrics_token: str | None = Field(default=None, min_length=16)
    """The scraper's token, usually `os.environ/WARDEN_METRICS_TOKEN`."""

    @model_validator(mode="after")
    def _token_when_needed(self) -> ServerConfig:
        if self.metrics_auth == "token" and not self.metrics_token:
            raise ValueError("server.metrics_auth 'token' needs server.metrics_token "
                             "(e.g. os.environ/WARDEN_METRICS_TOKEN)")
        return self


class CacheConfig(Strict):
    """The exact-match response cache (`gateway/pipeline/cache.py`); off unless `enabled`."""

    enabled: bool = False
    backend: Literal["memory", "redis"] | None = None
    """Where answers are kept; unset: where limits are kept (`limits.backend`)."""
    redis_url: str | None = None
    """Unset: the limits store's `redis_url` (and its timeouts and pool size)."""
    key_prefix: str = "warden:cache:"
    ttl_s: float = Field(default=600.0, gt=0)
    max_entries: int = Field(default=10_000, ge=1)
    """For the in-process store."""
    sampled: bool = False
    """Also cache requests that sample (temperature unset or above 0), whose answers would differ if asked again."""


class ReturnedAnswersConfig(Strict):
    """Where digests of returned answers are kept (`gateway/returned_answers.py`), for policies with
    `trust_returned_answers`. A miss only means an assistant turn is checked again, so this is a cache."""

    backend: Literal["memory", "redis"] | None = None
    """Unset: where limits are kept (`limits.backend`): with Redis, every replica knows what the others returned."""
    redis_url: str | None = None
    """Unset: the limits store's `redis_url` (and its timeouts and pool size)."""
    key_prefix: str = "warden:answers:"
    ttl_s: float = Field(default=86_400.0, gt=0)
    max_entries: int = Field(default=100_000, ge=1)
    """For the in-process store (a few hundred bytes each: 100,000 weigh about 35 MB)."""


class RegistryLinkConfig(Strict):
    """How routing follows the model registry (for deployments that name a registry model and version)."""

    enforce: bool = False
    """Refuse (403) versions whose status is not in `required_statuses`."""
    required_statuses: tuple[Literal["development", "staging", "production"], ...] = ("staging", "production")
    refresh_s: float = Field(default=5.0, gt=0)


class EvalConfig(Strict):
    """`warden eval` and the promotion gate (read by the CLI only, never by the server's request path)."""

    judge_model: str | None = None
    """The model that judges LLM-scored metrics, called through this gateway (so it is costed like any call)."""
    gates: dict[str, list[str]] = {}
    """Label -> suites a prompt must pass to take it: `prompt` (the prompt's own suite) or built-in names."""
    gate_mode: Literal["replay", "live"] = "replay"
    """How the gate runs suites: from the committed cassettes (CI, offline) or against the gateway."""


class GatewayConfig(Strict):
    model_list: list[ModelDeployment] = []
    router_settings: RouterSettings = RouterSettings()
    litellm_settings: LiteLLMSettings = LiteLLMSettings()
    general_settings: GeneralSettings = GeneralSettings()
    server: ServerConfig = ServerConfig()
    teams: dict[str, TeamConfig] = {}
    limits: LimitsConfig = LimitsConfig()
    usage: UsageConfig = UsageConfig()
    guardrail_policies: dict[str, PolicyConfig] = {}
    default_policy: str | None = None
    registry: RegistryLinkConfig = RegistryLinkConfig()
    prompts: PromptStoreConfig | None = PromptStoreConfig(path=Path("prompts"))
    """The Git-backed prompt store; `null` turns it off. A missing local folder turns it off with a warning."""
    eval: EvalConfig = EvalConfig()
    cache: CacheConfig = CacheConfig()
    returned_answers: ReturnedAnswersConfig = ReturnedAnswersConfig()
    judge: JudgeConfig | None = None
    """The judge tier (off unless set, and only for guardrails whose policy entry has a `judge` band)."""
    usage_policy: UsagePolicyConfig | None = None
    """The LLM usage policy: data classes per deployment, use cases, human review, attribution (off unless set)."""
    rag: RagConfig = RagConfig()
    """RAG governance: chunk ACLs and the policy for chunks of unregistered or stale sources."""

    def effective_router(self) -> RouterSettings:
        """Router settings with LiteLLM's `litellm_settings` spellings folded in."""
        updates: dict[str, Any] = {}
        lls = self.litellm_settings
        if lls.num_retries is not None and "num_retries" not in self.router_settings.model_fields_set:
            updates["num_retries"] = lls.num_retries
        if lls.request_timeout is not None and "timeout" not in self.router_settings.model_fields_set:
            updates["timeout"] = lls.request_timeout
        if lls.fallbacks and not self.router_settings.fallbacks:
            updates["fallbacks"] = lls.fallbacks
        if lls.default_fallbacks and not self.router_settings.default_fallbacks:
            updates["default_fallbacks"] = lls.default_fallbacks
        if lls.context_window_fallbacks and not self.router_settings.context_window_fallbacks:
            updates["context_window_fallbacks"] = lls.context_window_fallbacks
        return self.router_settings.model_copy(update=updates)

    def model_names(self) -> list[str]:
        return list(dict.fromkeys(d.model_name for d in self.model_list))


LITELLM_SECTIONS = {
    "litellm_params": LiteLLMParams.model_fields, "model_info": ModelInfo.model_fields,
    "router_settings": RouterSettings.model_fields, "litellm_settings": LiteLLMSettings.model_fields,
    "general_settings": GeneralSettings.model_fields,
}
"""The sections LiteLLM owns, where a key Warden does not know is a LiteLLM setting: warned about, not refused."""


class ConfigError(ValueError):
    """The configuration file cannot be used; the message names the file and the key."""


def parse_config(data: object, source: str = "<config>") -> GatewayConfig:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a mapping, got {type(data).__name__}")
    data = accept_litellm(data, source, LITELLM_SECTIONS)
    try:
        config = GatewayConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source)) from None
    _check_references(config, source)
    return config


def load_config(path: str | Path) -> GatewayConfig:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config file {str(path)!r}: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from None
    return parse_config(data, str(path))


def _describe(exc: ValidationError, source: str) -> str:
    lines = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "(top level)"
        if error["type"] == "extra_forbidden":
            lines.append(f"{source}: unknown key {where!r}")
        else:
            lines.append(f"{source}: {where}: {error['msg']} (got {error.get('input')!r})")
    return "\n".join(lines)


def _check_references(config: GatewayConfig, source: str) -> None:
    names = set(config.model_names())
    router = config.effective_router()
    for section, chains in (("fallbacks", router.fallbacks), ("context_window_fallbacks", router.context_window_fallbacks)):
        for entry in chains:
            for model, targets in entry.items():
                for name in [model, *targets]:
                    if name not in names:
                        raise ConfigError(f"{source}: {section} name unknown model {name!r}")
    for name in config.effective_router().default_fallbacks:
        if name not in names:
            raise ConfigError(f"{source}: default_fallbacks name unknown model {name!r}")
    for alias, target in config.router_settings.model_group_alias.items():
        model = target if isinstance(target, str) else target.model
        if model not in names:
            raise ConfigError(f"{source}: router_settings.model_group_alias.{alias} names unknown model {model!r}")
    policies = set(config.guardrail_policies)
    if config.default_policy is not None and config.default_policy not in policies:
        raise ConfigError(f"{source}: default_policy names unknown policy {config.default_policy!r}")
    for policy_name, policy in config.guardrail_policies.items():
        for spec in [*policy.input, *policy.output]:
            if spec.judge is not None and config.judge is None:
                raise ConfigError(f"{source}: guardrail_policies.{policy_name}: {spec.guardrail!r} has a judge band "
                                  "but there is no top-level 'judge' section")
            if spec.judge is not None and spec.judge.low > spec.judge.high:
                raise ConfigError(f"{source}: guardrail_policies.{policy_name}: {spec.guardrail!r} judge band "
                                  f"low {spec.judge.low} is above high {spec.judge.high}")
    if config.judge is not None and config.judge.model not in names:
        raise ConfigError(f"{source}: judge.model names unknown model {config.judge.model!r}")
    if config.usage_policy is not None:
        _check_policy_names(config, config.usage_policy, source)
    for team, team_config in config.teams.items():
        if team_config.guardrail_policy is not None and team_config.guardrail_policy not in policies:
            raise ConfigError(f"{source}: teams.{team}.guardrail_policy names unknown policy {team_config.guardrail_policy!r}")


def _check_policy_names(config: GatewayConfig, policy: UsagePolicyConfig, source: str) -> None:
    """A deployment ceiling must name a model or a deployment id of `model_list`."""
    known = set(config.model_names()) | {d.model_info.id for d in config.model_list if d.model_info.id}
    known |= {f"{d.model_name}#{i}" for i, d in enumerate(config.model_list)}
    for name in policy.deployments:
        if name not in known:
            raise ConfigError(f"{source}: usage_policy.deployments names unknown model or deployment {name!r}")

"""A small typed client for the parts of MLflow's REST API (2.0) the registry reads and writes.

Credentials come from MLflow's own environment variables (MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and
MLFLOW_TRACKING_PASSWORD), never from the command line, so they stay out of shell history and logs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

API = "/api/2.0/mlflow"
PAGE = 200


class MlflowError(Exception):
    """MLflow could not be reached or answered with an error; the message quotes MLflow's own."""


@dataclass(frozen=True)
class MlflowVersion:
    name: str
    version: str
    stage: str
    source: str
    run_id: str | None
    status: str
    description: str
    tags: dict[str, str]
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class MlflowModel:
    name: str
    description: str
    tags: dict[str, str]
    aliases: dict[str, str]  # alias -> version


@dataclass(frozen=True)
class MlflowRun:
    run_id: str
    experiment: str
    artifact_uri: str
    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


def _tags(items: list[dict[str, Any]] | None) -> dict[str, str]:
    return {str(t["key"]): str(t.get("value", "")) for t in items or []}


def _quoted(value: str) -> str:
    """A string literal for MLflow's filter grammar (single quotes, inner quotes doubled is not supported: refused)."""
    if "'" in value:
        raise MlflowError(f"model name {value!r} contains a quote; it cannot be filtered on")
    return f"'{value}'"


def check_uri(uri: str) -> str:
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise MlflowError(f"tracking URI {uri!r} is not an http(s) URL of an MLflow server")
    return uri.rstrip("/")


def _auth() -> httpx.Auth | None:
    user, password = os.environ.get("MLFLOW_TRACKING_USERNAME"), os.environ.get("MLFLOW_TRACKING_PASSWORD")
    return httpx.BasicAuth(user, password) if user and password else None


def _headers() -> dict[str, str]:
    token = os.environ.get("MLFLOW_TRACKING_TOKEN")
    return {"Authorization": f"Bearer {token}"} if token else {}


class MlflowClient:
    """Synchronous: the import is an operator command run once, not a request path."""

    def __init__(self, uri: str, timeout: float = 30.0, transport: httpx.BaseTransport | None = None) -> None:
        self.uri = check_uri(uri)
        self._http = httpx.Client(base_url=self.uri + API, timeout=timeout, auth=_auth(), headers=_headers(),
                                  transport=transport, follow_redirects=False)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> MlflowClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise MlflowError(f"MLflow at {self.uri} did not answer {path}: {exc.__class__.__name__}: {exc}") from None
        if response.status_code >= 400:
            try:
                message = response.json().get("message", response.text[:300])
            except ValueError:
                message = response.text[:300]
            raise MlflowError(f"MLflow answered {response.status_code} to {path}: {message}")
        body: dict[str, Any] = response.json() if response.content else {}
        return body

    def _pages(self, path: str, key: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        token: str | None = None
        while True:
            query = {**params, "max_results": PAGE, **({"page_token": token} if token else {})}
            body = self._call("GET", path, params=query)
            yield from body.get(key, [])
            token = body.get("next_page_token")
            if not token:
                return

    def registered_models(self, name: str | None = None) -> list[MlflowModel]:
        params = {"filter": f"name = {_quoted(name)}"} if name else {}
        return [
            MlflowModel(
                name=m["name"],
                description=m.get("description", "") or "",
                tags=_tags(m.get("tags")),
                aliases={a["alias"]: str(a["version"]) for a in m.get("aliases", [])},
            )
            for m in self._pages("/registered-models/search", "registered_models", params)
        ]

    def aliases(self, name: str) -> dict[str, str]:
        """alias -> version, read from the model itself (the version search does not return aliases)."""
        model = self._call("GET", "/registered-models/get", params={"name": name})["registered_model"]
        return {a["alias"]: str(a["version"]) for a in model.get("aliases", [])}

    def versions(self, name: str) -> list[MlflowVersion]:
        """Every version of NAME, oldest first, each with the aliases that point at it."""
        by_version: dict[str, list[str]] = {}
        for alias, version in self.aliases(name).items():
            by_version.setdefault(version, []).append(alias)
        rows = self._pages("/model-versions/search", "model_versions", {"filter": f"name = {_quoted(name)}"})
        found = [
            MlflowVersion(
                name=v["name"],
                version=str(v["version"]),
                stage=v.get("current_stage", "None") or "None",
                source=v.get("source", "") or "",
                run_id=v.get("run_id") or None,
                status=v.get("status", "READY"),
                description=v.get("description", "") or "",
                tags=_tags(v.get("tags")),
                aliases=tuple(sorted(by_version.get(str(v["version"]), []))),
            )
            for v in rows
        ]
        return sorted(found, key=lambda v: int(v.version) if v.version.isdigit() else 0)

    def run(self, run_id: str) -> MlflowRun:
        run = self._call("GET", "/runs/get", params={"run_id": run_id})["run"]
        info, data = run["info"], run.get("data", {})
        experiment = self._call("GET", "/experiments/get", params={"experiment_id": info["experiment_id"]})
        return MlflowRun(
            run_id=run_id,
            experiment=experiment["experiment"]["name"],
            artifact_uri=info.get("artifact_uri", "") or "",
            params={p["key"]: str(p["value"]) for p in data.get("params", [])},
            metrics={m["key"]: float(m["value"]) for m in data.get("metrics", [])},
            tags=_tags(data.get("tags")),
        )

    def set_version_tag(self, name: str, version: str, key: str, value: str) -> None:
        self._call("POST", "/model-versions/set-tag", json={"name": name, "version": version, "key": key, "value": value})

    def set_model_tag(self, name: str, key: str, value: str) -> None:
        self._call("POST", "/registered-models/set-tag", json={"name": name, "key": key, "value": value})

"""A small HTTP client for the gateway's prediction ingest endpoint."""

from __future__ import annotations

from collections.abc import Sequence

from urllib.parse import quote

import httpx

from registry.monitoring.ingest import MAX_BATCH, IngestResult, PredictionBatch, PredictionRecord


class MonitoringClient:
    """Posts prediction logs to `POST {base_url}/registry/models/{name}/predictions`, split into batches."""

    def __init__(self, base_url: str, api_key: str | None = None, timeout: float = 30.0, transport: httpx.BaseTransport | None = None) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout, transport=transport)

    def log_predictions(self, model_name: str, records: Sequence[PredictionRecord], batch_size: int = 1000) -> IngestResult:
        if not 0 < batch_size <= MAX_BATCH:
            raise ValueError(f"batch_size must be in 1..{MAX_BATCH}, got {batch_size!r}")
        stored = sketched = 0
        missing: set[str] = set()
        for start in range(0, len(records), batch_size):
            body = PredictionBatch(records=list(records[start : start + batch_size])).model_dump(mode="json")
            response = self._http.post(f"/registry/models/{quote(model_name, safe='')}/predictions", json=body)
            response.raise_for_status()
            result = IngestResult.model_validate(response.json())
            stored, sketched = stored + result.stored, sketched + result.sketched
            missing.update(result.versions_without_reference)
        return IngestResult(stored=stored, sketched=sketched, versions_without_reference=sorted(missing))

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> MonitoringClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

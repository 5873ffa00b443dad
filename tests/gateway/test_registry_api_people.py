"""People, not only key ids, in the audit trail: a key names its holder at creation (POST /admin/keys) or later
(PATCH /admin/keys/{id}); registry writes record that person next to the key's actor, and the chain still verifies."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.gateway.test_registry_api_support import Api, model_in, registry_api


def _as(api: Api, key: str, method: str, path: str, body: object = None) -> httpx.Response:
    return api.http.request(method, path, json=body, headers={"authorization": f"Bearer {key}"})


def test_audit_trail_names_the_person_holding_the_key(database_url: str, tmp_path: Path) -> None:
    with registry_api(database_url, tmp_path) as api:
        made = api.ok("admin", "POST", "/admin/keys", {"team": "alpha", "person": "Alice Analyst"})
        key, key_id = made["key"], made["id"]
        assert made["person"] == "Alice Analyst"
        who = _as(api, key, "GET", "/registry/whoami").json()
        assert (who["person"], who["actor"]) == ("Alice Analyst", f"{key_id}@alpha")
        assert _as(api, key, "POST", "/registry/models", model_in("scorer")).status_code == 201

        renamed = api.ok("admin", "PATCH", f"/admin/keys/{key_id}", {"person": "Alice A. Analyst"})
        assert renamed["person"] == "Alice A. Analyst"
        criteria = {"impact": {"financial": "low", "operational": "low", "reputational": "low", "human": "low"},
                    "automation": "informative", "eu_ai_act": "minimal"}
        assert _as(api, key, "POST", "/registry/models/scorer/classification", criteria).status_code == 200

        trail = api.ok("admin", "GET", "/registry/models/scorer/audit")
        entries = trail["data"] if isinstance(trail, dict) else trail
        assert [(e["action"], e["person"], e["actor"]) for e in entries[:2]] == [
            ("model.create", "Alice Analyst", f"{key_id}@alpha"),
            ("model.classify", "Alice A. Analyst", f"{key_id}@alpha"),
        ]
        assert api.ok("admin", "GET", "/registry/audit/verify")["ok"] is True

        bad = api.call("admin", "PATCH", f"/admin/keys/{key_id}", {"person": "x", "role": "admin"})
        assert bad.status_code == 400 and "role" in bad.text
        missing = api.call("admin", "PATCH", "/admin/keys/key_nope", {"person": "x"})
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "key_not_found"

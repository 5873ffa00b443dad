"""Per-version model cards over HTTP: the model's shared sections plus each version's own, audited, and the card
the production gate checks is the version's."""

from __future__ import annotations

from pathlib import Path

from tests.gateway.test_registry_api_support import CARD, model_in, registry_api

M = "/registry/models/scorer"
V1_OWN = {"training_data": {"datasets": ["loans@2024.1"], "known_biases": ["few applicants under 25"]},
          "limitations_and_risks": ["v1: not for self-employed applicants"], "card_date": "2030-01-31"}


def test_cards_per_version_share_the_model_level_parts(database_url: str, tmp_path: Path) -> None:
    with registry_api(database_url, tmp_path) as api:
        api.ok("alpha", "POST", "/registry/models", model_in("scorer"))
        for version in ("1", "2"):
            api.ok("alpha", "POST", M + "/versions", {"version": version})
        api.ok("alpha", "PUT", M + "/card", CARD)
        api.ok("alpha", "PUT", M + "/versions/1/card", V1_OWN)

        one = api.ok("alpha", "GET", M + "/versions/1/card")
        two = api.ok("alpha", "GET", M + "/versions/2/card")
        assert (one["details"]["version"], two["details"]["version"]) == ("1", "2")
        assert one["details"]["card_date"] == "2030-01-31"
        assert one["limitations_and_risks"] == ["v1: not for self-employed applicants"]
        assert two["limitations_and_risks"] == CARD["limitations_and_risks"]  # the shared part
        assert one["intended_use"] == two["intended_use"] == CARD["intended_use"]
        markdown = api.call("alpha", "GET", M + "/versions/1/card", format="markdown")
        assert markdown.status_code == 200 and "v1: not for self-employed applicants" in markdown.text

        bad = api.call("alpha", "PUT", M + "/versions/1/card", {"intended_use": {"primary_uses": ["x"]}})
        assert bad.status_code == 400 and "intended_use" in bad.json()["error"]["message"]
        assert api.call("alpha", "GET", M + "/versions/9/card").status_code == 404
        assert api.call("beta", "PUT", M + "/versions/1/card", V1_OWN).status_code == 404

        trail = api.ok("alpha", "GET", M + "/audit")
        entries = trail["data"] if isinstance(trail, dict) else trail
        [entry] = [e for e in entries if e["action"] == "version.card"]
        assert entry["subject"] == "model:scorer@1" and entry["after"]["card_date"] == "2030-01-31"

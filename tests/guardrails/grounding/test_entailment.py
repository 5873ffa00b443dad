"""The shipped entailment model: checksum at load, result shape, and the cases it exists for."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from guardrails.grounding.entail import EntailmentScorer
from guardrails.grounding.nli import WEIGHTS_DIR, ModelIntegrityError, NliModel

CONTEXT = [
    "[1] Revenue from the SME segment rose 12% in the third quarter, driven mainly by new subscriptions in Germany.",
    "[2] Support is available Monday to Friday, 9am to 6pm. Weekend requests are answered on Monday.",
]


@pytest.fixture(scope="module")
def scorer() -> EntailmentScorer:
    return EntailmentScorer(NliModel())


def test_a_tampered_model_file_is_refused(tmp_path: Path) -> None:
    meta = json.loads((WEIGHTS_DIR / "nli.json").read_text(encoding="utf-8"))
    shutil.copy(WEIGHTS_DIR / "nli.json", tmp_path / "nli.json")
    blob = bytearray((WEIGHTS_DIR / meta["file"]).read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    (tmp_path / meta["file"]).write_bytes(bytes(blob))
    with pytest.raises(ModelIntegrityError, match="expected " + meta["sha256"]):
        NliModel(tmp_path)


def test_probabilities_come_one_per_pair_in_zero_one(scorer: EntailmentScorer) -> None:
    probs = scorer.model.entailment([("Support is available Monday to Friday.", "Support is open on weekdays."),
                                     ("", "An empty evidence string is still scored.")])
    assert probs.shape == (2,) and ((probs >= 0) & (probs <= 1)).all()
    assert scorer.model.entailment([]).shape == (0,)


def test_the_result_keeps_its_shape_and_offsets(scorer: EntailmentScorer) -> None:
    answer = "Support works on weekdays [2]. Revenue from SMEs rose 45% in Q3 [1]."
    result = scorer.score(answer, CONTEXT)
    assert len(result.claims) == 2
    for claim in result.claims:
        assert answer[claim.start:claim.end] == claim.text
    invented = result.claims[1]
    assert invented.score < scorer.threshold and "number or date not found in the context" in invented.reasons
    assert invented.cited == (1,)
    assert result.score == min(c.score for c in result.claims)


def test_bad_citations_are_still_reported(scorer: EntailmentScorer) -> None:
    assert scorer.score("Support works on weekdays [7].", CONTEXT).bad_citations == (7,)


def test_no_claims_is_fully_grounded(scorer: EntailmentScorer) -> None:
    assert scorer.score("Sure!", CONTEXT).score == 1.0


async def test_the_guardrail_runs_the_entailment_engine() -> None:
    from guardrails.base import CheckContext, Segment
    from guardrails.grounding import GroundingGuardrail, GroundingOptions

    guardrail = GroundingGuardrail(GroundingOptions(engine="entailment", mode="flag"))
    await guardrail.setup()
    verdict = await guardrail.check([Segment("Revenue from SMEs rose 45% in Q3 [1].", "output")],
                                    CheckContext(stage="output", documents=tuple(CONTEXT)))
    assert verdict.action == "flag" and any(f.kind == "ungrounded" for f in verdict.findings)


async def test_a_policy_can_set_the_lexical_blend() -> None:
    from guardrails.grounding import GroundingGuardrail, GroundingOptions

    alone = GroundingGuardrail(GroundingOptions(engine="entailment", lexical_weight=0.0))
    await alone.setup()
    shipped = GroundingGuardrail(GroundingOptions(engine="entailment"))
    await shipped.setup()
    assert alone._scorer.lexical_weight == 0.0  # noqa: SLF001
    assert shipped._scorer.lexical_weight == NliModel().meta.lexical_weight > 0  # noqa: SLF001

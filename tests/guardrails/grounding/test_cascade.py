"""The grounding cascade: lexical keeps the claims it is sure of, only the uncertain band reaches the model."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from guardrails.grounding.cascade import CascadeScorer, rescale
from guardrails.grounding.guardrail import GroundingGuardrail, GroundingOptions
from guardrails.grounding.nli import NliModel
from guardrails.grounding.scorer import GroundingScorer

CONTEXT = [
    "[1] Revenue from the SME segment rose 12% in the third quarter, driven mainly by new subscriptions in Germany.",
    "[2] Support is available Monday to Friday, 9am to 6pm. Weekend requests are answered on Monday.",
]
SURE_GROUNDED = "Support is available Monday to Friday, 9am to 6pm [2]."
SURE_INVENTED = "Revenue from SMEs rose 45% in Q3 [1]."
UNCERTAIN = "Revenue from the SME segment fell sharply in France."


@pytest.fixture(scope="module")
def model() -> NliModel:
    return NliModel()


@pytest.mark.parametrize("answer", [SURE_GROUNDED, SURE_INVENTED, f"{SURE_GROUNDED} {SURE_INVENTED}"])
def test_claims_lexical_is_sure_of_never_reach_the_model(model: NliModel, answer: str) -> None:
    cascade, lexical = CascadeScorer(model), GroundingScorer()
    result = cascade.score(answer, CONTEXT)
    assert cascade.claims_sent == 0
    expected = lexical.score(answer, CONTEXT)
    assert result.score == expected.score
    assert [c.score for c in result.claims] == [c.score for c in expected.claims]


def test_an_uncertain_claim_goes_to_the_model_once(model: NliModel) -> None:
    cascade = CascadeScorer(model)
    lexical_support = GroundingScorer().score(UNCERTAIN, CONTEXT).claims[0].score
    assert cascade.band[0] <= lexical_support <= cascade.band[1]
    result = cascade.score(f"{SURE_GROUNDED} {UNCERTAIN}", CONTEXT)
    assert cascade.claims_sent == 1
    assert result.claims[0].score == GroundingScorer().score(SURE_GROUNDED, CONTEXT).claims[0].score
    modelled = result.claims[1]
    assert not any(r.startswith(("name not found", "only ")) for r in modelled.reasons)


def test_the_full_band_sends_every_claim(model: NliModel) -> None:
    cascade = CascadeScorer(model, band=(0.0, 1.0))
    result = cascade.score(f"{SURE_GROUNDED} {SURE_INVENTED}", CONTEXT)
    assert cascade.claims_sent == 2
    assert result.claims[1].score < cascade.threshold  # the missing figure still caps it


@pytest.mark.parametrize("band", [(0.6, 0.4), (-0.1, 0.5), (0.2, 1.5)])
def test_a_disordered_band_is_refused(model: NliModel, band: tuple[float, float]) -> None:
    with pytest.raises(ValueError, match="band"):
        CascadeScorer(model, band=band)
    with pytest.raises(ValidationError, match="band"):
        GroundingOptions(engine="cascade", band=band)


def test_rescale_moves_the_threshold_and_keeps_every_verdict() -> None:
    blend = np.linspace(0.0, 1.0, 101)
    mapped = rescale(blend, 0.3, 0.5)
    assert mapped[0] == 0.0 and mapped[-1] == 1.0 and rescale(np.array([0.3]), 0.3, 0.5)[0] == 0.5
    assert (np.diff(mapped) > 0).all()
    assert ((blend >= 0.3) == (mapped >= 0.5)).all()


async def test_the_guardrail_builds_the_cascade_with_its_band() -> None:
    guardrail = GroundingGuardrail(GroundingOptions(engine="cascade", band=(0.1, 0.6)))
    await guardrail.setup()
    scorer = guardrail._scorer  # noqa: SLF001
    assert isinstance(scorer, CascadeScorer) and scorer.band == (0.1, 0.6)
    assert guardrail._threshold == GroundingScorer().combiner.threshold  # noqa: SLF001

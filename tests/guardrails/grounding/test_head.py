"""The shipped grounding pair head: integrity at load, result shape, and the cases it exists for."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from guardrails.base import CheckContext, Segment
from guardrails.grounding import GroundingGuardrail, GroundingOptions
from guardrails.grounding.headscore import HeadScorer, load_head_scorer
from guardrails.grounding.pairhead import META_FILE, WEIGHTS_DIR, WIDTH, HeadIntegrityError, load_head

CONTEXT = [
    "[1] Revenue from the SME segment rose 12% in the third quarter, driven mainly by new subscriptions in Germany.",
    "[2] Support is available Monday to Friday, 9am to 6pm. Weekend requests are answered on Monday.",
]


@pytest.fixture(scope="module")
def scorer() -> HeadScorer:
    return load_head_scorer()


def _copy_meta(folder: Path) -> dict[str, object]:
    shutil.copy(WEIGHTS_DIR / META_FILE, folder / META_FILE)
    return json.loads((folder / META_FILE).read_text(encoding="utf-8"))


def _rewrite(folder: Path, meta: dict[str, object], blob: bytes) -> None:
    import hashlib

    (folder / str(meta["file"])).write_bytes(blob)
    meta["sha256"] = hashlib.sha256(blob).hexdigest()
    (folder / META_FILE).write_text(json.dumps(meta), encoding="utf-8")


def test_a_tampered_weights_file_is_refused(tmp_path: Path) -> None:
    meta = _copy_meta(tmp_path)
    blob = bytearray((WEIGHTS_DIR / str(meta["file"])).read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    (tmp_path / str(meta["file"])).write_bytes(bytes(blob))
    with pytest.raises(HeadIntegrityError, match="expected " + str(meta["sha256"])):
        load_head(tmp_path)


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"mean": np.zeros(3)}, "lacks arrays"),
        ({k: np.zeros(s) for k, s in {"mean": (5,), "scale": (5,), "w1": (5, 2), "b1": (2,), "w2": (2,),
                                       "b2": (1,)}.items()}, "mean has shape"),
        ({k: np.array([object()] * 2) for k in ("mean", "scale", "w1", "b1", "w2", "b2")}, "not plain numbers"),
    ],
)
def test_checksummed_but_wrong_arrays_are_refused(tmp_path: Path, arrays: dict[str, np.ndarray], message: str) -> None:
    meta = _copy_meta(tmp_path)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    _rewrite(tmp_path, meta, buffer.getvalue())
    with pytest.raises(HeadIntegrityError, match=message):
        load_head(tmp_path)


def test_inputs_have_one_row_per_claim(scorer: HeadScorer) -> None:
    found = scorer.inputs("Support works on weekdays [2]. Sure! Revenue from SMEs rose 45% in Q3 [1].", CONTEXT)
    assert found.rows.shape == (2, WIDTH) and np.isfinite(found.rows).all()
    assert scorer.inputs("Sure!", CONTEXT).rows.shape == (0, WIDTH)


def test_the_result_keeps_its_shape_and_offsets(scorer: HeadScorer) -> None:
    answer = "Support works on weekdays [2]. Revenue from SMEs rose 45% in Q3 because of a merger in Brazil [1]."
    result = scorer.score(answer, CONTEXT)
    assert len(result.claims) == 2
    for claim in result.claims:
        assert answer[claim.start:claim.end] == claim.text and 0.0 <= claim.score <= 1.0
    invented = result.claims[1]
    assert invented.score < scorer.threshold and invented.reasons and invented.cited == (1,)
    assert result.score == min(c.score for c in result.claims)


def test_a_paraphrase_scores_above_the_same_answer_with_an_invented_detail(scorer: HeadScorer) -> None:
    faithful = scorer.score("Sales to SMEs grew by 12 percent in Q3, mostly thanks to new German subscriptions.", CONTEXT)
    invented = scorer.score("Sales to SMEs grew by 12 percent in Q3, mostly thanks to new subscriptions in Germany "
                            "and France after the March price cut.", CONTEXT)
    assert faithful.score > invented.score


def test_bad_citations_and_empty_answers(scorer: HeadScorer) -> None:
    assert scorer.score("Support works on weekdays [7].", CONTEXT).bad_citations == (7,)
    assert scorer.score("Sure!", CONTEXT).score == 1.0
    assert scorer.score("Support works on weekdays.", [""]).claims[0].score < scorer.threshold


async def test_the_guardrail_runs_the_head_engine() -> None:
    guardrail = GroundingGuardrail(GroundingOptions(engine="head", mode="flag"))
    await guardrail.setup()
    verdict = await guardrail.check([Segment("Revenue from SMEs rose 45% in Q3 after a merger in Brazil [1].", "output")],
                                    CheckContext(stage="output", documents=tuple(CONTEXT)))
    assert verdict.action == "flag" and any(f.kind == "ungrounded" and f.end > f.start for f in verdict.findings)

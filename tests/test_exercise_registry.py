"""Every registered exercise, in every chapter: the reference passes, each declared
mistake gets its own hint, and no hint gives the answer away."""

import numpy as np
import pytest

from nnlearn.exercises.core import ChoiceExercise, FunctionExercise, TableExercise, _resolve
from nnlearn.exercises.registry import all_exercises

EXERCISES = all_exercises()


def _reference_answer(ex):
    if isinstance(ex, FunctionExercise):
        return ex.reference
    return _resolve(ex.reference)


@pytest.mark.parametrize("ex_id", sorted(EXERCISES))
def test_reference_is_correct(ex_id, capsys):
    ex = EXERCISES[ex_id]
    assert ex.check(_reference_answer(ex)).status == "correct"


def _text_rows(ex):
    return [k for k, v in dict(_resolve(ex.reference)).items() if isinstance(v, str)] \
        if isinstance(ex, TableExercise) else []


@pytest.mark.parametrize("ex_id", sorted(EXERCISES))
def test_each_declared_mistake_gets_its_hint(ex_id, capsys, monkeypatch):
    # the function exercises' inputs are drawn with a fixed seed here, so that a rare draw on
    # which two slips coincide cannot make the test flaky (the learner's checks stay fresh)
    from nnlearn.exercises import core

    seeds = iter(range(10_000))
    monkeypatch.setattr(core, "_fresh_rng", lambda: np.random.default_rng(next(seeds)))
    ex = EXERCISES[ex_id]
    text_rows = _text_rows(ex)
    for mistake in ex.mistakes:
        answer = mistake.answer
        if not isinstance(ex, FunctionExercise) and callable(answer):
            answer = answer()
        result = ex.check(answer)
        assert result.status == "incorrect", (ex_id, mistake.hint)
        wrong_text = [k for k in text_rows if k in answer and answer[k] != _resolve(ex.reference)[k]]
        if wrong_text:
            # a row of text (yes/no) is never named, nor given a hint of its own: either would
            # give its answer away; the message counts the wrong rows and gives the general hint
            assert result.message.endswith(f"Hint: {ex.hint}"), (ex_id, result.message)
            assert f"{len(wrong_text)} of the {len(text_rows)}" in result.message
            assert not any(k in result.message for k in text_rows), (ex_id, result.message)
        else:
            assert mistake.hint in result.message, (ex_id, result.message)


@pytest.mark.parametrize("ex_id", sorted(EXERCISES))
def test_pending_placeholder(ex_id, capsys):
    assert EXERCISES[ex_id].check(...).status == "pending"


@pytest.mark.parametrize("ex_id", sorted(e for e in EXERCISES
                                         if not isinstance(EXERCISES[e], (FunctionExercise, ChoiceExercise, TableExercise))))
def test_hints_do_not_contain_the_answer(ex_id):
    ex = EXERCISES[ex_id]
    ref = np.ravel(np.asarray(_resolve(ex.reference), dtype=float))
    texts = [ex.hint] + [m.hint for m in ex.mistakes]
    for v in ref:
        if abs(v) in (0.0, 1.0, 2.0, 3.0):   # too common to mean anything
            continue
        for fmt in (f"{v:g}", f"{v:.2f}", f"{v:.3g}"):
            assert not any(f" {fmt}" in t or t.startswith(fmt) for t in texts), (ex_id, fmt)

"""Workbook 00 (how the exercises work): what its text says the checker does, against the
checker itself."""

import re
from pathlib import Path

import numpy as np

from nnlearn.exercises import ch00

WORKBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "00_how_exercises_work.md"
EX = {e.id: e for e in ch00.EXERCISES}


def test_the_shape_paragraph_matches_the_checker():
    """A1 (rev12): the workbook said a column was rejected for its shape; the checker
    forgives a singleton axis and reports only a wrong number of entries."""
    text = " ".join(WORKBOOK.read_text(encoding="utf-8").split())
    assert "A singleton axis more or less is forgiven" in text
    example = re.search(r"such as `(\[[^`]*\])`, is reported as having the shape `(\([^`]*\))`", text)
    assert example, "the workbook's example of a wrong shape moved: update this test"
    answer, shape = eval(example.group(1)), example.group(2)
    r = EX["0.2"].check(answer)
    assert r.status == "invalid" and f"got {shape}" in r.message
    right = ch00.A @ ch00.w - ch00.b
    assert EX["0.2"].check(right[:, None].tolist()).status == "correct"    # a column
    assert EX["0.2"].check(right[None, :].tolist()).status == "correct"    # a row
    wrong = (right + 1.0)[:, None].tolist()
    assert EX["0.2"].check(wrong).status == "incorrect"                   # judged on its values


def test_the_quoted_hint_for_9_is_the_checkers():
    text = WORKBOOK.read_text(encoding="utf-8")
    quoted = re.search(r"> (❌ Exercise 0\.1: not yet right\. Hint: [^\n]*)", text).group(1)
    assert EX["0.1"].check(9).message == quoted
    assert EX["0.1"].check(2 ** 1 * 3).status == "correct"
    assert np.isclose(EX["0.1"].reference, 6.0)


def test_what_the_workbook_says_a_function_check_proves():
    """r2a A2: the workbook said a function "passes only if it is right for every input".
    The checker tries a few fresh random inputs: a function typed for one input fails, but
    one that goes wrong only far from the inputs tried passes. The text now says both."""
    text = " ".join(WORKBOOK.read_text(encoding="utf-8").split())
    assert "right for every input" not in text
    assert "A pass is strong evidence, not a proof" in text
    sigmoid = lambda x: 1 / (1 + np.exp(-x))
    assert EX["0.3"].check(sigmoid).status == "correct"
    fixed = sigmoid(np.array([0.5]))
    assert EX["0.3"].check(lambda x: np.broadcast_to(fixed, np.shape(x))).status == "incorrect"
    wrong_far_away = lambda x: sigmoid(x) if np.all(np.abs(x) < 100) else -x
    assert EX["0.3"].check(wrong_far_away).status == "correct"       # evidence, not proof
    first, second = EX["0.3"].check(sigmoid).inputs, EX["0.3"].check(sigmoid).inputs
    assert not np.array_equal(first[0]["x"], second[0]["x"])           # fresh inputs per call

"""The exercise checkers: right answers, common wrong answers and their hints,
malformed answers, pending answers, and that no message gives the answer away.

The exercises below are built here (not registered) with distinctive reference
values, so that a leak of the reference into a message is easy to detect.
"""

from __future__ import annotations

import math
import re
import signal
import sys
import threading
import time

import numpy as np
import torch
import pytest

from nnlearn.exercises import (
    ArrayExercise,
    CheckResult,
    ChoiceExercise,
    ExerciseNotFound,
    FunctionExercise,
    Mistake,
    NumberExercise,
    TableExercise,
    all_exercises,
    chapters,
    check,
    exercises_of_chapter,
    get_exercise,
)
from nnlearn.exercises import core

PENDING = "not yet answered — replace the ... with your answer and run the cell again."


@pytest.fixture(autouse=True)
def _no_expectation(monkeypatch):
    monkeypatch.delenv("NNLEARN_EXPECT", raising=False)


def run(exercise, answer, capsys) -> CheckResult:
    """Check, and assert that exactly the one message line was printed, nothing else."""
    result = exercise.check(answer)
    out, err = capsys.readouterr()
    assert out == result.message + "\n"
    assert err == ""
    assert "\n" not in result.message and "Traceback" not in result.message
    assert result.status in core.STATUSES
    assert bool(result) == (result.status == "correct")
    return result


def forms(x: float) -> list[str]:
    """Ways a number may be written in a message."""
    return sorted({repr(x), str(x), f"{x:.2f}", f"{x:.3f}", f"{x:.4f}", f"{x:.3g}", f"{x:.4g}",
                   f"{x:e}", f"{x:.3e}", str(np.float64(x)), np.array2string(np.array(x))})


def assert_no_leak(message: str, values) -> None:
    for v in np.ravel(values):
        for s in forms(float(v)):
            assert s not in message, f"{s!r} (the reference {v}) appears in: {message}"


# --------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------

NUM_REF = 0.7371
NUM = NumberExercise(
    id="9.1", reference=NUM_REF, n=8, solution="answer_9_1 = 0.7371",
    hint="Follow both paths from x to y.",
    mistakes=[Mistake(1 - NUM_REF, "That is the complement: one path is missing.")],
)


@pytest.mark.parametrize("answer", [NUM_REF, 0.73710001, np.float64(NUM_REF), np.array(NUM_REF),
                                    np.array([NUM_REF])])
def test_number_correct(answer, capsys):
    r = run(NUM, answer, capsys)
    assert r.status == "correct"
    assert r.message == "✅ Exercise 9.1: correct."


def test_number_correct_as_a_torch_tensor(capsys):
    torch = pytest.importorskip("torch")
    assert run(NUM, torch.tensor(NUM_REF, requires_grad=True), capsys).status == "correct"


def test_number_correct_with_a_remark(capsys):
    ex = NumberExercise(id="9.1", reference=5, remark="Two paths, two terms.")
    assert run(ex, 5, capsys).message == "✅ Exercise 9.1: correct. Two paths, two terms."


@pytest.mark.parametrize("answer", [..., None])
def test_number_pending(answer, capsys):
    r = run(NUM, answer, capsys)
    assert r.status == "pending"
    assert r.message == f"⏳ Exercise 9.1: {PENDING}"


@pytest.mark.parametrize("answer, hint", [
    (-NUM_REF, core.HINT_SIGN),
    (2 * NUM_REF, core.HINT_DOUBLE),
    (NUM_REF / 2, core.HINT_HALF),
    (8 * NUM_REF, core.HINT_N_LARGE.format(n=8)),
    (NUM_REF / 8, core.HINT_N_SMALL.format(n=8)),
    (1 - NUM_REF, "That is the complement: one path is missing."),
    (0.7372, core.HINT_CLOSE),
    (0.5, "Follow both paths from x to y."),
])
def test_number_common_mistakes_get_their_hint(answer, hint, capsys):
    r = run(NUM, answer, capsys)
    assert r.status == "incorrect"
    assert r.message.startswith("❌ Exercise 9.1: not yet right. Hint: ")
    assert r.hint == core._sentence(hint)
    assert r.message.endswith(r.hint)
    assert_no_leak(r.message, NUM_REF)


def test_number_hint_texts_in_full(capsys):
    assert run(NUM, -NUM_REF, capsys).message == (
        "❌ Exercise 9.1: not yet right. Hint: Your method looks right, but a sign or a constant "
        "factor is off somewhere: re-check which quantity is subtracted from which, every minus "
        "sign the chain rule brings, and the constant factors (a ½ in front of a square, the 2 "
        "that differentiating a square brings down, a learning rate).")
    assert run(NUM, 8 * NUM_REF, capsys).hint == (
        "Re-check how the 8 samples enter your computation: a sum or a mean over them, and where "
        "each constant factor and sign belongs.")


# Words that would say which relation holds between a wrong answer and the reference
RELATION_WORDS = ("opposite", "twice", "half as", "times too", "times as", "too large", "too small",
                  "transpose of", "is the transpose", "negative of", "flipped")


def test_no_generic_hint_says_which_relation_holds(capsys):
    # reliability.md §4: "opposite sign", "twice", "half", "×N", "transposed" each gave the answer
    # in one step. The hint for −x, 2x and x/2 is now one and the same, so is the hint for N·x and
    # x/N, and none of them names a relation: each wrong answer leaves several candidates open.
    factor = {run(NUM, a, capsys).hint for a in (-NUM_REF, 2 * NUM_REF, NUM_REF / 2)}
    samples = {run(NUM, a, capsys).hint for a in (8 * NUM_REF, NUM_REF / 8)}
    assert len(factor) == 1 and len(samples) == 1 and factor != samples
    hints = factor | samples | {run(SQUARE, [[1.0, 3.0], [2.0, 4.0]], capsys).hint}
    for ex, answers in ((ARR, [-ARR_REF, 2 * ARR_REF, ARR_REF / 2, 4 * ARR_REF, ARR_REF / 4]),):
        hints |= {run(ex, a, capsys).hint for a in answers}
    assert len(hints) == 4          # signs and factors; the N samples (n = 8 and n = 4); orientation
    for h in hints:
        for word in RELATION_WORDS:
            assert word not in h.lower(), (word, h)
    # the orientation hint also covers the signs, so that it does not single out the transpose
    assert "signs" in run(SQUARE, [[1.0, 3.0], [2.0, 4.0]], capsys).hint


@pytest.mark.parametrize("answer, message", [
    ("6", "expected a number, got the string '6' — remove the quotes."),
    ([0.5, 0.25], "expected a single number, got a list of 2 items."),
    (np.ones((2, 3)), "expected a single number, got an array of shape (2, 3)."),
    (True, "expected a number, got True."),
    (float("nan"), "expected a finite number, got nan — a division by zero or an overflow somewhere?"),
    (math.sin, "expected a number, got a function — call it and give its result."),
    (1 + 2j, "expected a real number, got the complex number (1+2j)."),
    ({"a": 1}, "expected a single number, got a dict of 1 item."),
])
def test_number_malformed_answers_are_explained_in_one_line(answer, message, capsys):
    r = run(NUM, answer, capsys)
    assert r.status == "invalid"
    assert r.message == f"⚠️ Exercise 9.1: {message}"
    assert_no_leak(r.message, NUM_REF)


def test_zero_reference_has_no_spurious_sign_or_factor_hint(capsys):
    ex = NumberExercise(id="9.1", reference=0.0, hint="The gradient at a minimum.")
    assert run(ex, 0.0, capsys).status == "correct"
    assert run(ex, 1.0, capsys).hint == "The gradient at a minimum."


# --------------------------------------------------------------------------
# Arrays
# --------------------------------------------------------------------------

ARR_REF = np.array([[1.5, -2.25, 3.125], [0.5, 4.75, -1.375]])
W = np.array([[0.5, -1.0], [2.0, 0.25], [-0.75, 1.5]])
X = np.array([1.25, -0.5])
BIAS = np.array([0.125, -0.375, 0.625])
ARR = ArrayExercise(id="9.2", reference=ARR_REF, n=4, hint="Write out one entry first.")
AFFINE = ArrayExercise(
    id="9.3", reference=lambda: W @ X + BIAS, hint="z = W x + b.",
    mistakes=[Mistake(lambda: W @ X, "The bias b is missing from z.")])
SQUARE = ArrayExercise(id="9.4", reference=[[1.0, 2.0], [3.0, 4.0]])


def test_array_correct_in_any_container(capsys):
    for answer in (ARR_REF, ARR_REF.tolist(), ARR_REF + 1e-9):
        assert run(ARR, answer, capsys).status == "correct"
    torch = pytest.importorskip("torch")
    assert run(ARR, torch.tensor(ARR_REF), capsys).status == "correct"
    assert run(ARR, torch.tensor(ARR_REF, dtype=torch.float32), capsys).status == "correct"


def test_array_shape_is_checked_before_values(capsys):
    r = run(ARR, ARR_REF.T, capsys)
    assert r.status == "invalid"
    assert r.message == ("⚠️ Exercise 9.2: expected an array of shape (2, 3), got (3, 2) — "
                         "did you transpose?")
    r = run(ARR, ARR_REF.ravel(), capsys)
    assert r.message == ("⚠️ Exercise 9.2: expected an array of shape (2, 3), got (6,) — the right "
                         "number of entries in the wrong layout (see .reshape(2, 3)).")
    r = run(ARR, np.zeros((2, 2)), capsys)
    assert r.message == "⚠️ Exercise 9.2: expected an array of shape (2, 3), got (2, 2)."
    r = run(ARR, 3.0, capsys)
    assert r.message == "⚠️ Exercise 9.2: expected an array of shape (2, 3), got a single number."
    for bad in (ARR_REF.T, ARR_REF.ravel(), np.zeros((2, 2))):
        assert_no_leak(run(ARR, bad, capsys).message, ARR_REF)


@pytest.mark.parametrize("answer, message", [
    ([[1, 2, 3], [4, 5]], "expected an array of shape (2, 3), but the rows of your nested list have "
                          "different lengths."),
    ([["1", "2", "3"], ["4", "5", "6"]], "expected an array of shape (2, 3) of numbers, got an array "
                                         "of strings — remove the quotes."),
    ("1.5, -2.25", "expected an array of shape (2, 3), got the string '1.5, -2.25'."),
    (np.full((2, 3), np.inf), "expected an array of shape (2, 3) of finite numbers, but yours contains "
                              "nan or inf — a division by zero or an overflow somewhere?"),
])
def test_array_malformed(answer, message, capsys):
    r = run(ARR, answer, capsys)
    assert r.status == "invalid"
    assert r.message == f"⚠️ Exercise 9.2: {message}"


@pytest.mark.parametrize("answer", [..., None, [[..., ..., ...], [..., ..., ...]], [[1.5, ..., 3.0], [0, 0, 0]]])
def test_array_pending(answer, capsys):
    assert run(ARR, answer, capsys).message == f"⏳ Exercise 9.2: {PENDING}"


@pytest.mark.parametrize("answer, hint", [
    (-ARR_REF, core.HINT_SIGN),
    (2 * ARR_REF, core.HINT_DOUBLE),
    (ARR_REF / 2, core.HINT_HALF),
    (4 * ARR_REF, core.HINT_N_LARGE.format(n=4)),
    (ARR_REF / 4, core.HINT_N_SMALL.format(n=4)),
    (ARR_REF + 0.5, "Write out one entry first."),
])
def test_array_common_mistakes(answer, hint, capsys):
    r = run(ARR, answer, capsys)
    assert r.status == "incorrect"
    assert r.hint == core._sentence(hint)
    assert_no_leak(r.message, ARR_REF)


def test_array_transposed_square_and_forgotten_bias(capsys):
    r = run(SQUARE, [[1.0, 3.0], [2.0, 4.0]], capsys)
    assert r.hint == core._sentence(core.HINT_TRANSPOSE)
    r = run(AFFINE, W @ X, capsys)
    assert r.message == "❌ Exercise 9.3: not yet right. Hint: The bias b is missing from z."
    assert_no_leak(r.message, W @ X + BIAS)
    assert run(AFFINE, W @ X + BIAS, capsys).status == "correct"


def test_symmetric_reference_does_not_call_itself_transposed(capsys):
    ex = ArrayExercise(id="9.4", reference=[[2.0, 1.0], [1.0, 3.0]], hint="Again.")
    assert run(ex, [[2.0, 1.0], [1.0, 5.0]], capsys).hint == "Again."


# --------------------------------------------------------------------------
# Functions
# --------------------------------------------------------------------------

def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def delta_ref(z, g):
    """The delta of a sigmoid layer: the upstream gradient times σ′(z)."""
    return g * _sigmoid(z) * (1 - _sigmoid(z))


DELTA = FunctionExercise(
    id="9.5", reference=delta_ref,
    inputs=lambda rng: {"z": rng.normal(size=(4, 3)), "g": rng.normal(size=(4, 3))},
    hint="The chain rule through σ.",
    mistakes=[Mistake(lambda z, g: g, "The factor σ′(z) is missing."),
              Mistake(lambda z, g: g * _sigmoid(z), "σ′(z) is σ(z)(1 − σ(z)), not σ(z).")],
)
MSE = FunctionExercise(
    id="9.6", reference=lambda y, d: np.mean((y - d) ** 2),
    inputs=lambda rng: {"y": rng.normal(size=5), "d": rng.normal(size=5)},
    hint="The mean of the squared errors.",
)
SCALAR = FunctionExercise(
    id="9.7", reference=lambda x: 3 * x ** 2,
    inputs=lambda rng: {"x": float(rng.uniform(0.2, 0.9))},
    hint="The power rule.",
)
BACKWARD = FunctionExercise(
    id="9.8", reference=lambda X, G: (G.T @ X, G.sum(axis=0)),
    inputs=lambda rng: {"X": rng.normal(size=(5, 4)), "G": rng.normal(size=(5, 3))},
    output_names=("dW", "db"), hint="dW = Gᵀ X and db = 1ᵀ G.",
)


def test_function_correct_and_inputs_are_fresh(capsys):
    r1 = run(DELTA, lambda z, g: g * np.exp(-z) / (1 + np.exp(-z)) ** 2, capsys)
    r2 = run(DELTA, delta_ref, capsys)
    assert r1.status == r2.status == "correct"
    assert len(r1.inputs) == DELTA.trials
    assert not np.allclose(r1.inputs[0]["z"], r2.inputs[0]["z"])
    assert not np.allclose(r1.inputs[0]["z"], r1.inputs[1]["z"])


def test_function_that_hard_codes_one_input_fails(capsys):
    seen = run(MSE, lambda y, d: np.mean((y - d) ** 2), capsys).inputs[0]
    answer = float(np.mean((seen["y"] - seen["d"]) ** 2))

    def cheat(y, d):  # right for the inputs of the previous check only
        return answer if np.array_equal(y, seen["y"]) else 0.0

    r = run(MSE, cheat, capsys)
    assert r.status == "incorrect"
    assert r.hint == core._sentence(core.HINT_CONSTANT)


@pytest.mark.parametrize("answer, hint", [
    (lambda z, g: g, "The factor σ′(z) is missing."),
    (lambda z, g: g * _sigmoid(z), "σ′(z) is σ(z)(1 − σ(z)), not σ(z)."),
    (lambda z, g: -delta_ref(z, g), core._sentence(core.HINT_SIGN)),
    (lambda z, g: 2 * delta_ref(z, g), core._sentence(core.HINT_DOUBLE)),
    (lambda z, g: delta_ref(z, g) + 0.1, "The chain rule through σ."),
])
def test_function_mistakes_are_recognised_on_the_same_inputs(answer, hint, capsys):
    r = run(DELTA, answer, capsys)
    assert r.status == "incorrect"
    assert r.hint == hint
    assert r.message == f"❌ Exercise 9.5: not yet right. Hint: {hint}"


def test_function_sum_instead_of_mean_and_the_half(capsys):
    assert run(MSE, lambda y, d: np.sum((y - d) ** 2), capsys).hint == \
        core._sentence(core.HINT_N_LARGE.format(n=5))
    assert run(MSE, lambda y, d: 0.5 * np.mean((y - d) ** 2), capsys).hint == \
        core._sentence(core.HINT_HALF)


def test_function_pending(capsys):
    def todo(z, g):
        return ...

    def not_implemented(z, g):
        raise NotImplementedError

    for answer in (..., None, todo, not_implemented):
        assert run(DELTA, answer, capsys).message == f"⏳ Exercise 9.5: {PENDING}"


def test_function_that_raises_is_reported_in_one_sentence(capsys):
    r = run(SCALAR, lambda x: 1 / (x - x), capsys)
    assert r.status == "invalid"
    assert re.fullmatch(r"⚠️ Exercise 9\.7: your function raised ZeroDivisionError: float division "
                        r"by zero when called with x=0\.\d+\.", r.message), r.message

    def uses_math(z, g):
        return g * math.exp(-z)

    r = run(DELTA, uses_math, capsys)
    assert r.message.startswith("⚠️ Exercise 9.5: your function raised TypeError: ")
    assert "when called with z of shape (4, 3), g of shape (4, 3)" in r.message
    assert "NumPy's functions (np.exp, ...) work on whole arrays" in r.message


@pytest.mark.parametrize("answer, message", [
    (lambda z: z, "your function should take 2 arguments (z, g), but its signature is <lambda>(z)."),
    (lambda z, g: None, "your function returned None — did you forget the return statement?"),
    (lambda z, g: (g * z).T, "your function's output, called with z of shape (4, 3), g of shape (4, 3): "
                             "expected an array of shape (4, 3), got (3, 4) — did you transpose?"),
    (lambda z, g: 0.25, "your function's output, called with z of shape (4, 3), g of shape (4, 3): "
                        "expected an array of shape (4, 3), got a single number."),
    (3.0, "expected a function, got a float — give the function's name without calling it "
          "(no parentheses)."),
])
def test_function_malformed(answer, message, capsys):
    r = run(DELTA, answer, capsys)
    assert r.status == "invalid"
    assert r.message == f"⚠️ Exercise 9.5: {message}"


def test_function_with_several_outputs(capsys):
    assert run(BACKWARD, lambda X, G: (G.T @ X, G.sum(axis=0)), capsys).status == "correct"
    r = run(BACKWARD, lambda X, G: G.T @ X, capsys)
    assert r.message.startswith("⚠️ Exercise 9.8: your function should return 2 values (dW, db), "
                                "but it returned an array of shape (3, 4)")
    r = run(BACKWARD, lambda X, G: (X.T @ G, G.sum(axis=0)), capsys)
    assert r.message == ("⚠️ Exercise 9.8: dW of your function, called with X of shape (5, 4), "
                         "G of shape (5, 3): expected an array of shape (3, 4), got (4, 3) — did you "
                         "transpose?")
    r = run(BACKWARD, lambda X, G: (G.T @ X / 5, G.mean(axis=0)), capsys)
    assert r.hint == core._sentence(core.HINT_N_SMALL.format(n=5))


def test_function_messages_show_the_learners_output_never_the_reference(capsys):
    fixed = FunctionExercise(id="9.9", reference=lambda x: math.sin(x) * 7.0,
                             inputs=lambda rng: {"x": 0.4125}, hint="Sine, times seven.")
    r = run(fixed, lambda x: math.cos(x) * 7.0, capsys)
    assert r.status == "incorrect"
    assert "(with x=0.412, your function returns 6.41)" in r.message
    assert_no_leak(r.message, math.sin(0.4125) * 7.0)
    for answer, hint in [(lambda x: -math.sin(x) * 7.0, core.HINT_SIGN),
                         (lambda x: math.sin(x) * 7.01, core.HINT_CLOSE_FUNCTION)]:
        r = run(fixed, answer, capsys)
        assert r.hint == core._sentence(hint)
        assert "your function returns" not in r.message  # it would give the reference away
        assert_no_leak(r.message, math.sin(0.4125) * 7.0)


# --------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------

TRACE = {"v-1": 2.0, "v0": 5.0, "v1": math.log(2), "v2": 10.0, "v3": math.sin(5),
         "v4": math.log(2) + 10.0, "v5": math.log(2) + 10.0 - math.sin(5)}
TABLE = TableExercise(
    id="9.10", reference=TRACE, hint="Recompute each row from the rows above it.",
    row_hints={"v4": "v4 adds two earlier rows."},
    mistakes=[Mistake({"v3": math.cos(5)}, "v3 is a sine, not a cosine.")],
)


def filled(**changes):
    table = dict(TRACE)
    table.update({k.replace("m1", "-1"): v for k, v in changes.items()})
    return table


def test_table_correct_as_dict_and_as_list(capsys):
    assert run(TABLE, TRACE, capsys).status == "correct"
    assert run(TABLE, list(TRACE.values()), capsys).status == "correct"
    rounded = {k: round(v, 5) for k, v in TRACE.items()}
    assert run(TABLE, rounded, capsys).status == "correct"


def test_table_points_at_the_first_wrong_row_by_name(capsys):
    r = run(TABLE, filled(v2=7.0, v4=1.0), capsys)
    assert r.status == "incorrect"
    assert r.message == ("❌ Exercise 9.10: not yet right — row v2 is the first wrong row. "
                         "Hint: Recompute each row from the rows above it.")
    r = run(TABLE, filled(v3=math.cos(5)), capsys)
    assert r.message.endswith("row v3 is the first wrong row. Hint: v3 is a sine, not a cosine.")
    r = run(TABLE, filled(v3=-math.sin(5)), capsys)
    assert r.hint == core._sentence(core.HINT_SIGN)
    r = run(TABLE, filled(v4=3.0), capsys)
    assert r.hint == "v4 adds two earlier rows."
    for bad in (filled(v2=7.0), filled(v3=math.cos(5)), filled(v4=3.0)):
        assert_no_leak(run(TABLE, bad, capsys).message, [TRACE["v3"], TRACE["v4"], TRACE["v5"]])


def test_table_partly_filled_in(capsys):
    partial = filled(v3=..., v4=..., v5=...)
    r = run(TABLE, partial, capsys)
    assert r.status == "pending"
    assert r.message == ("⏳ Exercise 9.10: the rows filled in so far are right; rows v3, v4, v5 "
                         "are still ... — fill them in and run the cell again.")
    r = run(TABLE, filled(v1=0.5, v3=...), capsys)
    assert r.status == "incorrect" and "row v1 is the first wrong row" in r.message
    assert run(TABLE, {k: ... for k in TRACE}, capsys).message == f"⏳ Exercise 9.10: {PENDING}"
    assert run(TABLE, ..., capsys).status == "pending"


@pytest.mark.parametrize("answer, message", [
    ({k: v for k, v in TRACE.items() if k != "v2"},
     "your table has no row 'v2'; the rows are v-1, v0, v1, v2, v3, v4, v5 (use ... for a row you "
     "have not filled in yet)."),
    (filled(v6=1.0), "your table has a row 'v6' that the exercise does not have; its rows are "
                     "v-1, v0, v1, v2, v3, v4, v5."),
    (filled(v1="0.69"), "row v1: expected a number, got the string '0.69' — remove the quotes."),
    ([1.0, 2.0], "expected 7 rows (v-1, v0, v1, v2, v3, v4, v5), got 2."),
    (3.0, "expected a table: a dict {row name: value} or a list of 7 values, got a float."),
])
def test_table_malformed(answer, message, capsys):
    r = run(TABLE, answer, capsys)
    assert r.status == "invalid"
    assert r.message == f"⚠️ Exercise 9.10: {message}"


# --------------------------------------------------------------------------
# Choices and predictions
# --------------------------------------------------------------------------

CHOICE = ChoiceExercise(
    id="9.11", options={"a": "tanh", "b": "sigmoid", "c": "relu"}, reference="b",
    hint="Which one is a probability?", mistakes=[Mistake("a", "tanh can be negative.")])
PREDICT = ChoiceExercise(id="9.12", options=("up", "down", "unchanged"), reference="down",
                         hint="The step goes against the gradient.")
VALUE = ChoiceExercise(id="9.13", options=(1, 2, 4), reference=4, hint="Count the paths.")


def test_choice(capsys):
    for answer in ("b", "B", "(b)", " b) ", "b."):
        assert run(CHOICE, answer, capsys).status == "correct"
    assert run(CHOICE, "a", capsys).message == ("❌ Exercise 9.11: not yet right. Hint: tanh can be "
                                               "negative.")
    assert run(CHOICE, "c", capsys).hint == "Which one is a probability?"
    assert run(CHOICE, "e", capsys).message == ("⚠️ Exercise 9.11: expected one of 'a', 'b', 'c', "
                                               "got 'e'.")
    assert run(CHOICE, ..., capsys).message == f"⏳ Exercise 9.11: {PENDING}"
    assert run(PREDICT, "Down ", capsys).status == "correct"
    assert run(PREDICT, "up", capsys).hint == "The step goes against the gradient."
    assert run(VALUE, 4.0, capsys).status == "correct"
    assert run(VALUE, np.int64(4), capsys).status == "correct"
    assert run(VALUE, 2, capsys).status == "incorrect"
    assert run(VALUE, 3, capsys).message == "⚠️ Exercise 9.13: expected one of 1, 2, 4, got 3."
    assert run(VALUE, "4", capsys).status == "invalid"


# --------------------------------------------------------------------------
# The registry, check() and NNLEARN_EXPECT
# --------------------------------------------------------------------------

def test_registry_finds_chapter_modules():
    assert 0 in chapters()
    assert list(exercises_of_chapter(0)) == ["0.1", "0.2", "0.3", "0.4"]
    assert get_exercise("0.3").chapter == 0
    assert set(all_exercises()) >= {"0.1", "0.2", "0.3", "0.4"}


def test_check_through_the_registry(capsys):
    from nnlearn.exercises.ch00 import A, b, w
    assert check("0.1", 6)
    assert check("0.2", A @ w - b)
    assert check("0.3", lambda x: 1 / (1 + np.exp(-x)))
    assert check("0.4", "b")
    assert check("0.1", 3).hint == core._sentence(core.HINT_HALF)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "✅ Exercise 0.1: correct." and len(out) == 5


def test_the_onboarding_workbook_quotes_the_real_message():
    from pathlib import Path
    md = (Path(__file__).resolve().parents[1] / "notebooks" / "00_how_exercises_work.md").read_text()
    assert get_exercise("0.1").evaluate(9).message in md
    assert get_exercise("0.1").evaluate(...).message in md
    assert get_exercise("0.1").evaluate("9").message in md


def test_unknown_ids_are_explained():
    with pytest.raises(ExerciseNotFound, match=r"there is no exercise '0.9'; chapter 0 has "
                                               r"exercises 0.1, 0.2, 0.3, 0.4\."):
        check("0.9", 1)
    with pytest.raises(ExerciseNotFound, match=r"no exercises for chapter 97 \(chapters with "
                                               r"exercises: 0"):
        check("97.1", 1)
    with pytest.raises(TypeError, match=r'write check\("0.1", ...\) with quotes'):
        check(0.1, 1)
    with pytest.raises(ExerciseNotFound, match="not an exercise id"):
        check("exercise 1", 1)


def test_entries_are_validated():
    with pytest.raises(ValueError, match="'chapter.number'"):
        NumberExercise(id="1-2", reference=1)
    with pytest.raises(TypeError, match=r"Mistake\(answer, hint\)"):
        NumberExercise(id="1.2", reference=1, mistakes=[(2, "hint")])


@pytest.mark.parametrize("expect, answer, raises", [
    ("pass", 6, False), ("pass", 5, True), ("pass", ..., True), ("pass", "6", True),
    ("pending", ..., False), ("pending", 6, True), ("pending", "6", True),
    ("", 5, False), (None, "6", False),
])
def test_nnlearn_expect(monkeypatch, capsys, expect, answer, raises):
    if expect is not None:
        monkeypatch.setenv("NNLEARN_EXPECT", expect)
    if raises:
        with pytest.raises(AssertionError, match=f"NNLEARN_EXPECT={expect}, but exercise 0.1 is"):
            check("0.1", answer)
    else:
        check("0.1", answer)
    assert len(capsys.readouterr().out.splitlines()) == 1


def test_nnlearn_expect_rejects_unknown_values(monkeypatch):
    monkeypatch.setenv("NNLEARN_EXPECT", "correct")
    with pytest.raises(ValueError, match="'pass' or 'pending'"):
        check("0.1", 6)


def test_result_object(capsys):
    r = NUM.check(NUM_REF)
    assert repr(r) == "CheckResult(exercise_id='9.1', status='correct')"
    assert str(r) == r.message
    capsys.readouterr()
    r._ipython_display_()  # outside IPython (no cell number) it shows the line again
    assert capsys.readouterr().out == r.message + "\n"
    assert not NUM.check(0.5)


def test_registered_hints_do_not_contain_their_answers():
    for ex in all_exercises().values():
        texts = " ".join([ex.hint] + [m.hint for m in ex.mistakes])
        if isinstance(ex, (NumberExercise, ArrayExercise)):
            ref = np.asarray(core._host(core._resolve(ex.reference)), dtype=float)
            # small whole numbers (2, 3, ...) appear in any text; rounding error does not make them distinctive
            distinctive = [v for v in ref.ravel() if abs(v - round(v)) > 1e-9 or abs(v) >= 10]
            for v in distinctive:
                for s in forms(float(v)):
                    assert s not in texts, f"exercise {ex.id}: {s} in its hints"
        assert ex.solution.strip(), f"exercise {ex.id} has no solution"


# --------------------------------------------------------------------------
# Answers at the precision the question asks, and singleton axes
# --------------------------------------------------------------------------

ROUNDED = NumberExercise(id="9.20", reference=0.14461620, digits=4, hint="Round at the end.")
ROUNDED_TABLE = TableExercise(id="9.21", reference={"v1": 1.09753313, "v2": -2.06461573}, digits=4)


@pytest.mark.parametrize("answer, status", [
    (0.1446, "correct"), (0.14461620, "correct"), (0.14462, "correct"), (0.14465, "correct"),
    (0.1447, "incorrect"), (0.1445, "incorrect"), (0.145, "incorrect"), (-0.1446, "incorrect"),
])
def test_an_answer_rounded_as_the_question_asks_is_correct(answer, status, capsys):
    assert run(ROUNDED, answer, capsys).status == status
    # without digits=, the default tolerance (5 significant digits) rejects the 4-digit answer
    plain = NumberExercise(id="9.22", reference=0.14461620)
    assert run(plain, 0.1446, capsys).status == "incorrect"


def test_table_rows_rounded_as_the_question_asks(capsys):
    assert run(ROUNDED_TABLE, {"v1": 1.098, "v2": -2.065}, capsys).status == "correct"
    assert run(ROUNDED_TABLE, {"v1": 1.097, "v2": -2.065}, capsys).status == "incorrect"


def test_a_singleton_axis_more_or_less_is_the_same_answer(capsys):
    bias = ArrayExercise(id="9.23", reference=[0.25, -1.5, 3.0])
    for answer in ([[0.25, -1.5, 3.0]], [[0.25], [-1.5], [3.0]], np.array([0.25, -1.5, 3.0])):
        assert run(bias, answer, capsys).status == "correct"
    row = ArrayExercise(id="9.24", reference=[[0.25, -1.5, 3.0]])
    assert run(row, [0.25, -1.5, 3.0], capsys).status == "correct"
    # a genuinely different layout is still explained, not reshaped
    assert run(ARR, ARR_REF.ravel(), capsys).status == "invalid"


# --------------------------------------------------------------------------
# Reliability (issue 12): odd and hostile answers, time limits, and hints that
# cannot be turned into the answer
# --------------------------------------------------------------------------

TEXT_TABLE = TableExercise(
    id="9.30", reference={"seeds": "yes", "split": "no", "test_set": "no", "one_change": "yes"},
    hint="Check the design against the three rules.",
    row_hints={"split": "Reread what the two set-ups share."},
    mistakes=[Mistake({"seeds": "no"}, "Row seeds: one seed gives no spread.")],
)
MIXED = TableExercise(id="9.31", reference={"a": "yes", "n": 2.5, "b": "no"}, hint="Row by row.")
HUGE = 10 ** 400


@pytest.mark.parametrize("answer", ["6", b"6", np.array(["6"]), np.array("6"), np.str_("6"),
                                    np.array([b"6"]), bytearray(b"6"), np.array("6", dtype=object)])
def test_string_like_answers_are_graded_like_the_string(answer, capsys):
    # defect 18 (checker): np.array(["6"]), np.array("6") and b"6" were accepted as the number 6
    r = run(get_exercise("0.1"), answer, capsys)
    assert r.status == "invalid"
    assert r.message == run(get_exercise("0.1"), "6", capsys).message
    assert r.message.endswith("got the string '6' — remove the quotes.")


@pytest.mark.parametrize("exercise, answer, pattern", [
    (NUM, HUGE, r"expected a number, got an integer with 401 digits, far larger than any float"),
    (NUM, -HUGE, r"an integer with 401 digits"),
    (NUM, np.array(HUGE, dtype=object), r"an integer with 401 digits"),
    (NUM, 10 ** 5000, r"an integer with thousands of digits"),
    (ARR, HUGE, r"expected an array of shape \(2, 3\), got a single number"),
    (ARR, [[HUGE, 1, 1], [1, 1, 1]], r"some entries are far larger than any float"),
    (TABLE, filled(v2=HUGE), r"row v2: expected a number, got an integer with 401 digits"),
    (CHOICE, HUGE, r"expected one of 'a', 'b', 'c', got an integer with 401 digits"),
    (VALUE, HUGE, r"expected one of 1, 2, 4, got an integer with 401 digits"),
], ids=["number", "negative", "0-d object array", "5000 digits", "array", "array entry", "table",
        "choice", "choice of values"])
def test_numbers_too_large_for_a_float_get_a_verdict(exercise, answer, pattern, capsys):
    r = run(exercise, answer, capsys)
    assert r.status == "invalid" and re.search(pattern, r.message), r.message


def test_zero_d_arrays_in_tables(capsys):
    ex = TableExercise(id="9.32", reference={"v1": 0.5, "v2": 2.5})
    assert run(ex, {"v1": np.array(0.5), "v2": np.float32(2.5)}, capsys).status == "correct"
    assert run(ex, np.array({"v1": 0.5, "v2": 2.5}, dtype=object), capsys).status == "correct"
    r = run(ex, np.array(3.0), capsys)
    assert r.message == ("⚠️ Exercise 9.32: expected a table: a dict {row name: value} or a list of "
                         "2 values, got a float.")
    assert run(TEXT_TABLE, {"seeds": np.array("yes"), "split": b"no", "test_set": np.str_("no"),
                            "one_change": "Yes "}, capsys).status == "correct"


def test_huge_answers_and_keys_are_never_echoed_in_full(capsys):
    big = "x" * 10_000_000
    for exercise, answer in ((NUM, big), (ARR, big), (CHOICE, big), (PREDICT, big),
                             (TABLE, {big[:100_000]: 1.0}), (TABLE, {10 ** 5000: 1.0}),
                             (TABLE, filled(v1=big)), (TEXT_TABLE, {"seeds": 1, **{k: "no" for k in
                                                                               ("split", "test_set", "one_change")}})):
        r = run(exercise, answer, capsys)
        assert r.status == "invalid" and len(r.message) < 300, r.message[:400]

    def shouts(z, g):
        raise ValueError(big)

    r = run(DELTA, shouts, capsys)
    assert r.message.startswith("⚠️ Exercise 9.5: your function raised ValueError: xxx")
    assert len(r.message) < 400


def test_text_rows_are_counted_not_named(capsys):
    # reliability.md §4: naming "the first wrong row" of a yes/no table gave each row away
    answer = {"seeds": "no", "split": "no", "test_set": "yes", "one_change": "yes"}
    r = run(TEXT_TABLE, answer, capsys)
    assert r.message == ("❌ Exercise 9.30: not yet right — 2 of the 4 rows are wrong. "
                         "Hint: Check the design against the three rules.")
    # neither the declared mistake of row "seeds" nor the row hint of "split" is shown:
    # each would say which row to flip
    r = run(TEXT_TABLE, {"seeds": "no", "split": "no", "test_set": "no", "one_change": "yes"}, capsys)
    assert r.message.endswith("1 of the 4 rows is wrong. Hint: Check the design against the three rules.")
    r = run(TEXT_TABLE, {"seeds": "yes", "split": "yes", "test_set": "no", "one_change": "yes"}, capsys)
    assert "Reread" not in r.message and "split" not in r.message
    # in a mixed table the numeric rows are still named, the text rows counted
    assert run(MIXED, {"a": "no", "n": 2.5, "b": "no"}, capsys).message.endswith(
        "1 of the 2 text rows is wrong. Hint: Row by row.")
    assert "row n is the first wrong row" in run(MIXED, {"a": "no", "n": 3.5, "b": "no"}, capsys).message
    assert run(MIXED, {"a": "yes", "n": 2.5, "b": "no"}, capsys).status == "correct"
    r = run(TEXT_TABLE, {"seeds": "yes", "split": ..., "test_set": "no", "one_change": ...}, capsys)
    assert r.status == "pending"


def test_no_message_contains_the_reference_in_the_new_cases(capsys):
    """The leak test of the module, extended to the odd answers, text tables and time limits."""
    messages = []
    for answer in ("0.5", b"0.25", np.array(["1.5"]), HUGE, -NUM_REF, 2 * NUM_REF,
                   NUM_REF / 2, 8 * NUM_REF, NUM_REF / 8, NUM_REF * 1.001, np.array(NUM_REF * 3)):
        messages.append((run(NUM, answer, capsys).message, NUM_REF))
    for answer in (-ARR_REF, 2 * ARR_REF, ARR_REF / 4, ARR_REF.T, [[HUGE] * 3] * 2,
                   ARR_REF.astype(str)):
        messages.append((run(ARR, answer, capsys).message, ARR_REF))
    for answer in (filled(v3=-math.sin(5)), filled(v4=2 * TRACE["v4"]), filled(v5=HUGE),
                   filled(v2=b"10")):
        # (2, 5 and 10 are rows too, but small whole numbers appear in any text)
        messages.append((run(TABLE, answer, capsys).message,
                         [v for v in TRACE.values() if v != round(v)]))
    for v in messages:
        assert_no_leak(*v)
    for answer in ({"seeds": "no", "split": "yes", "test_set": "yes", "one_change": "no"},
                   {"seeds": "no", "split": "no", "test_set": "no", "one_change": "yes"},
                   {"seeds": "yes", "split": "yes", "test_set": "no", "one_change": "yes"}):
        m = run(TEXT_TABLE, answer, capsys).message
        assert not re.search(r"\b(yes|no)\b", m.lower()), m
        assert not any(row in m for row in TEXT_TABLE.reference), m
    slow = FunctionExercise(id="9.33", reference=lambda x: math.sin(x) * 7.0,
                            inputs=lambda rng: {"x": 0.4125}, time_limit=0.2)

    def endless(x):
        while True:
            pass

    assert_no_leak(run(slow, endless, capsys).message, math.sin(0.4125) * 7.0)


def test_a_function_past_the_time_limit_is_stopped(capsys):
    if not core._alarm_available():
        pytest.skip("needs the main thread of a Unix process (signal.setitimer)")
    ex = FunctionExercise(id="9.34", reference=lambda x: 2 * x, trials=3,
                          inputs=lambda rng: {"x": float(rng.uniform(1, 2))}, time_limit=0.3)

    def endless(x):
        while True:
            pass

    def stubborn(x):                     # catches the first interruption and carries on
        try:
            while True:
                pass
        except BaseException:
            pass
        while True:
            pass

    for f in (endless, stubborn, lambda x: time.sleep(60)):
        t0 = time.monotonic()
        r = run(ex, f, capsys)
        took = time.monotonic() - t0
        assert r.status == "invalid" and took < 5, took
        assert re.fullmatch(r"⚠️ Exercise 9\.34: your function was stopped after 0\.3 s without "
                            r"returning \(called with x=(1\.\d+|2)\) — an endless loop, or far more "
                            r"work than the task needs\?", r.message), r.message
    # the timer and the handler are put back as they were
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) == signal.SIG_DFL
    # a function within the limit passes, and the limit is over all the trials of one check
    assert run(ex, lambda x: 2 * x, capsys).status == "correct"
    assert run(ex, lambda x: (time.sleep(0.15), 2 * x)[1], capsys).status == "invalid"


def test_off_the_main_thread_a_slow_function_is_reported_still_running(capsys):
    stop = threading.Event()
    ex = FunctionExercise(id="9.35", reference=lambda x: 2 * x, trials=1,
                          inputs=lambda rng: {"x": 1.5}, time_limit=0.3)

    def slow(x):
        stop.wait(60)
        return 2 * x

    results = []
    worker = threading.Thread(target=lambda: results.append(ex.evaluate(slow)))
    worker.start()
    worker.join(20)
    stop.set()
    (r,) = results
    assert r.message == ("⚠️ Exercise 9.35: your function has not returned after 0.3 s (called "
                         "with x=1.5) and is still running in the background — an endless loop? "
                         "Interrupt or restart the kernel to stop it.")
    results.clear()
    worker = threading.Thread(target=lambda: results.append(ex.evaluate(lambda x: 2 * x)))
    worker.start()
    worker.join(20)
    assert results[0].status == "correct"


def test_the_time_limit_is_configurable(monkeypatch):
    ex = FunctionExercise(id="9.36", reference=lambda x: x, inputs=lambda rng: {"x": 1.0})
    assert core._time_limit(ex.time_limit) == core.TIME_LIMIT == 5.0
    monkeypatch.setenv("NNLEARN_CHECK_TIME_LIMIT", "12.5")
    assert core._time_limit(None) == 12.5
    assert core._time_limit(2) == 2.0
    monkeypatch.setenv("NNLEARN_CHECK_TIME_LIMIT", "0")
    assert core._time_limit(None) is None
    monkeypatch.setenv("NNLEARN_CHECK_TIME_LIMIT", "soon")
    with pytest.raises(ValueError, match="NNLEARN_CHECK_TIME_LIMIT must be a number of seconds"):
        core._time_limit(None)


class _BrokenFloat:
    def __float__(self):
        raise RuntimeError("no float today")


class _Exits:
    def __float__(self):
        raise SystemExit(3)


class _Hostile:
    def __getattr__(self, name):
        raise RuntimeError("do not touch")


def test_nothing_a_learner_hands_in_escapes_check(capsys):
    def exits(z, g):
        sys.exit(1)

    looped = []
    looped.append(looped)
    cases = [(NUM, _BrokenFloat(), "expected a number, got a _BrokenFloat, which could not be turned "
                                   "into one (RuntimeError: no float today)."),
             (NUM, _Exits(), "could not be checked: reading it raised SystemExit: 3"),
             (NUM, _Hostile(), "could not be checked: reading it raised RuntimeError: do not touch"),
             (ARR, looped, "expected an array of shape (2, 3)"),
             (NUM, looped, "expected a single number, got a list of 1 item."),
             (VALUE, _BrokenFloat(), "expected one of 1, 2, 4, got a _BrokenFloat."),
             (ARR, (v for v in range(6)), "got a generator (an iterator: turn it into a list or an "
                                          "array first)."),
             (DELTA, exits, "your function raised SystemExit: 1 when called with z of shape (4, 3), "
                            "g of shape (4, 3) — a function to check must return its result, not exit.")]
    for exercise, answer, text in cases:
        r = run(exercise, answer, capsys)
        assert r.status == "invalid" and text in r.message, r.message
    # Ctrl-C is the learner's own wish: it is not swallowed
    def interrupted(z, g):
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        DELTA.check(interrupted)


def test_odd_answers_found_by_the_probe(capsys):
    assert run(get_exercise("0.1"), memoryview(b"6"), capsys).message.endswith(
        "got the string '6' — remove the quotes.")
    assert run(get_exercise("0.1"), np.datetime64("2020-01-01"), capsys).message == (
        "⚠️ Exercise 0.1: expected a number, got a NumPy datetime64.")
    assert run(DELTA, int, capsys).message == (
        "⚠️ Exercise 9.5: expected a function, got the class int — define a function with def "
        "and give its name.")


def test_probe_ids_chapters_and_exotic_exceptions(capsys):
    with pytest.raises(TypeError, match="chapter must be a whole number such as 3, got 'a'"):
        exercises_of_chapter("a")
    with pytest.raises(TypeError, match="chapter must be a whole number such as 3, got 1.5"):
        exercises_of_chapter(1.5)
    assert list(exercises_of_chapter("0")) == list(exercises_of_chapter(0))
    with pytest.raises(ExerciseNotFound, match=r"^'999999999999999999999999999\.\.\.' is not an exercise id"):
        check("9" * 5000 + ".1", 1)
    with pytest.raises(TypeError, match=r'exercise ids are strings such as "1.2" \(with quotes\), got bytes'):
        check(b"0.1", 6)

    def exits_quietly(z, g):
        raise GeneratorExit

    def raises_base(z, g):
        raise BaseException("odd")

    assert run(DELTA, exits_quietly, capsys).message.startswith(
        "⚠️ Exercise 9.5: your function raised GeneratorExit when called with")
    assert run(DELTA, raises_base, capsys).message.startswith(
        "⚠️ Exercise 9.5: your function raised BaseException: odd when called with")
    assert run(NUM, np, capsys).message == "⚠️ Exercise 9.1: expected a number, got a module."
    assert run(NUM, float, capsys).message == ("⚠️ Exercise 9.1: expected a number, got the class "
                                               "float — call it and give its result.")


def test_several_numbers_returned_as_one_1d_array_are_the_same_answer_r6d_f6(capsys):
    """r6d F6: a function asked for (difference, low, high) that returns np.array([d, lo, hi])
    (or a tensor) gives the same answer; a wrong length stays invalid, and arrays of arrays
    are not flattened."""
    from nnlearn.exercises.registry import all_exercises
    from nnlearn.exercises import ch07

    ex, f = all_exercises()["7.7"], ch07._welch_interval
    assert ex.check(lambda a, b: np.array(f(a, b))).status == "correct"
    assert ex.check(lambda a, b: torch.tensor(f(a, b))).status == "correct"
    assert ex.check(lambda a, b: np.array(f(a, b))[:2]).status == "invalid"
    assert ex.check(lambda a, b: -np.array(f(a, b))).status == "incorrect"
    capsys.readouterr()
    r = run(BACKWARD, lambda X, G: np.array([1.0, 2.0]), capsys)       # outputs are arrays
    assert r.status == "invalid"

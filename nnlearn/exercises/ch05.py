"""Exercises of chapter 5, initialization and input scaling (``notebooks/05_initialization.md``).

Each reference is computed from the formula the chapter derives, not typed in.
"""

import functools
import math
from dataclasses import dataclass

import numpy as np

from .. import backend
from ..data import one_hot
from ..nn.init import calculate_gain
from .core import (ArrayExercise, ChoiceExercise, FunctionExercise, LazyTable, Mistake,
                   NumberExercise, TableExercise, _is_array)

# ---------------------------------------------------------------------------
# 5.1: He's standard deviation for a Linear(512 → 256) followed by a ReLU
# ---------------------------------------------------------------------------

FAN_IN_5_1, FAN_OUT_5_1 = 512, 256
_he_std = calculate_gain("relu") / math.sqrt(FAN_IN_5_1)        # gain / √fan_in

# ---------------------------------------------------------------------------
# 5.2: Var(u) = n Var(w) E[z²] with ReLU inputs and uniform weights
# ---------------------------------------------------------------------------

N_5_2 = 300                    # inputs of the unit
VAR_PREV_5_2 = 4.0             # variance of the (symmetric) input of each ReLU
BOUND_5_2 = 0.1                # weights from U(−0.1, 0.1)
_var_w = (2 * BOUND_5_2) ** 2 / 12                              # Var of U(−a, a)
_mean_square_z = VAR_PREV_5_2 / 2                               # E[relu(u)²] = Var(u)/2
_var_z = VAR_PREV_5_2 * (0.5 - 1 / (2 * math.pi))               # Var(relu(u)) for u ~ N(0, σ²)


def _var_u(var_w=_var_w, mean_square=_mean_square_z, n=N_5_2):
    return n * var_w * mean_square


# ---------------------------------------------------------------------------
# 5.4: xavier_std(fan_in, fan_out, gain)
# ---------------------------------------------------------------------------

def xavier_std(fan_in, fan_out, gain):
    """The standard deviation of ``xavier_normal_``: gain · √(2 / (fan_in + fan_out))."""
    return gain * math.sqrt(2.0 / (fan_in + fan_out))


def _inputs_5_4(rng):
    return {"fan_in": int(rng.integers(10, 2000)), "fan_out": int(rng.integers(10, 2000)),
            "gain": float(rng.uniform(0.5, 2.5))}


# ---------------------------------------------------------------------------
# 5.6: one-hot code of a small categorical vector
# ---------------------------------------------------------------------------

COLOURS_5_6 = np.array([2, 0, 3, 1, 2])
K_5_6 = 4


@dataclass(kw_only=True)
class IndicatorArrayExercise(ArrayExercise):
    """An array exercise whose entries are 0 or 1, so that a boolean array (True for 1), the
    natural result of ``colours[:, None] == np.arange(4)``, is an answer like a 0/1 array."""

    def judge(self, answer):
        if _is_array(answer) or isinstance(answer, (list, tuple)):
            try:
                a = np.asarray(backend.to_numpy(answer) if _is_array(answer) else answer)
            except Exception:  # noqa: BLE001 - ragged or odd input: the base class explains it
                a = None
            if a is not None and a.dtype == bool:
                answer = a.astype(float)
        return super().judge(answer)

# ---------------------------------------------------------------------------
# 5.7: distinct_rows(W, tol), the symmetry check
# ---------------------------------------------------------------------------

def distinct_rows(W, tol):
    """The number of rows kept by a walk through ``W``: a row is kept (a new unit) when it
    differs by more than ``tol``, in some entry, from every row kept before it."""
    kept = []
    for row in np.asarray(W, dtype=float):
        if not any(np.abs(row - k).max() <= tol for k in kept):
            kept.append(row)
    return len(kept)


def _inputs_5_7(rng):
    # tol well below 1e-5, so np.allclose's relative tolerance (1e-5·|w|) changes the count
    tol = float(10.0 ** rng.uniform(-8, -6))
    cols = int(rng.integers(34, 38))   # more weights per unit than units (at most 32): counting
    size = (int(rng.integers(1, 5)), cols)         # columns can never give a row count
    bases = rng.choice([-1.0, 1.0], size=size) * rng.uniform(0.5, 2.0, size=size)
    j, sign = int(rng.integers(cols)), float(rng.choice([-1.0, 1.0]))
    one = bases[0].copy()              # a unit that differs from another in one weight only,
    one[j] += sign * 3 * tol
    signs = rng.choice([-1.0, 1.0], size=cols)
    signs[j] = -sign                   # one that differs from both in every weight,
    every = bases[0] + signs * 3 * tol
    near = bases[0] + rng.uniform(-0.4, 0.4, size=cols) * tol    # and a near twin;
    half = bases[0].copy()             # one that differs by 3·tol in half of its weights
    half[rng.permutation(cols)[:cols // 2]] += 3 * tol
    second = rng.choice([-1.0, 1.0], size=cols) * rng.uniform(0.5, 2.0, size=cols)
    # … and two exact copies of another unit: comparing every row with the first row only
    # over-counts, whichever row comes first
    rows = [bases[0].copy(), one, every, near, half, second, second.copy()]
    for k in range(int(rng.integers(2, 6))):
        row = bases[rng.integers(len(bases))].copy()
        kind = rng.integers(3)                 # an exact twin, a near twin, or a split twin
        if kind == 1:
            row += rng.uniform(-0.4, 0.4, size=cols) * tol
        elif kind == 2:                        # split twins differ from each other in every weight
            row += rng.choice([-1.0, 1.0], size=cols) * (100 + 30 * k) * tol
        rows.append(row)
    # exact twins of the first unit until the rows that repeat an earlier one outnumber any
    # count the other slips give (distinct, exactly distinct): each slip its own number
    count, exact = distinct_rows(np.array(rows), tol), len(np.unique(np.array(rows), axis=0))
    while len(rows) - count <= exact:
        rows.append(bases[0].copy())
    rows += [bases[0].copy()] * int(rng.integers(0, 3))
    W = np.array(rows)
    # last, in this order, a chain x, x + 0.7·tol, x + 1.4·tol along one weight: the middle
    # row is a twin of x and is not counted; the last is within tol of that uncounted twin
    # but differs from every counted row, so it counts (comparing with every earlier row,
    # counted or not, misses it)
    x = rng.choice([-1.0, 1.0], size=cols) * rng.uniform(0.5, 2.0, size=cols)
    step = np.zeros(cols)
    step[rng.integers(cols)] = tol
    return {"W": np.vstack([W[rng.permutation(len(W))], x, x + 0.7 * step, x + 1.4 * step]),
            "tol": tol}


def _rows_against_every_earlier(W, tol):
    """The slip: each row compared with every earlier row, counted or not."""
    W = np.asarray(W, dtype=float)
    return sum(all(np.abs(W[i] - W[j]).max() > tol for j in range(i)) for i in range(len(W)))


def _rows_all_entries_differ(W, tol):
    """The slip: a row counts as new only if *every* weight differs by more than tol."""
    kept = []
    for row in np.asarray(W, dtype=float):
        if all(np.all(np.abs(row - k) > tol) for k in kept):
            kept.append(row)
    return len(kept)


def _rows_mean_distance(W, tol):
    """The slip: the mean absolute difference of the entries, not the largest, against tol."""
    kept = []
    for row in np.asarray(W, dtype=float):
        if not any(np.abs(row - k).mean() <= tol for k in kept):
            kept.append(row)
    return len(kept)


def _rows_against_first(W, tol):
    """The slip: every row compared with the first row only."""
    W = np.asarray(W, dtype=float)
    return 1 + int((np.abs(W - W[0]).max(axis=1) > tol).sum())


def _rows_allclose(W, tol):
    """The slip: np.allclose(row, k, atol=tol), which adds a relative tolerance 1e-5·|k|."""
    kept = []
    for row in np.asarray(W, dtype=float):
        if not any(np.allclose(row, k, atol=tol) for k in kept):
            kept.append(row)
    return len(kept)


# ---------------------------------------------------------------------------
# 5.8: ReLU, He against the default, five seeds: the difference and its interval
# ---------------------------------------------------------------------------

SEEDS_5_8 = tuple(range(5))
DESIGN_5_8 = {("relu", "default"): None, ("relu", "He"): "he"}
SIZES_5_8 = [64] + [128] * 8 + [10]


@functools.lru_cache(maxsize=4)
def _runs_5_8(backend_name):
    from .. import data, train
    from ..course.init_experiments import activation_init_factorial

    split, _ = train.standardized_split(*data.digits(), seed=0)
    f = activation_init_factorial(split, DESIGN_5_8, SIZES_5_8, seeds=SEEDS_5_8, epochs=5, lr=0.1)
    return f.cells[("relu", "He")]["val_accuracy"], f.cells[("relu", "default")]["val_accuracy"]


def welch_interval(a, b, confidence=0.95, spread="se", quantile="t", df="welch"):
    """mean(a) − mean(b) and its Welch t interval.

    The other keywords make the checker's wrong answers: ``spread="sd"`` uses the standard
    deviation of the runs where the standard error of the mean belongs; ``quantile="normal"``
    takes the normal quantile (1.96) in place of Student's t; ``df="pooled"`` gives t the
    n₁ + n₂ − 2 degrees of freedom of the pooled test in place of Welch's ν."""
    from scipy import stats

    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se = math.sqrt(va + vb)
    nu = (va + vb) ** 2 / (va ** 2 / (a.size - 1) + vb ** 2 / (b.size - 1)) if df == "welch" \
        else a.size + b.size - 2
    q = stats.t.ppf(0.5 + confidence / 2, nu) if quantile == "t" else stats.norm.ppf(0.5 + confidence / 2)
    half = q * (se if spread == "se" else se * math.sqrt(a.size))
    diff = a.mean() - b.mean()
    return {"difference": diff, "lower": diff - half, "upper": diff + half}


def _reference_5_8(sign=1, **slip):
    from .. import backend

    he, default = _runs_5_8(backend.current().name)
    a, b = (he, default) if sign > 0 else (default, he)
    return welch_interval(a, b, **slip)


EXERCISES = [
    NumberExercise(
        id="5.1",
        title="He's standard deviation for a Linear(512 → 256) layer followed by a ReLU",
        reference=_he_std,
        digits=3,
        hint="He's rule chooses Var(w) so that a ReLU layer passes its signal's variance on "
             "unchanged: what does that ask of n·Var(w), which n is meant with "
             "mode=\"fan_in\", and what standard deviation follows?",
        mistakes=[
            Mistake(1 / math.sqrt(FAN_IN_5_1),
                    "That is LeCun's standard deviation, for a layer without the ReLU: a ReLU "
                    "zeroes half of its inputs, and He's rule doubles the variance to make up for it."),
            Mistake(2 / FAN_IN_5_1,
                    "That is the variance Var(w); the question asks for the standard deviation."),
            Mistake(1 / FAN_IN_5_1,
                    "That is LeCun's variance: He's rule doubles it for a ReLU, and the question "
                    "asks for a standard deviation, not a variance."),
            Mistake(math.sqrt(2 / FAN_OUT_5_1),
                    "You used the fan-out (256). kaiming_normal_'s default mode='fan_in' keeps the "
                    "forward signal's variance, which is set by the number of inputs."),
            Mistake(math.sqrt(2 / (FAN_IN_5_1 + FAN_OUT_5_1)),
                    "That is Glorot and Bengio's (Xavier) standard deviation, which averages fan-in "
                    "and fan-out; He's rule uses the fan-in alone."),
            Mistake(math.sqrt(6 / FAN_IN_5_1),
                    "That is the bound a of the uniform version U(−a, a) (kaiming_uniform_), which "
                    "is √3 times the standard deviation."),
        ],
        solution="answer_5_1 = math.sqrt(2 / 512)",
    ),
    NumberExercise(
        id="5.2",
        title="Var(u) for n = 300 ReLU inputs of variance-4 Gaussians and weights from U(−0.1, 0.1)",
        reference=_var_u(),
        digits=3,           # mistakes typed to 3 digits (1.36 for the Var(z) slip) get their hint
        hint="Use Var(u) = n Var(w) E[z²]: the variance of U(−a, a), then the mean square of a "
             "ReLU's output when its input is symmetric about 0.",
        mistakes=[
            Mistake(_var_u(mean_square=_var_z),
                    "You used Var(z) where the formula has the mean square E[z²]: a ReLU's output "
                    "does not have mean 0, so the two differ."),
            Mistake(_var_u(mean_square=VAR_PREV_5_2),
                    "A ReLU passes only the positive half of its input: E[z²] is half of the "
                    "input's variance, not all of it."),
            Mistake(_var_u(var_w=BOUND_5_2 ** 2),
                    "0.1 is the bound a of U(−a, a), not its standard deviation: the variance of "
                    "U(−a, a) is a²/3."),
            Mistake(_var_u(var_w=(2 * BOUND_5_2) ** 2),
                    "The variance of a uniform distribution of width w is w²/12, not w²."),
            Mistake(_var_u(n=1),
                    "u is a sum of n independent terms: their variances add, so the result is n "
                    "times the variance of one term."),
            Mistake(math.sqrt(_var_u()),
                    "That is the standard deviation of u; the question asks for its variance."),
        ],
        solution="answer_5_2 = 300 * (0.2 ** 2 / 12) * (4 / 2)",
    ),
    ChoiceExercise(
        id="5.3",
        title="predict: the activations' std through 20 tanh layers with Var(w) = 0.5/n",
        options={
            "a": "It grows until the units saturate at ±1.",
            "b": "It stays about the same, because tanh keeps its outputs in (−1, 1).",
            "c": "It shrinks for a few layers, then grows back.",
            "d": "It shrinks by roughly the same factor at every layer, towards 0.",
        },
        reference="d",
        hint="Small signals pass through tanh almost unchanged: what does each layer then do to "
             "the variance, by formula (5.1)?",
        mistakes=[
            Mistake("b", "Keeping outputs inside (−1, 1) bounds them from above; it does nothing to "
                         "stop them from shrinking. Compute n Var(w) for this initialization."),
            Mistake("a", "Saturation needs n Var(w) well above 1, so that each layer enlarges the "
                         "signal. What is n Var(w) here?"),
            Mistake("c", "Nothing in a stack of layers drawn alike can reverse the trend: |tanh u| < |u| "
                         "only makes small signals smaller."),
        ],
        solution='answer_5_3 = "d"',
    ),
    FunctionExercise(
        id="5.4",
        title="xavier_std(fan_in, fan_out, gain), the std of xavier_normal_",
        reference=xavier_std,
        inputs=_inputs_5_4,
        n=None,
        hint="Start from the variance of the normalized initialization in the chapter's table; "
             "does gain multiply the standard deviation or the variance?",
        mistakes=[
            Mistake(lambda fi, fo, g: math.sqrt(2.0 / (fi + fo)),
                    "Your function ignores gain: the standard deviation is multiplied by it "
                    "(calculate_gain('tanh') = 5/3, for instance)."),
            Mistake(lambda fi, fo, g: g * g * math.sqrt(2.0 / (fi + fo)),
                    "The gain multiplies the standard deviation once (it multiplies the variance "
                    "by gain²); you applied it twice."),
            Mistake(lambda fi, fo, g: g * math.sqrt(2.0) / (fi + fo),
                    "Take the square root of the whole fraction 2/(fan_in + fan_out), not of the "
                    "2 alone."),
            Mistake(lambda fi, fo, g: g * 2.0 / (fi + fo),
                    "That is not a standard deviation: take the square root of 2/(fan_in + fan_out)."),
            Mistake(lambda fi, fo, g: g * g * 2.0 / (fi + fo),
                    "That is the variance gain² · 2/(fan_in + fan_out); the function should return "
                    "the standard deviation."),
            Mistake(lambda fi, fo, g: g * math.sqrt(1.0 / fi),
                    "You used only fan_in (LeCun's rule). Glorot and Bengio's compromise involves "
                    "both fan_in and fan_out."),
            Mistake(lambda fi, fo, g: g * math.sqrt(2.0 / fi),
                    "You used only fan_in (He's rule). Glorot and Bengio's compromise involves both "
                    "fan_in and fan_out."),
            Mistake(lambda fi, fo, g: g * math.sqrt(1.0 / (fi + fo)),
                    "Var(w) is the inverse of the *mean* of the two fans, (fan_in + fan_out)/2, "
                    "not of their sum."),
            Mistake(lambda fi, fo, g: g * math.sqrt(6.0 / (fi + fo)),
                    "That is the bound a of xavier_uniform_'s U(−a, a), √3 times the standard "
                    "deviation."),
        ],
        solution=("def xavier_std(fan_in, fan_out, gain):\n"
                  "    return gain * math.sqrt(2.0 / (fan_in + fan_out))"),
    ),
    ChoiceExercise(
        id="5.5",
        title="find the mistake: a scaler fitted on all the data before splitting",
        options={
            "a": ("The scaler was fitted on every sample, test samples included, so the test "
                  "set shaped the training inputs."),
            "b": ("Nothing is wrong: the scaler never sees the labels, so nothing about the "
                  "answers can leak into training."),
            "c": ("The pixels are correlated, so standardizing is not enough: whiten the data "
                  "instead, then split it."),
            "d": ("Each split has its own distribution, so each should be standardized with its "
                  "own mean and standard deviation."),
        },
        reference="a",
        hint="Which samples were used to compute the mean and standard deviation, and which "
             "samples is the test accuracy supposed to be about?",
        mistakes=[
            Mistake("b", "Not using the labels does not make it harmless: the test samples still "
                         "shaped the preprocessing of the training data."),
            Mistake("c", "Whitening fitted on all the data would have the same problem; the choice "
                         "of transform is not the issue."),
            Mistake("d", "Then the three splits would be transformed differently, and a single new "
                         "sample at deployment has no statistics of its own."),
        ],
        solution='answer_5_5 = "a"',
    ),
    IndicatorArrayExercise(
        id="5.6",
        title="one-hot code of colours = [2, 0, 3, 1, 2] with 4 values",
        reference=lambda: one_hot(COLOURS_5_6, num_classes=K_5_6),
        hint="Row n has a single 1, in the column given by colours[n] (values count from 0), "
             "and 0 everywhere else.",
        mistakes=[
            Mistake(np.eye(K_5_6)[(COLOURS_5_6 - 1) % K_5_6],
                    "Your 1s are one column to the left: the values count from 0, so value 0 goes "
                    "in the first column."),
            Mistake(np.eye(K_5_6)[(COLOURS_5_6 + 1) % K_5_6],
                    "Your 1s are one column to the right: the values count from 0, so value 0 goes "
                    "in the first column."),
            Mistake(np.eye(K_5_6)[COLOURS_5_6][:, ::-1],
                    "Your columns are in reverse order: column k should hold the 1s of value k."),
            Mistake(1 - np.eye(K_5_6)[COLOURS_5_6],
                    "You swapped the 0s and the 1s: each row has a single 1."),
        ],
        solution="answer_5_6 = np.eye(4)[colours]",
    ),
    FunctionExercise(
        id="5.7",
        title="distinct_rows(W, tol): how many different units does a layer really have?",
        reference=distinct_rows,
        inputs=_inputs_5_7,
        trials=5,
        n=None,
        hint="Walk through the rows in order and keep a list of the rows seen so far; a row is new "
             "when, for every kept row, some entry differs by more than tol.",
        mistakes=[
            Mistake(lambda W, tol: len(np.unique(W, axis=0)),
                    "You compared rows for exact equality: rows that differ only in the last bits "
                    "(by less than tol) are still twins."),
            Mistake(lambda W, tol: distinct_rows(np.asarray(W).T, tol),
                    "You counted distinct columns; a unit's incoming weights are a row of W."),
            Mistake(_rows_all_entries_differ,
                    "A unit is new when *some* weight differs from every kept row's by more than "
                    "tol; you required every weight to differ."),
            Mistake(_rows_allclose,
                    "np.allclose adds a relative tolerance (rtol = 1e-5 times |w|) to atol, "
                    "larger than tol here; compare the largest absolute difference with tol "
                    "(or pass rtol=0)."),
            Mistake(_rows_against_every_earlier,
                    "Compare each row with the rows you have counted, not with every earlier "
                    "row: a row can be within tol of a twin that was not counted and still differ "
                    "by more than tol from every counted row."),
            Mistake(_rows_against_first,
                    "Compare each row with every row counted so far, not with the first row "
                    "only: two twins of another unit count once."),
            Mistake(_rows_mean_distance,
                    "Compare the largest difference between the entries with tol, not their "
                    "average: one weight that differs by more than tol makes a new unit."),
            Mistake(lambda W, tol: len(W) - distinct_rows(W, tol),
                    "That counts the rows that repeat an earlier one; the question asks for the "
                    "rows that do not."),
        ],
        solution=("def distinct_rows(W, tol):\n"
                  "    kept = []\n"
                  "    for row in np.asarray(W, dtype=float):\n"
                  "        if all(np.abs(row - k).max() > tol for k in kept):\n"
                  "            kept.append(row)\n"
                  "    return len(kept)"),
    ),
    TableExercise(
        id="5.8",
        title="ReLU + He against ReLU + default, 5 seeds: the difference of mean accuracies "
              "and its 95% Welch interval",
        reference=_reference_5_8,
        digits=3,
        rtol=1e-3,
        hint="Difference = mean(He) − mean(default). Its standard error is √(s₁²/n₁ + s₂²/n₂), "
             "with the sample variances (ddof=1); the interval is the difference ± t·SE, t from "
             "scipy.stats.t.ppf(0.975, ν) with Welch's degrees of freedom ν.",
        mistakes=[
            Mistake(LazyTable(lambda: _reference_5_8(spread="sd")),
                    "Your interval is too wide: it uses the spread of single runs. The uncertainty "
                    "of a mean of n runs is the standard error s/√n."),
            Mistake(LazyTable(lambda: _reference_5_8(sign=-1)),
                    "The sign is reversed: the difference is He's mean minus the default's."),
            Mistake(LazyTable(lambda: _reference_5_8(quantile="normal")),
                    "Your interval is too narrow: 1.96 is the normal quantile, right only for many "
                    "runs. With an estimated standard error from 5 runs a side, the quantile comes "
                    "from Student's t with Welch's degrees of freedom ν."),
            Mistake(LazyTable(lambda: _reference_5_8(df="pooled")),
                    "Your t quantile uses n₁ + n₂ − 2 degrees of freedom, those of the pooled "
                    "(equal-variance) test; Welch's interval uses ν = (v₁ + v₂)² / (v₁²/(n₁ − 1) "
                    "+ v₂²/(n₂ − 1)), with vᵢ = sᵢ²/nᵢ."),
        ],
        solution=("import scipy.stats\n"
                  "a = factorial.cells[('relu', 'He')]['val_accuracy']\n"
                  "b = factorial.cells[('relu', 'default')]['val_accuracy']\n"
                  "va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size\n"
                  "nu = (va + vb) ** 2 / (va ** 2 / (a.size - 1) + vb ** 2 / (b.size - 1))\n"
                  "half = scipy.stats.t.ppf(0.975, nu) * math.sqrt(va + vb)\n"
                  "diff = a.mean() - b.mean()\n"
                  "answer_5_8 = {'difference': diff, 'lower': diff - half, 'upper': diff + half}"),
    ),
]

"""Exercises of chapter 6, regularization and generalization (``notebooks/06_regularization.md``).

Each reference is computed from the formula the chapter derives, not typed in.
The one exception is 6.5, a prediction about an experiment; the chapter's
experiment and ``tests/test_ch06_conclusions.py`` confirm it.
"""

import functools
import itertools
import math
from dataclasses import dataclass

import numpy as np

from .. import backend
from .core import (ArrayExercise, ChoiceExercise, FunctionExercise, Mistake, NumberExercise,
                   TableExercise, _is_array)

# 6.1: the gradient of (λ/2)‖W‖² with respect to [W | b] of a Linear(3, 2)
_W = np.array([[0.5, -1.0, 2.0], [0.0, 1.5, -0.5]])
_B = np.array([0.3, -0.2])
_LAM = 0.1


def _with_bias_column(grad_w, grad_b):
    return np.hstack([grad_w, np.reshape(grad_b, (-1, 1))])


# 6.2: inverted dropout with p = 0.2
_P = 0.2


# 6.3: inverted dropout with an explicit uniform array u
def _dropout_forward(x, u, p, training):
    if not training:
        return x
    return np.where(u >= p, x / (1 - p), 0.0)


_calls = itertools.count()


def _dropout_inputs(rng):
    # training alternates between calls, so every check sees both modes
    shape = (4, 6)
    return {"x": rng.normal(size=shape), "u": rng.uniform(size=shape),
            "p": float(rng.uniform(0.15, 0.6)), "training": next(_calls) % 2 == 0}


# 6.6: BatchNorm1d(2, eps=0.01) in training mode
_X6 = np.array([[1.0, 4.0], [2.0, 0.0], [6.0, 2.0]])
_GAMMA = np.array([2.0, 1.0])
_BETA = np.array([0.0, 1.0])
_EPS6 = 0.01


def _batchnorm(X, gamma, beta, eps, ddof=0, axis=0):
    mu = X.mean(axis=axis, keepdims=True)
    var = X.var(axis=axis, ddof=ddof, keepdims=True)
    return gamma * (X - mu) / np.sqrt(var + eps) + beta


# 6.7: one weight under L1 (or L2) alone, plain gradient descent
_W0, _ETA, _LAM7 = 0.5, 0.1, 0.01

# 6.8: the first step of AdamW
_THETA0, _G, _LR8, _WD8, _ADAM_EPS = 2.0, 0.5, 0.01, 0.1, 1e-8


def _adam_first_step(theta, g):
    """θ − lr·m̂₁/(√v̂₁ + ε) with m̂₁ = g and v̂₁ = g² (Adam's bias-corrected first step)."""
    return theta - _LR8 * g / (math.sqrt(g * g) + _ADAM_EPS)


# 6.9: BatchNorm1d(1) running statistics after the batches [1, 3] and [4, 6, 8]
BATCHES_6_9 = (np.array([1.0, 3.0]), np.array([4.0, 6.0, 8.0]))
X_EVAL_6_9 = 5.0


def _running_stats_6_9(ddof=1, momentum=0.1, eval_with_batch=False):
    m, v = 0.0, 1.0
    for b in BATCHES_6_9:
        m = (1 - momentum) * m + momentum * b.mean()
        v = (1 - momentum) * v + momentum * b.var(ddof=ddof)
    if eval_with_batch:
        last = BATCHES_6_9[-1]
        out = (X_EVAL_6_9 - last.mean()) / math.sqrt(last.var() + 1e-5)
    else:
        out = (X_EVAL_6_9 - m) / math.sqrt(v + 1e-5)
    return {"running_mean": m, "running_var": v, "eval_output": out}


# 6.10: early stopping, as nnlearn.train.EarlyStopping decides it
def early_stopping_epochs(val_loss, patience, min_delta):
    """(best epoch, stopping epoch), epochs numbered from 1: an epoch improves when its loss is
    below best − min_delta; training stops at the epoch that makes ``patience`` epochs in a row
    without improvement (or at the last epoch)."""
    best, best_epoch, waited = math.inf, 0, 0
    for epoch, v in enumerate(np.asarray(val_loss, dtype=float), start=1):
        if v < best - min_delta:
            best, best_epoch, waited = v, epoch, 0
        else:
            waited += 1
            if waited >= patience:
                return best_epoch, epoch
    return best_epoch, len(val_loss)


def stopping_demo(epochs: int = 60, patience: int = 3):
    """Workbook 06's demonstration after exercise 6.10, as numbers for the book's solution.

    A 64-32-10 ReLU network trained on the digits with ``SGD(lr=0.05)``, batches of 32, seed
    0, for ``epochs`` epochs; its validation loss is the curve. ``noise`` is the standard
    deviation of the curve's epoch-to-epoch changes over the second half, divided by √2 (the
    workbook's estimate). Returns a dict with ``noise``, ``lowest`` (the epoch of the lowest
    loss, numbered from 1) and, for ``min_delta`` 0 and twice the noise, the pair
    ``(best epoch, stopping epoch)`` that :func:`early_stopping_epochs` gives with
    ``patience``.
    """
    from .. import data, losses, manual_seed, nn, optim, train

    split, _ = train.standardized_split(*data.digits(), seed=0)
    manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    h = train.fit(model, losses.cross_entropy, optim.SGD(model.parameters(), lr=0.05),
                  split.train, epochs=epochs, batch_size=32, val_data=split.val,
                  progress=False, seed=0)
    curve = np.asarray(h["val_loss"], dtype=float)
    noise = float(np.std(np.diff(curve[epochs // 2:]), ddof=1) / math.sqrt(2))
    return {"noise": noise, "lowest": int(np.argmin(curve)) + 1, "epochs": epochs,
            "zero": early_stopping_epochs(curve, patience, 0.0),
            "twice_noise": early_stopping_epochs(curve, patience, 2 * noise)}


@dataclass(kw_only=True)
class PairFunctionExercise(FunctionExercise):
    """A function exercise whose answer is a pair of numbers: ``(a, b)``, ``[a, b]`` and a
    length-2 array (``np.array([a, b])``, a natural way to return two epochs) are all the
    same answer."""

    def judge(self, fn):
        if callable(fn) and not isinstance(fn, type):
            inner = fn

            @functools.wraps(inner)
            def fn(*args):
                out = inner(*args)
                if _is_array(out) or hasattr(out, "shape"):       # NumPy, nnlearn, torch
                    a = np.asarray(backend.to_numpy(out) if _is_array(out) else out)
                    if a.ndim == 1 and a.size == 2:
                        return tuple(a.tolist())
                return out
        return super().judge(fn)


def _stopping_against_lowest(val_loss, patience, min_delta):
    """The slip: compare each epoch with the lowest loss so far, moved on every new low."""
    lowest, best_epoch, waited = math.inf, 0, 0
    for epoch, v in enumerate(np.asarray(val_loss, dtype=float), start=1):
        improved = v < lowest - min_delta
        lowest = min(lowest, v)
        if improved:
            best_epoch, waited = epoch, 0
        else:
            waited += 1
            if waited >= patience:
                return best_epoch, epoch
    return best_epoch, len(val_loss)


def _inputs_6_10(rng):
    patience = int(rng.integers(2, 6))
    min_delta = float(rng.choice([0.003, 0.01, 0.02]))
    # A validation curve in three parts: a descent whose every step improves by more than
    # any min_delta; a slow creep of two steps of 0.6·min_delta (each too small to count
    # against the best, the two together enough) and then patience + 2 steps of 0.1·min_delta
    # (too small in all); then a noisy rise. Ignoring min_delta changes the answer (every creep
    # step would count), and so does comparing with the lowest loss so far instead of the
    # best recorded value (the second 0.6 step would not count): on every draw.
    descent = 1.0 - np.cumsum(rng.uniform(0.03, 0.08, size=int(rng.integers(5, 15))))
    creep = descent[-1] - min_delta * np.cumsum([0.6, 0.6] + [0.1] * (patience + 2))
    rise = creep[-1] + np.cumsum(rng.uniform(0.0, 0.01, size=int(rng.integers(5, 20))))
    return {"val_loss": np.concatenate([descent, creep, rise]), "patience": patience,
            "min_delta": min_delta}


EXERCISES = [
    ArrayExercise(
        id="6.1",
        title="the gradient of (λ/2)‖W‖² with respect to [W | b]",
        reference=_with_bias_column(_LAM * _W, np.zeros(2)),
        hint="Differentiate (λ/2)·ΣW² entry by entry; then ask which parameters the penalty contains.",
        mistakes=[
            Mistake(_with_bias_column(2 * _LAM * _W, np.zeros(2)),
                    "Twice too large: the ½ in front of the penalty cancels the 2 that comes down "
                    "from the square."),
            Mistake(_with_bias_column(_LAM * _W, _LAM * _B),
                    "The penalty is on the weights only: the bias does not appear in it, so its "
                    "gradient from the penalty is zero."),
            Mistake(_with_bias_column(2 * _LAM * _W, 2 * _LAM * _B),
                    "Two slips: the ½ cancels the 2 from the square, and the bias is not penalized."),
            Mistake(_with_bias_column(_LAM * np.sign(_W), np.zeros(2)),
                    "That is the gradient of the L1 penalty λ·Σ|W|; the L2 penalty's gradient "
                    "grows with the weight."),
            Mistake(_with_bias_column(_LAM / 2 * _W, np.zeros(2)),
                    "Half too small: differentiating W² brings down a factor 2, which cancels the ½."),
        ],
        solution="answer_6_1 = np.hstack([lam * W, np.zeros((2, 1))])",
    ),
    NumberExercise(
        id="6.2",
        title="the inverted-dropout scale for p = 0.2",
        reference=1 / (1 - _P),
        hint="Write the expected output of one unit with a scale s on the survivors: how often "
             "does a unit survive, and what does it output then?",
        mistakes=[
            Mistake(1 / _P, "You divided by p, the probability of dropping; the survivors were kept "
                    "with probability 1 − p."),
            Mistake(1 - _P, "Multiplying by 1 − p shrinks the survivors; that factor belongs to the "
                    "weights at test time in the original, non-inverted dropout."),
            Mistake(_P, "p is the drop probability itself, not a scale: survivors must be made larger."),
            Mistake(1.0, "Without rescaling, the expected output is (1 − p)·x, smaller than in "
                    "evaluation mode."),
        ],
        solution="answer_6_2 = 1 / (1 - 0.2)",
    ),
    FunctionExercise(
        id="6.3",
        title="write inverted dropout with an explicit uniform array u",
        reference=_dropout_forward,
        inputs=_dropout_inputs,
        trials=4,
        n=None,
        hint="np.where(condition, value, 0.0) keeps some entries and zeros the others; the scale "
             "is the one exercise 6.2 derives, and evaluation mode changes nothing.",
        mistakes=[
            Mistake(lambda x, u, p, training: x if not training else np.where(u < p, x / p, 0.0),
                    "You kept the entries where u < p, a fraction p of them: p is the probability "
                    "of dropping (the slide text 002 mix-up)."),
            Mistake(lambda x, u, p, training: x if not training else np.where(u < p, x / (1 - p), 0.0),
                    "The comparison is the wrong way round: keep the entries where u >= p."),
            Mistake(lambda x, u, p, training: x if not training else np.where(u >= p, x / p, 0.0),
                    "The survivors are kept with probability 1 − p, so they are divided by 1 − p, "
                    "not by p."),
            Mistake(lambda x, u, p, training: x if not training else np.where(u >= p, x, 0.0),
                    "The survivors need rescaling: without it the expected output is (1 − p)·x."),
            Mistake(lambda x, u, p, training: x if not training else np.where(u >= p, x * (1 - p), 0.0),
                    "Inverted dropout divides the survivors by the keep probability; you multiplied."),
            Mistake(lambda x, u, p, training: np.where(u >= p, x / (1 - p), 0.0),
                    "In evaluation mode (training=False) dropout is the identity: return x unchanged."),
            Mistake(lambda x, u, p, training: x * (1 - p) if not training else np.where(u >= p, x / (1 - p), 0.0),
                    "With inverted dropout the rescaling already happened in training: evaluation "
                    "mode returns x unchanged."),
        ],
        solution=("def dropout_forward(x, u, p, training):\n"
                  "    if not training:\n"
                  "        return x\n"
                  "    return np.where(u >= p, x / (1 - p), 0.0)"),
    ),
    ChoiceExercise(
        id="6.4",
        title="find the mistake in slide text 002's dropout code",
        options={
            "a": "np.tanh must be applied after the mask, not before it.",
            "b": "Dividing by (1 − keep_prob) changes the expected value of the activations.",
            "c": "Nothing: with keep_prob = 0.8 the code keeps 80% of the units.",
            "d": "binomial(..., 1 - keep_prob) is 1 with probability 1 − keep_prob, so the code keeps "
                 "a fraction 1 − keep_prob of the units instead of keep_prob.",
        },
        reference="d",
        hint="The sentence promises one fraction of survivors; run the masking line on an array of "
             "ones and count the nonzero entries. Which probability did binomial receive?",
        mistakes=[
            Mistake("a", "Masking the activations after the nonlinearity is the usual placement; "
                    "look at the probability passed to binomial."),
            Mistake("b", "The mask and the scale use the same probability, so the expectation "
                    "is unchanged. Look at how many units survive."),
            Mistake("c", "binomial(1, q) is 1 with probability q; here q is 1 − keep_prob."),
        ],
        solution='answer_6_4 = "d"',
    ),
    ChoiceExercise(
        id="6.5",
        title="predict: on twenty fresh draws of ten points, which of M = 1, 3, 10 tests best?",
        options={
            "a": "M = 3 on every draw, as on the chapter's data.",
            "b": "M = 10 on most draws: once trained long enough, more units generalize better.",
            "c": "It varies from draw to draw: no size has the lowest test error on every draw.",
            "d": "M = 1 on every draw: the smallest network cannot overfit.",
        },
        reference="c",
        hint="The chapter's verdict holds for one draw of ten points. How much can ten noisy points "
             "say about the shape of the curve, and where do the random x's leave gaps?",
        mistakes=[
            Mistake("a", "The chapter's table is one draw of ten evenly spaced points. With ten random "
                    "points the gaps and the noise differ from draw to draw, and so does the winner."),
            Mistake("b", "The largest network fits the noise of its ten points; more training makes "
                    "that worse, not better."),
            Mistake("d", "A single tanh unit underfits the sine: on draws whose points trace the "
                    "curve well, a larger network does better on new points."),
        ],
        solution='answer_6_5 = "c"',
    ),
    ArrayExercise(
        id="6.6",
        title="batch normalization of a 3 × 2 batch by hand (eps = 0.01)",
        reference=_batchnorm(_X6, _GAMMA, _BETA, _EPS6),
        hint="Per column: subtract the batch mean, divide by √(variance + ε), then multiply by γ "
             "and add β.",
        mistakes=[
            Mistake(_batchnorm(_X6, _GAMMA, _BETA, _EPS6, ddof=1),
                    "In training mode the variance divides by m, the batch size, not by m − 1."),
            Mistake(_batchnorm(_X6, _GAMMA, _BETA, 0.0),
                    "Close, but ε is missing: the denominator is √(σ² + ε)."),
            Mistake(_batchnorm(_X6, _GAMMA, _BETA, 0.0, ddof=1),
                    "Two slips: the variance divides by m, not m − 1, and ε belongs under the "
                    "square root."),
            Mistake(_batchnorm(_X6, 1.0, 0.0, _EPS6),
                    "That is x̂: the layer then scales by γ and shifts by β."),
            Mistake(_batchnorm(_X6, _BETA, _GAMMA, _EPS6),
                    "γ and β are swapped: y = γ·x̂ + β, with γ the scale."),
            Mistake(_batchnorm(_X6, _GAMMA, _BETA, _EPS6, axis=1),
                    "Batch normalization standardizes each feature (column) over the samples, not "
                    "each sample over its features."),
        ],
        solution=("X = np.array([[1.0, 4.0], [2.0, 0.0], [6.0, 2.0]])\n"
                  "x_hat = (X - X.mean(axis=0)) / np.sqrt(X.var(axis=0) + 0.01)\n"
                  "answer_6_6 = np.array([2.0, 1.0]) * x_hat + np.array([0.0, 1.0])"),
    ),
    NumberExercise(
        id="6.7",
        title="steps for an L1-penalized weight to reach zero",
        reference=abs(_W0) / (_ETA * _LAM7),
        hint="Each step moves the weight by η times the gradient of λ|w|; how big is that "
             "gradient, and does it depend on w?",
        mistakes=[
            Mistake(abs(_W0) / _LAM7, "You left out the learning rate: each step moves the weight "
                    "by η·λ, not by λ."),
            Mistake(abs(_W0) / _ETA, "The gradient of λ|w| is λ·sign(w): the step is η·λ, not η."),
            Mistake(2 * abs(_W0) / (_ETA * _LAM7), "Twice too many: the gradient of λ|w| is "
                    "λ·sign(w), without a factor ½."),
            Mistake(abs(_W0) / (_ETA * _LAM7) + 1,
                    "One step too many: after t steps the weight is 0.5 − t·η·λ; count the steps "
                    "that take it from 0.5 to 0, not the values it passes through."),
            Mistake(abs(_W0) / (_ETA * _LAM7) - 1,
                    "One step too few: after t steps the weight is 0.5 − t·η·λ; at which t is it 0?"),
            Mistake(math.log(2) / -math.log(1 - _ETA * _LAM7),
                    "That is the L2 half-life: under L1 the step does not shrink with the weight."),
        ],
        solution="answer_6_7 = 0.5 / (0.1 * 0.01)",
    ),
    NumberExercise(
        id="6.8",
        title="the first AdamW step from θ = 2 with g = 0.5",
        reference=_adam_first_step(_THETA0 * (1 - _LR8 * _WD8), _G),
        rtol=1e-6,
        hint="AdamW does two things to θ in a step, and only one of them goes through Adam's "
             "normalization: which one, and in what order? For a single gradient, what is "
             "m̂₁/√v̂₁?",
        mistakes=[
            Mistake(_adam_first_step(_THETA0, _G + _WD8 * _THETA0),
                    "That is a plain Adam step (with the L2 term in the gradient or without it, the "
                    "first step is lr times the sign): AdamW also multiplies θ by 1 − lr·λ, outside "
                    "the normalization."),
            Mistake(_THETA0 * (1 - _LR8 * _WD8),
                    "That is only the decay: the Adam step on the data gradient follows it."),
            Mistake(_THETA0 * (1 - _WD8) - _LR8,
                    "The decay factor is 1 − lr·λ: the weight decay is multiplied by the learning "
                    "rate too."),
            Mistake(_THETA0 * (1 - _LR8 * _WD8) - _LR8 * _G,
                    "Adam does not step by lr·g: at the first step m̂/(√v̂ + ε) is about ±1."),
            Mistake(_adam_first_step(_THETA0, _G) * (1 - _LR8 * _WD8),
                    "You decayed θ after Adam's step, which shrinks the step too. AdamW multiplies "
                    "the weight it starts from by 1 − lr·λ and then adds Adam's step unchanged."),
        ],
        solution="answer_6_8 = 2 * (1 - 0.01 * 0.1) - 0.01 * 0.5 / (0.5 + 1e-8)",
    ),
    TableExercise(
        id="6.9",
        title="BatchNorm1d's running statistics and evaluation output, by hand",
        reference=lambda: _running_stats_6_9(),
        digits=4,
        rtol=1e-3,
        hint="After each training batch: running = (1 − momentum)·running + momentum·(batch "
             "statistic), with the batch's mean and its unbiased variance (divide by m − 1). "
             "Evaluation mode then standardizes x with the running statistics.",
        mistakes=[
            Mistake(_running_stats_6_9(ddof=0),
                    "The running variance is updated with the unbiased batch variance (divide by "
                    "m − 1), not the one training mode normalizes with."),
            Mistake(_running_stats_6_9(momentum=0.9),
                    "momentum = 0.1 is the weight of the *new* batch statistic, not of the old "
                    "running value."),
            Mistake(_running_stats_6_9(eval_with_batch=True),
                    "In evaluation mode the layer normalizes with its running statistics, not with "
                    "the statistics of the last training batch."),
        ],
        solution=("m, v = 0.0, 1.0\n"
                  "for b in [np.array([1.0, 3.0]), np.array([4.0, 6.0, 8.0])]:\n"
                  "    m = 0.9 * m + 0.1 * b.mean()\n"
                  "    v = 0.9 * v + 0.1 * b.var(ddof=1)\n"
                  "answer_6_9 = {'running_mean': m, 'running_var': v,\n"
                  "              'eval_output': (5.0 - m) / np.sqrt(v + 1e-5)}"),
    ),
    PairFunctionExercise(
        id="6.10",
        title="early_stopping_epochs(val_loss, patience, min_delta): the best and the stopping epoch",
        reference=early_stopping_epochs,
        inputs=_inputs_6_10,
        n=None,
        hint="Walk through the epochs (numbered from 1) keeping the best value recorded so far; "
             "an epoch improves only if its loss is below best − min_delta. Stop at the epoch where the "
             "count of epochs without improvement reaches patience.",
        mistakes=[
            Mistake(lambda val_loss, patience, min_delta: early_stopping_epochs(val_loss, patience, 0.0),
                    "Your function ignores min_delta: an epoch counts as an improvement only if it "
                    "beats the best by more than min_delta."),
            Mistake(_stopping_against_lowest,
                    "Your best moves to every new lowest loss; in EarlyStopping it moves only on "
                    "an epoch that counts as an improvement, so several small falls can add up "
                    "to one that counts."),
            Mistake(lambda val_loss, patience, min_delta: tuple(
                        e - 1 for e in early_stopping_epochs(val_loss, patience, min_delta)),
                    "Epochs are numbered from 1 (the first value is the loss after epoch 1)."),
            Mistake(lambda val_loss, patience, min_delta: (
                        int(np.argmin(val_loss)) + 1,
                        early_stopping_epochs(val_loss, patience, min_delta)[1]),
                    "The best epoch is the last epoch that counted as an improvement, which is not "
                    "always the epoch of the lowest loss: a loss lower by less than min_delta does "
                    "not count, and epochs after the stop are never seen."),
        ],
        solution=("def early_stopping_epochs(val_loss, patience, min_delta):\n"
                  "    best, best_epoch, waited = float('inf'), 0, 0\n"
                  "    for epoch, v in enumerate(val_loss, start=1):\n"
                  "        if v < best - min_delta:\n"
                  "            best, best_epoch, waited = v, epoch, 0\n"
                  "        else:\n"
                  "            waited += 1\n"
                  "            if waited >= patience:\n"
                  "                return best_epoch, epoch\n"
                  "    return best_epoch, len(val_loss)"),
    ),
]

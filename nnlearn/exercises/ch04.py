"""Exercises of chapter 4, optimizers (``notebooks/04_optimizers.md``).

Each reference is computed from the update rules the chapter states, not typed in.
"""

import functools
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .core import (ArrayExercise, ChoiceExercise, Exercise, FunctionExercise, Mistake,
                   NumberExercise, _as_array, _as_number)

# --------------------------------------------------------------------------
# 4.1: two steps of momentum on E(w) = 2w², from rest at w0 = 1, μ = 0.9
# --------------------------------------------------------------------------
_MU = 0.9
_W0 = 1.0
_ETA_HB = 0.05      # slide 004's learning rate (ε on the slide)
_ETA_AVG = 0.1      # slide 001's learning rate


def _grad_41(w):
    return 4.0 * w          # dE/dw for E = 2w²


def _heavy_ball(eta, mu, steps=2, w_prev=None, momentum_sign=1.0):
    """w_t = w_{t-1} − η ∇E(w_{t-1}) + μ (w_{t-1} − w_{t-2}), from rest unless w_prev is given."""
    w_prev = _W0 if w_prev is None else w_prev
    w = _W0
    for _ in range(steps):
        w, w_prev = w - eta * _grad_41(w) + momentum_sign * mu * (w - w_prev), w
    return w


def _averaged(eta, mu, steps=2, damp=True):
    """v_t = μ v_{t-1} + (1 − μ) η ∇E(w_{t-1}), w_t = w_{t-1} − v_t, from v_0 = 0."""
    w, v = _W0, 0.0
    for _ in range(steps):
        v = mu * v + ((1 - mu) if damp else 1.0) * eta * _grad_41(w)
        w = w - v
    return w


_REF_41 = np.array([_heavy_ball(_ETA_HB, _MU), _averaged(_ETA_AVG, _MU)])


# --------------------------------------------------------------------------
# 4.2: the learning rate of the averaged form that matches a heavy ball
# --------------------------------------------------------------------------

def _eta_avg(eta, mu):
    return eta / (1 - mu)


def _eta_inputs(rng):
    return {"eta": float(rng.uniform(0.001, 1.0)), "mu": float(rng.uniform(0.5, 0.99))}


# --------------------------------------------------------------------------
# 4.4: one step of PyTorch's SGD with momentum
# --------------------------------------------------------------------------

def _sgd_momentum_step(w, b, g, lr, mu):
    b_new = mu * b + g
    return w - lr * b_new, b_new


def _step_inputs(rng):
    return {"w": rng.normal(size=4), "b": rng.normal(size=4), "g": rng.normal(size=4),
            "lr": float(rng.uniform(0.01, 0.5)), "mu": float(rng.uniform(0.5, 0.95))}


# --------------------------------------------------------------------------
# 4.6: gradient descent on E = ½ λ w² with λ = 40, η = 0.045
# --------------------------------------------------------------------------
_LAMBDA_46, _ETA_46 = 40.0, 0.045


def _fate(eta, lam):
    """a: monotone convergence, b: oscillating convergence, c: constant size, d: divergence."""
    factor = 1.0 - eta * lam          # w_t = factor^t w_0
    if np.isclose(abs(factor), 1.0):
        return "c"
    if abs(factor) > 1.0:
        return "d"
    return "a" if factor >= 0 else "b"


# --------------------------------------------------------------------------
# 4.7: the largest stable learning rate on ½(w1² + 25 w2²)
# --------------------------------------------------------------------------
_CURVATURES_47 = np.array([1.0, 25.0])



# --------------------------------------------------------------------------
# 4.8: one step of Adam
# --------------------------------------------------------------------------

def _adam_step(theta, m, v, g, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g**2
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def _adam_inputs(rng):
    t = int(rng.integers(1, 50))
    return {"theta": rng.normal(size=3), "m": 0.1 * rng.normal(size=3),
            "v": rng.uniform(0.01, 1.0, size=3), "g": rng.normal(size=3), "t": t,
            "lr": float(rng.uniform(1e-3, 0.1)), "beta1": float(rng.uniform(0.5, 0.95)),
            "beta2": float(rng.uniform(0.9, 0.9999)), "eps": float(rng.uniform(1e-3, 0.1))}


def _adam_no_correction(theta, m, v, g, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g**2
    return theta - lr * m / (np.sqrt(v) + eps), m, v


def _adam_eps_inside(theta, m, v, g, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g**2
    return theta - lr * (m / (1 - beta1**t)) / np.sqrt(v / (1 - beta2**t) + eps), m, v


def _adam_previous_t(theta, m, v, g, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    return _adam_step(theta, m, v, g, t + 1, lr, beta1, beta2, eps)


def _adam_plain_g(theta, m, v, g, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * np.abs(g)
    return theta - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps), m, v


# --------------------------------------------------------------------------
# 4.9 and 4.10: momentum at the matched learning rate against plain SGD, 5 seeds
# --------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def _momentum_differences():
    """Final training loss, momentum (lr 0.03, μ 0.9) minus plain (lr 0.3), seeds 0-4, 5 epochs."""
    from .. import optim, train
    from ..course.paths import digits_run
    from ..data import digits

    split, _ = train.standardized_split(*digits(), seed=0)
    last = lambda make, s: float(digits_run(split, make, epochs=5, seed=s)["loss"][-1])
    return tuple(last(lambda p: optim.SGD(p, lr=0.03, momentum=0.9), s)
                 - last(lambda p: optim.SGD(p, lr=0.3), s) for s in range(5))


def _interval(quantile=None, ddof=1, se=True):
    from scipy import stats

    d = np.array(_momentum_differences())
    q = stats.t.ppf(0.975, d.size - 1) if quantile is None else quantile
    half = q * d.std(ddof=ddof) / (np.sqrt(d.size) if se else 1.0)
    return np.array([d.mean(), d.mean() - half, d.mean() + half])


def momentum_interval() -> np.ndarray:
    """``[mean, low, high]`` of exercise 4.9: the paired differences' mean and 95% t interval."""
    return _interval()


def momentum_verdict() -> str:
    """The letter of exercise 4.10 that the interval of 4.9 supports (for the tests)."""
    _, lo, hi = _interval()
    return "a" if lo <= 0 <= hi else ("b" if hi < 0 else "c")


# --------------------------------------------------------------------------
# Exercises judged by a conclusion, not by digits: a range of right answers
# --------------------------------------------------------------------------

@dataclass(kw_only=True)
class _ConclusionExercise(Exercise):
    """An answer judged by a rule, not by closeness to one number.

    ``shape`` is ``()`` for one number or the shape of the array asked for;
    ``rule(answer)`` returns ``None`` when the answer is right, or the hint of
    the mistake it makes. The rule holds the accepted ranges, measured by the
    reference experiment on the same data and seed as the learner's.
    ``reference`` is one right answer (the reference solution's, or a function
    of no argument computing it), for the registry's tests; it is not the only one.
    """

    reference: object
    shape: tuple = ()
    rule: Callable = None

    def judge(self, answer):
        a = _as_number(answer) if self.shape == () else _as_array(answer, self.shape)
        hint = self.rule(a)
        return ("correct", "", {}) if hint is None else ("incorrect", hint, {})


# --------------------------------------------------------------------------
# 4.11: a learning-rate range test (Smith 2017) on the digits network
# --------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def range_test_record():
    """``(lrs, losses)`` of the range test the exercise asks for: plain SGD, rates
    from 1e-3 to 10 over 100 minibatches, seed 0 (:func:`paths.lr_range_test`)."""
    from .. import optim, train
    from ..course.paths import lr_range_test
    from ..data import digits

    split, _ = train.standardized_split(*digits(), seed=0)
    return lr_range_test(split, lambda p: optim.SGD(p, lr=1e-3), 1e-3, 10.0, steps=100, seed=0)


def range_test_bounds():
    """``(low, high, lr_best, lr_blow_up)`` for exercise 4.11.

    ``lr_best`` is the rate at the lowest loss of the record smoothed over 5
    batches (a running mean, centred); ``lr_blow_up`` the first rate after it
    whose loss exceeds the first recorded loss (or the last rate tried). A
    right pick lies a factor of about 3 to 10 below ``lr_best`` (Smith's rule), widened by
    the factor 1.5 the workbook names, because a learner who reads the minimum off the raw
    curve, or smooths differently, lands within a factor 1.5 of ``lr_best``: from
    ``lr_best/15`` to ``lr_best/2``.
    """
    lrs, losses = range_test_record()
    smooth = np.convolve(losses, np.ones(5) / 5, mode="valid")
    k = int(np.argmin(smooth)) + 2
    above = np.nonzero(losses[k:] > losses[0])[0]
    blow = lrs[k + above[0]] if above.size else lrs[-1]
    return lrs[k] / 15, lrs[k] / 2, lrs[k], blow


# the hints, one place each (the rules return them, the mistakes name them)
_H411_LOG = ("A learning rate is a positive number: give the rate itself, not its logarithm "
             "or a change in the loss")
_H411_SMALL = ("That rate is much further below the one at the lowest loss than Smith's factor of "
               "about 3 to 10: the range test looks for the largest rate that still trains well")
_H411_BLOWN = ("At that rate the loss of the range test had already blown up above its starting "
               "value: pick a rate before the loss turns up, not after")
_H411_EDGE = ("That is at (or past) the lowest loss of the range test, the edge of "
              "instability: Smith's rule picks a rate somewhat below it, a factor of about 3 to 10")
_H411_NEAR = ("That is below the lowest loss of the range test, but by less than a factor 2: "
              "still at the edge of instability. Smith's rule picks a rate a factor of about 3 to "
              "10 below it")
_H412_EARLY = ("Your noise includes the first ten epochs, where the loss falls fast: that fall "
               "is trend, not noise. Measure the changes after epoch 10 only")
_H412_TREND = ("That is about the size of the mean change per epoch, the trend. The noise is the "
               "spread of the epoch-to-epoch changes: their standard deviation")
_H412_NOISE = ("Take the epoch-to-epoch changes np.diff(val_loss[10:]) of each run, their standard "
               "deviation, and the median over the 5 runs")
_H412_WHOLE = "The patience is a whole number of epochs, at least 1"
_H412_BLIP = ("With a patience that short, a few epochs of noise without a new best stop the run "
              "while the loss is still creeping down (the chapter's blip). Compare the noise with "
              "how far the trend falls in one epoch")
_H412_SHORT = ("Over that many epochs the trend falls by less than the noise, so noise alone can "
               "still stop the run: the patience has to be longer")
_H412_LONG = ("A patience that long never stops any of these five 30-epoch runs: that is training "
              "for the whole budget, not early stopping")
_H412_NEG = "min_delta is the smallest change that counts as an improvement: 0 or positive"
_H412_DELTA = ("A min_delta as large as the noise makes real but small improvements not count, "
               "so the rule stops on noise sooner. Keep it well below the noise")


def _rule_411(lr):
    low, high, best, blow = range_test_bounds()
    if lr <= 0:
        return _H411_LOG
    if lr < low:
        return _H411_SMALL
    if lr >= blow:
        return _H411_BLOWN
    if lr >= best:
        return _H411_EDGE
    if lr > high:
        return _H411_NEAR
    return None


# --------------------------------------------------------------------------
# 4.12: early stopping with a patience chosen from the noise
# --------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def stopping_curves():
    """The validation losses of the chapter's long runs: SGD(lr=0.3), 30 epochs, seeds 0-4."""
    from .. import optim, train
    from ..course.paths import seeded_runs
    from ..data import digits

    split, _ = train.standardized_split(*digits(), seed=0)
    runs = seeded_runs(split, lambda p: optim.SGD(p, lr=0.3), seeds=range(5), epochs=30)
    return tuple(tuple(float(v) for v in h["val_loss"]) for h in runs)


def noise_and_trend(first: int = 10):
    """Median over the seeds of the standard deviation of the epoch-to-epoch change
    of the validation loss after epoch ``first`` (ddof=1), and of the slope of a
    least-squares line through those epochs (per epoch)."""
    V = [np.asarray(v) for v in stopping_curves()]
    sigma = float(np.median([np.std(np.diff(v[first:]), ddof=1) for v in V]))
    epochs = np.arange(first + 1, len(V[0]) + 1)
    slope = float(np.median([np.polyfit(epochs, v[first:], 1)[0] for v in V]))
    return sigma, slope


def patience_reference():
    """``np.array([noise, patience, min_delta])``: the noise of :func:`noise_and_trend`,
    the smallest patience over which the trend's fall exceeds it, and min_delta 0."""
    sigma, slope = noise_and_trend()
    return np.array([sigma, float(np.ceil(sigma / abs(slope))), 0.0])


def _whole_noise():
    """The mistaken noise of the whole curve, first epochs included (median over seeds)."""
    return float(np.median([np.std(np.diff(v), ddof=1) for v in stopping_curves()]))


def _fired(patience):
    """On how many of the five runs the rule with this patience (min_delta 0) stops early."""
    from ..course.paths import stopping_study

    return stopping_study([{"val_loss": list(v)} for v in stopping_curves()],
                          patience=patience).stopped


def _rule_412(answer):
    noise, patience, min_delta = (float(v) for v in answer)
    sigma, slope = noise_and_trend()
    if not 0.95 * sigma <= noise <= 1.05 * sigma:    # rounding, ddof=0, a mean: within 5%
        whole = _whole_noise()
        if noise > 5 * sigma and abs(noise - whole) < 0.5 * whole:
            return _H412_EARLY
        if noise < 0.5 * sigma and noise <= 2 * abs(slope):
            return _H412_TREND
        return _H412_NOISE
    if patience != round(patience) or patience < 1:
        return _H412_WHOLE
    if patience <= 3:
        return _H412_BLIP
    if patience * abs(slope) < 0.98 * sigma:     # the exercise's own test, with the measured
        return _H412_SHORT                       # noise (2% for rounding it)
    if _fired(int(patience)) == 0:              # never stops on these runs: no early stopping
        return _H412_LONG
    if min_delta < 0:
        return _H412_NEG
    if min_delta > 0.5 * sigma:
        return _H412_DELTA
    return None


EXERCISES = [
    ArrayExercise(
        id="4.1",
        title="two momentum steps on E = 2w² in the heavy-ball and the averaged forms",
        reference=_REF_41,
        rtol=1e-6,
        hint=("Do one step at a time. For the heavy ball, the first step has no momentum term "
              "(w₋₁ = w₀); for the averaged form, v₀ = 0 and the weights move by −v."),
        mistakes=[
            Mistake(_REF_41[::-1], "Your two values are swapped: the heavy ball (slide 004) comes "
                    "first, the averaged form (slide 001) second."),
            Mistake(np.array([_heavy_ball(_ETA_HB, _MU, steps=1), _averaged(_ETA_AVG, _MU, steps=1)]),
                    "Those are the weights after one step; the exercise asks for w₂."),
            Mistake(np.array([_REF_41[0], _averaged(_ETA_AVG, _MU, damp=False)]),
                    "The averaged form scales the gradient by (1 − μ) before adding it to μv."),
            Mistake(np.array([_heavy_ball(_ETA_HB, _MU, momentum_sign=-1.0), _REF_41[1]]),
                    "The heavy ball adds μ(w_{t−1} − w_{t−2}): the momentum term keeps the "
                    "direction of the previous step."),
            Mistake(np.array([_heavy_ball(_ETA_HB, _MU, w_prev=0.0), _REF_41[1]]),
                    "Starting from rest means w₋₁ = w₀, so the first heavy-ball step has no "
                    "momentum term."),
        ],
        solution=("def grad(w):\n"
                  "    return 4 * w\n"
                  "w_prev = w = 1.0\n"
                  "for _ in range(2):\n"
                  "    w, w_prev = w - 0.05 * grad(w) + 0.9 * (w - w_prev), w\n"
                  "heavy = w\n"
                  "w, v = 1.0, 0.0\n"
                  "for _ in range(2):\n"
                  "    v = 0.9 * v + (1 - 0.9) * 0.1 * grad(w)\n"
                  "    w = w - v\n"
                  "answer_4_1 = np.array([heavy, w])"),
    ),
    FunctionExercise(
        id="4.2",
        title="the averaged form's learning rate that matches a heavy-ball learning rate",
        reference=_eta_avg,
        inputs=_eta_inputs,
        n=None,
        hint=("Write the step Δ_t = w_t − w_{t−1} of each form as a recursion in Δ_{t−1} "
              "and g_t, and compare the two."),
        mistakes=[
            Mistake(lambda eta, mu: eta * (1 - mu), "Check your function on exercise 4.1's "
                    "numbers: the averaged form moved less there, so which must be larger, η or "
                    "η_avg, for the two to move alike?"),
            Mistake(lambda eta, mu: eta, "The two rates are not equal: the averaged form scales "
                    "its gradient by (1 − μ)."),
            Mistake(lambda eta, mu: eta / mu, "The factor in front of the averaged form's gradient "
                    "is (1 − μ), not μ."),
            Mistake(lambda eta, mu: eta * (1 + mu), "Match the factors of g_t exactly; the sum of the "
                    "geometric series is not needed here."),
        ],
        solution="def eta_avg_from_heavy_ball(eta, mu):\n    return eta / (1 - mu)",
    ),
    ChoiceExercise(
        id="4.3",
        title="predict the size of Adam's first step",
        options={
            "a": "η |g₁|",
            "b": "(1 − β₁) η |g₁|",
            "c": "η (1 − β₁)/√(1 − β₂) ≈ 3.16 η",
            "d": "η, whatever g₁ is",
        },
        reference="d",
        hint="Compute m̂₁ and v̂₁ from the algorithm box, then their ratio.",
        mistakes=[
            Mistake("a", "That is plain gradient descent's step. Adam divides by √v̂, which has "
                    "the size of the gradient."),
            Mistake("b", "That is η m₁ without the bias correction and without the division "
                    "by √v̂."),
            Mistake("c", "That is the first step without bias correction; the algorithm box "
                    "divides m₁ and v₁ by (1 − β₁) and (1 − β₂) first."),
        ],
        solution='answer_4_3 = "d"',
    ),
    FunctionExercise(
        id="4.4",
        title="write one step of SGD with momentum, PyTorch's convention",
        reference=_sgd_momentum_step,
        inputs=_step_inputs,
        output_names=("w_new", "b_new"),
        n=None,
        hint="Two lines: update the buffer with the new gradient, then move the weights by lr times the new buffer.",
        mistakes=[
            Mistake(lambda w, b, g, lr, mu: (w + lr * (mu * b + g), mu * b + g),
                    "The weights move against the buffer (downhill): w − lr·b."),
            Mistake(lambda w, b, g, lr, mu: (w - lr * b, mu * b + g),
                    "The weights move with the *new* buffer, after the gradient has been added "
                    "to it."),
            Mistake(lambda w, b, g, lr, mu: (w - lr * (mu * b + (1 - mu) * g), mu * b + (1 - mu) * g),
                    "That is dampening = μ (an average of the gradients); SGD's default dampening "
                    "is 0, so the buffer adds the whole gradient."),
            Mistake(lambda w, b, g, lr, mu: (w - (mu * b + lr * g), mu * b + lr * g),
                    "That puts the learning rate inside the buffer (Sutskever's form); PyTorch's "
                    "buffer sums the raw gradients and lr multiplies it afterwards."),
            Mistake(lambda w, b, g, lr, mu: (w - lr * (mu * b + g), b),
                    "Return the updated buffer too: the next step needs it."),
        ],
        solution=("def sgd_momentum_step(w, b, g, lr, mu):\n"
                  "    b_new = mu * b + g\n"
                  "    w_new = w - lr * b_new\n"
                  "    return w_new, b_new"),
    ),
    ChoiceExercise(
        id="4.5",
        title="find the mistake in an RMSProp step",
        options={
            "a": "eps should be inside the square root.",
            "b": "alpha and 1 - alpha are swapped.",
            "c": "v must average the squared gradient, g ** 2.",
            "d": "The learning rate should multiply v, not the step.",
        },
        reference="c",
        hint=("Run the student's loop and print v after every step, then compare each line of "
              "the function with the algorithm box."),
        mistakes=[
            Mistake("a", "Where ε goes is a convention (Keras puts it inside the root, PyTorch "
                    "outside); moving it changes the denominator by at most √ε, and keeps it "
                    "positive either way, so it cannot turn a number into nan."),
            Mistake("b", "alpha multiplies the old average and 1 − alpha the new term, as in the "
                    "algorithm box, so that line's weights are right."),
            Mistake("d", "The algorithm box also multiplies the step by the learning rate; "
                    "scaling by a positive number cannot produce a nan."),
        ],
        solution='answer_4_5 = "c"',
    ),
    ChoiceExercise(
        id="4.6",
        title="predict what gradient descent does on E = ½λw² with λ = 40, η = 0.045",
        options={
            "a": "it converges without ever crossing zero",
            "b": "it converges, changing sign at every step",
            "c": "|w| stays exactly 1 for ever",
            "d": "it diverges",
        },
        reference=_fate(_ETA_46, _LAMBDA_46),
        hint="Each step multiplies w by the same factor 1 − ηλ. Compute it.",
        mistakes=[
            Mistake("a", "Compute the factor 1 − ηλ: what is its sign?"),
            Mistake("c", "That would need |1 − ηλ| = 1 exactly; compute the factor."),
            Mistake("d", "Divergence needs |1 − ηλ| > 1, that is η > 2/λ. Compare η with 2/λ."),
        ],
        solution='answer_4_6 = "b"',
    ),
    NumberExercise(
        id="4.7",
        title="the largest stable learning rate on ½(w₁² + 25 w₂²)",
        reference=2.0 / _CURVATURES_47.max(),
        hint="Gradient descent on this quadratic treats each coordinate on its own: what does "
             "one step multiply w_i by, and when does that factor make |w_i| grow?",
        mistakes=[
            Mistake(2.0 / _CURVATURES_47.min(), "That is the limit of the flat direction alone; the "
                    "steep one diverges first."),
            Mistake(1.0 / _CURVATURES_47.max(), "At η = 1/λ the steep direction converges in one step; "
                    "above that rate its factor changes sign, but |w| still shrinks as long as η "
                    "stays below the limit you are after."),
            Mistake(2.0 / _CURVATURES_47.sum(), "The coordinates do not interact: compare each "
                    "curvature with the limit separately, do not add them."),
        ],
        solution="answer_4_7 = 2 / 25",
    ),
    FunctionExercise(
        id="4.8",
        title="write one step of Adam, with bias correction",
        reference=_adam_step,
        inputs=_adam_inputs,
        output_names=("theta_new", "m_new", "v_new"),
        n=None,
        hint=("Four lines from the algorithm box: update m and v with the new gradient, correct "
              "each with the current step number t, then move θ."),
        mistakes=[
            Mistake(_adam_no_correction, "The averages start at zero; the algorithm box divides "
                    "m by (1 − β₁ᵗ) and v by (1 − β₂ᵗ) before they are used."),
            Mistake(_adam_eps_inside, "PyTorch's Adam adds ε outside the square root."),
            Mistake(_adam_previous_t, "Use the step number t as given: the first step has t = 1."),
            Mistake(_adam_plain_g, "v is an average of the squared gradient, not of its size."),
        ],
        solution=("def adam_step(theta, m, v, g, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):\n"
                  "    m = beta1 * m + (1 - beta1) * g\n"
                  "    v = beta2 * v + (1 - beta2) * g**2\n"
                  "    m_hat = m / (1 - beta1**t)\n"
                  "    v_hat = v / (1 - beta2**t)\n"
                  "    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v"),
    ),
    ArrayExercise(
        id="4.9",
        title="momentum against plain SGD over 5 seeds: mean paired difference and its 95% interval",
        reference=_interval,
        rtol=0.05,
        atol=5e-5,
        hint=("Pair the runs by seed, take the five differences momentum − plain, then "
              "mean ± t·s/√5 with s their sample standard deviation (ddof=1)."),
        mistakes=[
            Mistake(lambda: -_interval()[[0, 2, 1]], "Subtract in the order asked: momentum minus "
                    "plain."),
            Mistake(lambda: _interval(quantile=1.959963984540054), "With 5 seeds the quantile is "
                    "Student's t with 4 degrees of freedom, not the normal distribution's."),
            Mistake(lambda: _interval(se=False), "That interval uses the spread of single "
                    "differences; the uncertainty of their mean is smaller by √5."),
            Mistake(lambda: _interval(ddof=0), "Use the sample standard deviation, which divides "
                    "by n − 1 (ddof=1)."),
        ],
        solution=("from scipy import stats\n"
                  "def last(make, s):\n"
                  "    return digits_run(split, make, epochs=5, seed=s)['loss'][-1]\n"
                  "d = np.array([last(lambda p: optim.SGD(p, lr=0.03, momentum=0.9), s)\n"
                  "              - last(lambda p: optim.SGD(p, lr=0.3), s) for s in range(5)])\n"
                  "half = stats.t.ppf(0.975, 4) * d.std(ddof=1) / np.sqrt(5)\n"
                  "answer_4_9 = np.array([d.mean(), d.mean() - half, d.mean() + half])"),
    ),
    ChoiceExercise(
        id="4.10",
        title="read the interval of exercise 4.9",
        options={
            "a": "too close to call: neither clearly faster nor clearly slower here",
            "b": "momentum trains faster",
            "c": "plain SGD trains faster",
            "d": "they are the same method, so the difference is exactly 0",
        },
        reference="a",
        hint="Where does 0 lie relative to your interval?",
        mistakes=[
            Mistake("b", "A faster momentum run needs the whole interval below 0. Is it?"),
            Mistake("c", "A faster plain run needs the whole interval above 0. Is it?"),
            Mistake("d", "Momentum and plain SGD take different paths (compare two runs); an "
                    "interval that contains 0 does not show that a difference is 0."),
        ],
        solution='answer_4_10 = "a"',
    ),
    _ConclusionExercise(
        id="4.11",
        title="a learning-rate range test: pick a learning rate for plain SGD on the digits",
        reference=lambda: range_test_bounds()[2] / 5,
        rule=_rule_411,
        hint=("Plot the range test's loss against the learning rate on a logarithmic axis; find "
              "where the loss is lowest and pick a rate somewhat below it."),
        mistakes=[
            Mistake(lambda: range_test_bounds()[3] * 1.2, _H411_BLOWN),
            Mistake(lambda: range_test_bounds()[2], _H411_EDGE),
            Mistake(lambda: 1e-3, _H411_SMALL),
            Mistake(lambda: np.log10(range_test_bounds()[2] / 5), _H411_LOG),
        ],
        solution=("lrs, losses = paths.lr_range_test(split, lambda p: optim.SGD(p, lr=1e-3),\n"
                  "                                  1e-3, 10.0, steps=100, seed=0)\n"
                  "smooth = np.convolve(losses, np.ones(5) / 5, mode='valid')\n"
                  "lr_best = lrs[2:-2][np.argmin(smooth)]\n"
                  "answer_4_11 = lr_best / 5"),
    ),
    _ConclusionExercise(
        id="4.12",
        title="early stopping: measure the noise, then choose patience and min_delta",
        reference=patience_reference,
        shape=(3,),
        rule=_rule_412,
        hint=("Measure the noise as the standard deviation of np.diff(val_loss[10:]), the trend as "
              "the slope of a line through the same epochs, and choose the patience so that the "
              "trend's fall over that many epochs exceeds the noise."),
        mistakes=[
            Mistake(lambda: patience_reference() * [0, 1, 1] + [_whole_noise(), 0, 0], _H412_EARLY),
            Mistake(lambda: np.array([abs(noise_and_trend()[1]), 10, 0.0]), _H412_TREND),
            Mistake(lambda: patience_reference() * [1, 0, 1] + [0, 3, 0], _H412_BLIP),
            Mistake(lambda: patience_reference() * [1, 0, 1] + [0, 30, 0], _H412_LONG),
            Mistake(lambda: patience_reference() * [1, 1, 0] + [0, 0, noise_and_trend()[0]],
                    _H412_DELTA),
        ],
        solution=("V = [np.array(h['val_loss']) for h in runs]\n"
                  "noise = np.median([np.std(np.diff(v[10:]), ddof=1) for v in V])\n"
                  "slope = np.median([np.polyfit(np.arange(11, 31), v[10:], 1)[0] for v in V])\n"
                  "answer_4_12 = np.array([noise, np.ceil(noise / abs(slope)), 0.0])"),
    ),
]

"""Exercises of chapter 4, optimizers (``notebooks/04_optimizers.md``).

Each reference is computed from the update rules the chapter states, not typed in.
"""

import numpy as np

from .core import ArrayExercise, ChoiceExercise, FunctionExercise, Mistake, NumberExercise

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
        hint=("Write both steps as recursions: Δ_t = μΔ_{t−1} − η g_t for the heavy ball and "
              "−v_t = μ(−v_{t−1}) − (1 − μ)η_avg g_t for the averaged form, and match the "
              "factors of g_t."),
        mistakes=[
            Mistake(lambda eta, mu: eta * (1 - mu), "That converts the other way: it gives the "
                    "heavy ball's rate from the averaged one. Here η is given and η_avg is wanted."),
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
            "b": "η, whatever g₁ is",
            "c": "(1 − β₁) η |g₁|",
            "d": "η (1 − β₁)/√(1 − β₂) ≈ 3.16 η",
        },
        reference="b",
        hint="Compute m̂₁ and v̂₁ from the algorithm box, then their ratio.",
        mistakes=[
            Mistake("a", "That is plain gradient descent's step. Adam divides by √v̂, which has "
                    "the size of the gradient."),
            Mistake("c", "That is η m₁ without the bias correction and without the division "
                    "by √v̂."),
            Mistake("d", "That is the first step without bias correction; with it, m̂₁ and v̂₁ "
                    "are the gradient and its square."),
        ],
        solution='answer_4_3 = "b"',
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
            "b": "v must average the squared gradient, g ** 2.",
            "c": "alpha and 1 - alpha are swapped.",
            "d": "The learning rate should multiply v, not the step.",
        },
        reference="b",
        hint="Where can a square root of a negative number come from?",
        mistakes=[
            Mistake("a", "Where ε goes is a convention (Keras puts it inside, PyTorch outside); "
                    "either way the result would be finite. Look at what v averages."),
            Mistake("c", "alpha multiplies the old average and 1 − alpha the new term, as in the "
                    "algorithm box. Look at what the new term is."),
            Mistake("d", "The learning rate scales the step, as written. Look at what v averages."),
        ],
        solution='answer_4_5 = "b"',
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
        hint="Each coordinate evolves on its own as w_t = (1 − ηλ_i)^t w_0; both factors must stay below 1 in size.",
        mistakes=[
            Mistake(2.0 / _CURVATURES_47.min(), "That is the limit of the flat direction alone; the "
                    "steep one diverges first."),
            Mistake(1.0 / _CURVATURES_47.max(), "At η = 1/λ the steep direction converges in one step; "
                    "the limit is where its factor 1 − ηλ reaches −1."),
            Mistake(2.0 / _CURVATURES_47.sum(), "The coordinates do not interact: compare each "
                    "curvature with the limit separately, do not add them."),
        ],
        solution="answer_4_7 = 2 / 25",
    ),
]

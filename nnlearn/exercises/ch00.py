"""Exercises of the onboarding workbook ``notebooks/00_how_exercises_work.md``.

One exercise of each common kind: a number (0.1), an array (0.2), a function
(0.3) and a prediction (0.4).
"""

import numpy as np

from .core import ArrayExercise, ChoiceExercise, FunctionExercise, Mistake, NumberExercise

# Exercise 0.2: f(w) = ½ wᵀA w − bᵀw, whose gradient is A w − b for symmetric A.
A = np.array([[3.0, 1.0], [1.0, 2.0]])
b = np.array([1.0, -1.0])
w = np.array([2.0, -1.0])


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


EXERCISES = [
    NumberExercise(
        id="0.1",
        title="the derivative of x² at x = 3",
        reference=6.0,
        hint="Use the power rule, d/dx xⁿ = n·xⁿ⁻¹, then put in x = 3.",
        mistakes=[
            Mistake(9.0, "That is the value of x² at x = 3; the question asks for its slope there."),
        ],
        solution="answer_0_1 = 2 * 3",
    ),
    ArrayExercise(
        id="0.2",
        title="the gradient of ½ wᵀA w − bᵀw",
        reference=lambda: A @ w - b,
        hint="Differentiate the two terms separately, then put in the given w; "
             "the gradient has one entry per entry of w.",
        mistakes=[
            Mistake(lambda: A @ w, "A term of f is missing from your gradient."),
            Mistake(lambda: A @ w + b, "Re-check the sign of the linear term's gradient."),
            Mistake(lambda: 0.5 * (A @ w) - b, "Re-check what differentiating the quadratic "
                    "term does to the ½ in front of it."),
            Mistake(lambda: 2 * (A @ w) - b, "Re-check the constant in front of the quadratic "
                    "term, and what it does to that term's gradient."),
        ],
        solution="answer_0_2 = A @ w - b",
    ),
    FunctionExercise(
        id="0.3",
        title="the logistic sigmoid",
        reference=_sigmoid,
        inputs=lambda rng: {"x": rng.normal(0.0, 3.0, size=6)},
        hint="σ(x) = 1 / (1 + e^(−x)), computed elementwise; np.exp works on whole arrays.",
        mistakes=[
            Mistake(lambda x: _sigmoid(-x), "Your function decreases as x grows: check the sign "
                    "of the exponent."),
            Mistake(np.tanh, "That is tanh(x), which runs from −1 to 1; σ runs from 0 to 1."),
            Mistake(lambda x: _sigmoid(x) * (1 - _sigmoid(x)), "That is the derivative "
                    "σ′(x) = σ(x)(1 − σ(x)), not σ itself."),
            Mistake(lambda x: 1.0 + np.exp(-x), "That is the denominator; σ is one divided by it."),
        ],
        solution="def sigmoid(x):\n    return 1 / (1 + np.exp(-x))",
    ),
    ChoiceExercise(
        id="0.4",
        title="σ(x) as x → −∞",
        options={"a": "−1", "b": "0", "c": "½", "d": "−∞"},
        reference="b",
        hint="Look at what e^(−x) does as x → −∞.",
        mistakes=[
            Mistake("a", "−1 is where tanh goes; σ(x) is one over something larger than 1."),
            Mistake("c", "½ is σ(0), the value in the middle; follow e^(−x) as x → −∞."),
            Mistake("d", "σ(x) is one over (1 + e^(−x)), and that denominator is always "
                    "positive."),
        ],
        solution='answer_0_4 = "b"',
    ),
]

"""Exercises of chapter 3, automatic differentiation (``notebooks/03_autodiff.md``).

Each reference is computed from the formula the chapter derives or by nnlearn
(``trace``, ``jvp``, ``nnlearn.course.batchnorm_manual``), not typed in.
"""

import math

import numpy as np

from ..autodiff import trace
from ..autodiff.modes import jvp
from ..course.batchnorm_manual import batchnorm_backward, batchnorm_forward
from .core import ChoiceExercise, FunctionExercise, Mistake, NumberExercise, TableExercise


# 3.1 and 3.2: y = x1·sin(x1·x2) + exp(x2) at (1.5, 0.5)
def _f31(x1, x2):
    v1 = x1 * x2
    v2 = v1.sin()
    v3 = v2 * x1
    v4 = x2.exp()
    return v3 + v4


_X1, _X2 = 1.5, 0.5
_T31 = trace(_f31, x1=_X1, x2=_X2)
_ROWS = ["vbar5", "vbar4", "vbar3", "vbar2", "vbar1", "vbar0", "vbar-1"]
# the trace's variables are v₋₁, v₀, v₁, …, v₅: adjoints in the order v̄5 … v̄₋₁
_ADJ = dict(zip(_ROWS, [_T31.adjoints[id(v)] for v in reversed(_T31.variables)][:5]
                + [_T31.gradients["x2"], _T31.gradients["x1"]]))
_V1 = _X1 * _X2


def _table(**changes):
    """The reference table with some rows replaced (for a declared mistake)."""
    return {**_ADJ, **{k.replace("m1", "-1"): v for k, v in changes.items()}}


# each contribution of the fan-out inputs, to build the "overwritten" mistakes
_VBAR1 = _ADJ["vbar1"]
_VBAR0_FROM_V1 = _VBAR1 * _X1               # through v1 = v−1·v0
_VBAR0_FROM_V4 = math.exp(_X2)              # through v4 = exp v0
_VBARM1_FROM_V1 = _VBAR1 * _X2              # through v1
_VBARM1_FROM_V3 = math.sin(_V1)             # through v3 = v2·v−1

_SEED = (1.0, -1.0)
_JVP = jvp(_f31, [_X1, _X2], list(_SEED)).values[0]


# 3.4: the backward closure of tanh
def _tanh_backward(x, out, grad):
    return grad * (1 - out**2)


def _tanh_inputs(rng):
    x = rng.uniform(-2.0, 2.0, size=(3, 4))
    return {"x": x, "out": np.tanh(x), "grad": rng.normal(size=(3, 4))}


# 3.6 and 3.7: batch norm in training mode, eps = 1e-5, computed by nnlearn.course.batchnorm_manual
_EPS = 1e-5


def _bn_inputs(rng, with_gamma=False):
    n, c = int(rng.integers(4, 9)), 3
    args = {"x": rng.normal(1.0, 2.0, size=(n, c)), "grad_out": rng.normal(size=(n, c))}
    if with_gamma:
        args["gamma"] = rng.normal(size=c)
    return args


def _bn_grads(x, grad_out, gamma=None):
    c = x.shape[1]
    gamma = np.ones(c) if gamma is None else gamma
    _, cache = batchnorm_forward(x, gamma, np.zeros(c), eps=_EPS)
    return batchnorm_backward(grad_out, cache)


def _bn_param_grads(x, grad_out):
    _, dgamma, dbeta = _bn_grads(x, grad_out)
    return dgamma, dbeta


def _x_hat(x, ddof=0):
    return (x - x.mean(0)) / np.sqrt(x.var(0, ddof=ddof) + _EPS)


def _bn_input_grad(x, grad_out, gamma):
    return _bn_grads(x, grad_out, gamma)[0]


EXERCISES = [
    TableExercise(
        id="3.1",
        title="the reverse adjoint trace of y = x1·sin(x1·x2) + exp(x2) at (1.5, 0.5)",
        reference=_ADJ,
        hint="Go from the output back: each operation adds (its own adjoint) × (its local partial) "
             "into the adjoint of each operand.",
        row_hints={
            "vbar5": "v̄5 is the adjoint of the output itself: ∂y/∂y.",
            "vbar4": "v5 = v3 + v4: what does an addition pass to each operand?",
            "vbar3": "v5 = v3 + v4: what does an addition pass to each operand?",
            "vbar2": "v3 = v2 × v−1: the local partial with respect to one factor is the other factor.",
            "vbar1": "v2 = sin v1: multiply v̄2 by the derivative of sin, evaluated at v1.",
            "vbar0": "x2 = v0 is used by two operations (v1 and v4): add both contributions.",
            "vbar-1": "x1 = v−1 is used by two operations (v1 and v3): add both contributions.",
        },
        mistakes=[
            Mistake(_table(vbar2=math.sin(_V1)),
                    "Row v̄2: the local partial of v3 = v2 × v−1 with respect to v2 is the other factor, "
                    "not v2 itself."),
            Mistake(_table(vbar1=_ADJ["vbar2"]),
                    "Row v̄1: v2 = sin v1, so v̄1 needs the local derivative of sin at v1, not just v̄2."),
            Mistake(_table(vbar1=_ADJ["vbar2"] * math.cos(_X1)),
                    "Row v̄1: the derivative of sin is evaluated at its argument v1 = v−1 × v0, not at x1."),
            Mistake(_table(vbar0=_VBAR0_FROM_V1),
                    "Row v̄0: you kept only the contribution through v1; x2 is also used by v4 = exp v0 — "
                    "adjoints of a variable used twice add up."),
            Mistake(_table(vbar0=_VBAR0_FROM_V4),
                    "Row v̄0: you kept only the contribution through v4; x2 is also used by v1 = v−1 × v0 — "
                    "adjoints of a variable used twice add up."),
            Mistake(_table(vbarm1=_VBARM1_FROM_V1),
                    "Row v̄−1: you kept only the contribution through v1; x1 is also a factor of "
                    "v3 = v2 × v−1 — adjoints of a variable used twice add up."),
            Mistake(_table(vbarm1=_VBARM1_FROM_V3),
                    "Row v̄−1: you kept only the contribution through v3; x1 is also a factor of "
                    "v1 = v−1 × v0 — adjoints of a variable used twice add up."),
        ],
        solution=("x1, x2 = 1.5, 0.5\n"
                  "vbar1 = x1 * math.cos(x1 * x2)\n"
                  "answer_3_1 = {\"vbar5\": 1, \"vbar4\": 1, \"vbar3\": 1, \"vbar2\": x1, \"vbar1\": vbar1,\n"
                  "              \"vbar0\": math.exp(x2) + vbar1 * x1,\n"
                  "              \"vbar-1\": math.sin(x1 * x2) + vbar1 * x2}"),
    ),
    NumberExercise(
        id="3.2",
        title="one forward sweep with the seed (ẋ1, ẋ2) = (1, −1)",
        reference=_JVP,
        hint="A forward sweep is linear in its seed: ẏ = (∂y/∂x1)·ẋ1 + (∂y/∂x2)·ẋ2.",
        mistakes=[
            Mistake(_T31.gradients["x1"], "That is ∂y/∂x1, the sweep seeded with (1, 0); the seed here "
                    "also moves x2."),
            Mistake(_T31.gradients["x2"], "That is ∂y/∂x2, the sweep seeded with (0, 1); the seed here "
                    "also moves x1."),
            Mistake(-_T31.gradients["x2"], "That is −∂y/∂x2 alone; the seed also moves x1."),
            Mistake(_T31.gradients["x1"] + _T31.gradients["x2"],
                    "That is the sweep seeded with (1, 1): look at the sign of ẋ2."),
        ],
        solution="answer_3_2 = jvp(f, [1.5, 0.5], [1.0, -1.0]).values[0]",
    ),
    ChoiceExercise(
        id="3.3",
        title="predict the cheaper mode for n = 3 inputs, m = 1000 outputs",
        options={
            "a": "forward mode, 3 sweeps",
            "b": "reverse mode, 1 sweep",
            "c": "reverse mode, 1000 sweeps",
            "d": "forward mode, 1000 sweeps",
        },
        reference="a",
        hint="One forward sweep gives one column of the Jacobian, one reverse sweep one row.",
        mistakes=[
            Mistake("b", "One reverse sweep gives the gradient of one output (one row); here there "
                    "are 1000 outputs."),
            Mistake("c", "That is what reverse mode would need; compare it with the other mode's count."),
            Mistake("d", "Forward mode needs one sweep per input, not per output."),
        ],
        solution='answer_3_3 = "a"',
    ),
    FunctionExercise(
        id="3.4",
        title="the backward closure of tanh",
        reference=_tanh_backward,
        inputs=_tanh_inputs,
        n=None,
        hint="Multiply the upstream gradient by the local derivative of tanh.",
        mistakes=[
            Mistake(lambda x, out, grad: grad * (1 - x**2),
                    "1 − (·)² is the derivative of tanh written in terms of its output, tanh u, "
                    "not its input u."),
            Mistake(lambda x, out, grad: 1 - out**2,
                    "That is the local derivative alone: the chain rule multiplies it by the upstream "
                    "gradient."),
            Mistake(lambda x, out, grad: grad * (1 - out),
                    "The derivative of tanh is 1 − tanh²: the output is squared."),
            Mistake(lambda x, out, grad: grad * out * (1 - out),
                    "out·(1 − out) is the derivative of the logistic sigmoid, not of tanh."),
        ],
        solution="def tanh_backward(x, out, grad):\n    return grad * (1 - out**2)",
    ),
    ChoiceExercise(
        id="3.5",
        title="find the mistake in a reverse trace of y = exp(x1)·(x1 + x2)",
        options={
            "a": "line (a): the seed should be 0",
            "b": "line (b): the local partials of v3 = v1·v2 are swapped",
            "c": "line (c): an addition halves the adjoint it passes on",
            "d": "line (d): it overwrites the adjoint of x1 instead of adding to it",
            "e": "nothing: the trace is right",
        },
        reference="d",
        hint="Which input is used by more than one operation, and what must its adjoint do?",
        mistakes=[
            Mistake("a", "The reverse sweep starts from ȳ = ∂y/∂y, which is 1."),
            Mistake("b", "For a product the local partial with respect to one factor is the other "
                    "factor: ∂v3/∂v1 = v2 is right."),
            Mistake("c", "v2 = v−1 + v0 has local partials 1 and 1: it passes its adjoint unchanged to "
                    "both operands, as line (c) does."),
            Mistake("e", "Compare the student's x̄1 with a finite difference of y at any point."),
        ],
        solution='answer_3_5 = "d"',
    ),
    FunctionExercise(
        id="3.6",
        title="the parameter gradients of batch norm: (∂ℓ/∂γ, ∂ℓ/∂β)",
        reference=_bn_param_grads,
        inputs=_bn_inputs,
        output_names=("dgamma", "dbeta"),
        hint="y = γ x̂ + β: each parameter's gradient sums, over the batch, the upstream gradient "
             "times what the parameter multiplies.",
        mistakes=[
            Mistake(lambda x, g: ((g * x).sum(0), g.sum(0)),
                    "∂y/∂γ is the normalized input x̂, not the raw input x."),
            Mistake(lambda x, g: ((g * _x_hat(x, ddof=1)).sum(0), g.sum(0)),
                    "In training mode the batch variance divides by m (the biased variance, NumPy's "
                    "default ddof=0), not by m − 1."),
            Mistake(lambda x, g: (g.sum(0), (g * _x_hat(x)).sum(0)),
                    "Your two outputs are swapped: return ∂ℓ/∂γ first, then ∂ℓ/∂β."),
            Mistake(lambda x, g: ((g * _x_hat(x)).mean(0), g.mean(0)),
                    "A parameter shared by all samples collects the sum of their contributions, "
                    "not the mean."),
        ],
        solution=("def bn_param_grads(x, grad_out, eps=1e-5):\n"
                  "    x_hat = (x - x.mean(0)) / np.sqrt(x.var(0) + eps)\n"
                  "    return (grad_out * x_hat).sum(0), grad_out.sum(0)"),
    ),
    FunctionExercise(
        id="3.7",
        title="the input gradient of batch norm, one-line form",
        reference=_bn_input_grad,
        inputs=lambda rng: _bn_inputs(rng, with_gamma=True),
        hint="∂ℓ/∂x = γ/√(σ² + ε) · (g − mean(g) − x̂ · mean(g x̂)), with means over the batch.",
        mistakes=[
            Mistake(lambda x, g, gamma: gamma * g / np.sqrt(x.var(0) + _EPS),
                    "That treats μ and σ² as constants, but every x_i also changes the batch mean and "
                    "variance: two more terms come from those paths."),
            Mistake(lambda x, g, gamma: gamma / np.sqrt(x.var(0) + _EPS) * (g - g.mean(0)),
                    "The path through σ² is missing: subtract x̂ times the batch mean of g·x̂."),
            Mistake(lambda x, g, gamma: gamma / np.sqrt(x.var(0) + _EPS)
                    * (g - _x_hat(x) * (g * _x_hat(x)).mean(0)),
                    "The path through μ is missing: subtract the batch mean of g."),
            Mistake(lambda x, g, gamma: 1 / np.sqrt(x.var(0) + _EPS)
                    * (g - g.mean(0) - _x_hat(x) * (g * _x_hat(x)).mean(0)),
                    "The factor γ is missing: y = γ x̂ + β, so ∂ℓ/∂x̂ = γ ∂ℓ/∂y."),
            Mistake(lambda x, g, gamma: gamma / np.sqrt(x.var(0, ddof=1) + _EPS)
                    * (g - g.mean(0) - _x_hat(x, 1) * (g * _x_hat(x, 1)).mean(0)),
                    "In training mode the batch variance divides by m (NumPy's default ddof=0), "
                    "not by m − 1."),
        ],
        solution=("def bn_input_grad(x, grad_out, gamma, eps=1e-5):\n"
                  "    x_hat = (x - x.mean(0)) / np.sqrt(x.var(0) + eps)\n"
                  "    g = grad_out\n"
                  "    return gamma / np.sqrt(x.var(0) + eps) * (g - g.mean(0) - x_hat * (g * x_hat).mean(0))"),
    ),
]

"""Exercises of chapter 3, automatic differentiation (``notebooks/03_autodiff.md``).

Each reference is computed from the formula the chapter derives or by nnlearn
(``trace``, ``jvp``, ``nnlearn.course.batchnorm_manual``), not typed in.
"""

import math

import numpy as np

from ..autodiff import trace
from ..autodiff.dual import jvp_dual
from ..autodiff.modes import jacobian_forward, jvp, tanh_layer
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


# 3.3: the cost of the cheaper mode for a dense tanh layer, |ℰ| = m(3n − 1)
_N33, _M33 = 30, 40
_E33 = _M33 * (3 * _N33 - 1)


# 3.8: the chapter's tiny engine, extended with exp and a constant power, trains a neuron
class _Scalar:
    """The chapter's tiny engine (add, mul, tanh) with exp and ** whose local
    derivatives are given, so that the declared mistakes can run it wrongly."""

    exp_partial = staticmethod(lambda x, out: out)                 # d e^x/dx = e^x
    pow_partial = staticmethod(lambda x, k: k * x ** (k - 1))      # d x^k/dx

    def __init__(self, data, _prev=()):
        self.data, self.grad, self._prev, self._backward = data, 0.0, _prev, lambda: None

    def __add__(self, other):
        out = type(self)(self.data + other.data, (self, other))

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        out = type(self)(self.data * other.data, (self, other))

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def exp(self):
        out = type(self)(math.exp(self.data), (self,))

        def _backward():
            self.grad += self.exp_partial(self.data, out.data) * out.grad
        out._backward = _backward
        return out

    def __pow__(self, k):
        out = type(self)(self.data ** k, (self,))

        def _backward():
            self.grad += self.pow_partial(self.data, k) * out.grad
        out._backward = _backward
        return out


def _backward_tiny(y):
    order, seen, stack = [], set(), [(y, False)]
    while stack:                          # depth-first, operands before results
        v, done = stack.pop()
        if done:
            order.append(v)
        elif id(v) not in seen:
            seen.add(id(v))
            stack.append((v, True))
            stack.extend((p, False) for p in v._prev)
    y.grad = 1.0
    for v in reversed(order):
        v._backward()


#: The data, start and schedule of exercise 3.8's training run.
NEURON_DATA = [(-2.0, 0.0), (-0.5, 0.0), (0.5, 1.0), (2.0, 1.0)]
NEURON_STEPS, NEURON_LR = 100, 0.5


def train_neuron(Scalar, backward=_backward_tiny, steps=NEURON_STEPS, lr=NEURON_LR):
    """Gradient descent on a sigmoid neuron σ(w x + b) = (1 + e^{−(w x + b)})^{−1}
    with the summed squared error, written with the tiny engine's operations only
    (+, ×, exp, ** with a constant exponent): the loss after ``steps`` steps, that is,
    at the weights the last update produced (``steps=0``: the loss at the start)."""
    w, b = Scalar(0.1), Scalar(0.0)

    def loss():
        total = Scalar(0.0)
        for x, d in NEURON_DATA:
            y = (Scalar(1.0) + ((w * Scalar(x) + b) * Scalar(-1.0)).exp()) ** -1
            total = total + (y + Scalar(-d)) ** 2
        return total

    for _ in range(steps):
        w.grad = b.grad = 0.0
        backward(loss())
        w.data -= lr * w.grad
        b.data -= lr * b.grad
    return loss().data


def neuron_losses():
    """``(start, end)``: exercise 3.8's loss before training and after its 100 steps."""
    return train_neuron(_Scalar, steps=0), train_neuron(_Scalar)


def _neuron_with(exp_partial=None, pow_partial=None):
    """train_neuron with the engine's exp or pow derivative replaced (a declared mistake)."""
    cls = type("_Wrong", (_Scalar,), {})
    if exp_partial is not None:
        cls.exp_partial = staticmethod(exp_partial)
    if pow_partial is not None:
        cls.pow_partial = staticmethod(pow_partial)
    return lambda: train_neuron(cls)


# 3.9: a Jacobian from n JVPs (dual numbers)
def jacobian_by_jvps(f, x):
    """The m × n Jacobian of f at x, column j from one evaluation on dual numbers seeded e_j."""
    n = len(x)
    columns = [jvp_dual(f, x, [1.0 if k == j else 0.0 for k in range(n)])[1] for j in range(n)]
    return np.array(columns).T


def _polar(r, phi):
    return [r * phi.cos(), r * phi.sin(), r * r]


def _inputs_3_9(rng):
    if rng.integers(2):
        n = 3
        W = rng.normal(size=(n, n))               # square: a transposed result has the right shape
        return {"f": tanh_layer(W), "x": list(rng.normal(size=n))}
    return {"f": lambda a, b, c: [a * b, (a - c).exp(), b.sin() * c],
            "x": list(rng.uniform(0.5, 1.5, size=3))}


def _seeded_with_ones(f, x):
    tangent = jvp_dual(f, x, [1.0] * len(x))[1]
    return np.array([tangent] * len(x)).T


def _values_not_tangents(f, x):
    n = len(x)
    return np.array([jvp_dual(f, x, [1.0 if k == j else 0.0 for k in range(n)])[0]
                     for j in range(n)]).T


# 3.10: the dual number of sin(a·b)
def dual_sin_of_product(a, da, b, db):
    """(value, tangent) of sin(x·y) for the dual numbers x = a + da ε, y = b + db ε (ε² = 0)."""
    return math.sin(a * b), math.cos(a * b) * (a * db + da * b)


EXERCISES = [
    TableExercise(
        id="3.1",
        title="the reverse adjoint trace of y = x1·sin(x1·x2) + exp(x2) at (1.5, 0.5)",
        reference=_ADJ,
        digits=4,
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
        digits=4,
        hint="A forward sweep seeded with a direction ẋ computes J·ẋ. What is J for one output and "
             "two inputs, and which numbers of exercise 3.1 are its entries?",
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
    NumberExercise(
        id="3.3",
        title="multiply-adds of the cheaper mode for the full Jacobian of a tanh layer, n = 30, m = 40",
        reference=lambda: min(_N33, _M33) * _E33,
        hint="Count the edges |ℰ| = m(3n − 1) first; in the chapter's cost model one sweep goes "
             "through every edge once. How many sweeps does each mode need for the whole Jacobian?",
        mistakes=[
            Mistake(lambda: max(_N33, _M33) * _E33, "That is the more expensive mode: compare "
                    "n sweeps of one mode with m sweeps of the other."),
            Mistake(_E33, "In the chapter's cost model that is a single sweep, which gives one row "
                    "or one column; the whole Jacobian needs more. (It is also what reverse sweeps "
                    "that visit only each output's ancestors would cost here; the question asks "
                    "for the cost model.)"),
            Mistake(lambda: _N33 * _M33 * _E33,
                    "One sweep per input *or* per output, not per entry of the Jacobian."),
        ],
        solution="answer_3_3 = 30 * 40 * (3 * 30 - 1)",
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
        hint="Compute the student's x̄1 and the derivative by hand at the same point: which line "
             "of the code lost a term?",
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
                    "In training mode the batch variance divides by N (the biased variance, NumPy's "
                    "default ddof=0), not by N − 1."),
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
        hint="Substitute ∂ℓ/∂σ_B² and ∂ℓ/∂μ_B into ∂ℓ/∂x_i, drop the term with Σ(x_i − μ_B) = 0, "
             "and write every (x_i − μ_B)/√(σ_B² + ε) as x̂_i: the result needs only g, x̂, γ, "
             "√(σ_B² + ε) and two batch means.",
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
                    "In training mode the batch variance divides by N (NumPy's default ddof=0), "
                    "not by N − 1."),
        ],
        solution=("def bn_input_grad(x, grad_out, gamma, eps=1e-5):\n"
                  "    x_hat = (x - x.mean(0)) / np.sqrt(x.var(0) + eps)\n"
                  "    g = grad_out\n"
                  "    return gamma / np.sqrt(x.var(0) + eps) * (g - g.mean(0) - x_hat * (g * x_hat).mean(0))"),
    ),
    NumberExercise(
        id="3.8",
        title="extend the tiny engine with exp and ** and train a neuron: the loss after 100 steps",
        reference=lambda: train_neuron(_Scalar),
        digits=3,
        hint="Each new operation computes out, then a _backward closure that adds (local "
             "derivative × out.grad) into self.grad. Check each one on a single number against "
             "nnlearn's Value before training.",
        mistakes=[
            Mistake(_neuron_with(exp_partial=lambda x, out: x), "The local derivative of e^x is "
                    "e^x itself (out.data), not x."),
            Mistake(_neuron_with(pow_partial=lambda x, k: k * x ** k), "The local derivative of "
                    "x^k is k·x^(k−1): the exponent drops by one."),
            Mistake(_neuron_with(pow_partial=lambda x, k: x ** (k - 1)), "The local derivative of "
                    "x^k is k·x^(k−1): the factor k is missing."),
            Mistake(_neuron_with(exp_partial=lambda x, out: 1.0), "Your exp passes its gradient "
                    "back unchanged; the chain rule multiplies it by the local derivative of e^x."),
            Mistake(lambda: train_neuron(_Scalar, steps=NEURON_STEPS - 1), "That is the loss "
                    "before the last update (after 99 steps); the question asks for the loss at the "
                    "weights the 100th step produced, which train_neuron() returns."),
        ],
        solution=("def exp(self):\n"
                  "    out = Scalar(math.exp(self.data), (self,))\n"
                  "    def _backward():\n"
                  "        self.grad += out.data * out.grad\n"
                  "    out._backward = _backward\n"
                  "    return out\n"
                  "\n"
                  "def power(self, k):\n"
                  "    out = Scalar(self.data ** k, (self,))\n"
                  "    def _backward():\n"
                  "        self.grad += k * self.data ** (k - 1) * out.grad\n"
                  "    out._backward = _backward\n"
                  "    return out\n"
                  "\n"
                  "Scalar.exp, Scalar.__pow__ = exp, power\n"
                  "answer_3_8 = train_neuron()"),
    ),
    FunctionExercise(
        id="3.9",
        title="jacobian_by_jvps(f, x): the Jacobian column by column from dual-number JVPs",
        reference=jacobian_by_jvps,
        inputs=_inputs_3_9,
        n=None,
        hint="One JVP computes J·ẋ for the seed ẋ you choose. Which seed makes J·ẋ a single "
             "column of J, and in which order do the columns go into an m × n array?",
        mistakes=[
            Mistake(_seeded_with_ones, "Each column needs its own seed e_j (1 for input j, 0 for "
                    "the others); seeding every input with 1 gives J·(1, …, 1) in every column."),
            Mistake(_values_not_tangents, "jvp_dual returns (outputs, output tangents): the "
                    "Jacobian is made of the tangents."),
        ],
        solution=("def jacobian_by_jvps(f, x):\n"
                  "    n = len(x)\n"
                  "    cols = [jvp_dual(f, x, [1.0 if k == j else 0.0 for k in range(n)])[1]\n"
                  "            for j in range(n)]\n"
                  "    return np.array(cols).T"),
    ),
    FunctionExercise(
        id="3.10",
        title="dual numbers by hand: (value, tangent) of sin(x·y) for x = a + da ε, y = b + db ε",
        reference=dual_sin_of_product,
        inputs=lambda rng: {"a": float(rng.uniform(-2, 2)), "da": float(rng.uniform(-2, 2)),
                            "b": float(rng.uniform(-2, 2)), "db": float(rng.uniform(-2, 2))},
        n=None,
        output_names=("value", "tangent"),
        hint="Multiply (a + da ε)(b + db ε) out and drop every ε²; then apply "
             "sin(p + q ε) = sin p + q cos(p) ε.",
        mistakes=[
            Mistake(lambda a, da, b, db: (math.sin(a * b), math.cos(a * b) * (a * db + da * b + da * db)),
                    "The da·db term multiplies ε², which is 0 for dual numbers: drop it."),
            Mistake(lambda a, da, b, db: (math.sin(a * b), math.cos(a * b) * a * db),
                    "The product rule has two terms: the tangent of x·y is a·db + da·b."),
            Mistake(lambda a, da, b, db: (math.sin(a * b), math.cos(a * b) * da * db),
                    "The tangent of x·y is not the product of the tangents: expand "
                    "(a + da ε)(b + db ε) and drop ε²."),
            Mistake(lambda a, da, b, db: (math.sin(a * b), math.cos(a * b)),
                    "sin(p + q ε) = sin p + q cos(p) ε: multiply cos by the tangent q of the product."),
        ],
        solution=("def dual_sin_of_product(a, da, b, db):\n"
                  "    p, q = a * b, a * db + da * b        # (a + da ε)(b + db ε), with ε² = 0\n"
                  "    return math.sin(p), math.cos(p) * q"),
    ),
]

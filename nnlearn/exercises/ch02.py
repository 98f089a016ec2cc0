"""Exercises of chapter 2, backpropagation by hand (``notebooks/02_backprop.md``).

Each reference is computed from the formula the chapter derives, not typed in;
``tests/test_ch02_backprop.py`` checks the references against PyTorch.
"""

import numpy as np

from .core import (ChoiceExercise, FunctionExercise, LazyTable, Mistake, NumberExercise,
                   TableExercise)


def _sigmoid(u):
    return 1 / (1 + np.exp(-u))


def _softmax_rows(U, axis=1):
    E = np.exp(U - U.max(axis=axis, keepdims=True))
    return E / E.sum(axis=axis, keepdims=True)


# ---------------------------------------------------------------------------
# 2.1: the output delta of the chapter's 2-2-1 network at a new sample
# ---------------------------------------------------------------------------

W1 = np.array([[0.2, -0.3], [0.4, 0.5]])
b1 = np.array([0.1, -0.1])
W2 = np.array([[-0.6, 0.7]])
b2 = np.array([0.2])
X_2_1 = np.array([0.5, 1.5])
D_2_1 = 0.0


def _forward_2_1(with_bias=True):
    """(u⁽²⁾, y) of the 2-2-1 network at X_2_1, with or without the biases."""
    z1 = _sigmoid(W1 @ X_2_1 + (b1 if with_bias else 0.0))
    u2 = (W2 @ z1 + (b2 if with_bias else 0.0))[0]
    return u2, _sigmoid(u2)


_u2, _y = _forward_2_1()
_, _y_no_bias = _forward_2_1(with_bias=False)


def output_delta_2_1():
    """δ⁽²⁾ = (y − d) σ′(u⁽²⁾) = (y − d) y (1 − y)."""
    return (_y - D_2_1) * _y * (1 - _y)


# ---------------------------------------------------------------------------
# 2.2: the backward step of a sigmoid layer
# ---------------------------------------------------------------------------

def backward_layer(delta_next, W_next, U):
    """δ⁽ˡ⁾ = (δ⁽ˡ⁺¹⁾ W⁽ˡ⁺¹⁾) ⊙ σ′(U⁽ˡ⁾) for a sigmoid layer, batch rows."""
    Z = _sigmoid(U)
    return (delta_next @ W_next) * Z * (1 - Z)


def _inputs_2_2(rng):
    # Square weights (n_{l+1} = n_l) so that a transposed W runs and gets its hint.
    N, n = 5, 4
    return {"delta_next": 0.1 * rng.standard_normal((N, n)),
            "W_next": rng.standard_normal((n, n)),
            "U": rng.standard_normal((N, n))}


# ---------------------------------------------------------------------------
# 2.3: weight and bias gradients from a layer's delta
# ---------------------------------------------------------------------------

def layer_gradients(delta, Z_prev):
    """(∂E/∂W⁽ˡ⁾, ∂E/∂b⁽ˡ⁾) = (δ⁽ˡ⁾ᵀ Z⁽ˡ⁻¹⁾, column sums of δ⁽ˡ⁾)."""
    return delta.T @ Z_prev, delta.sum(axis=0)


def _inputs_2_3(rng):
    N, n_l, n_prev = 6, 3, 4
    return {"delta": 0.1 * rng.standard_normal((N, n_l)),
            "Z_prev": rng.standard_normal((N, n_prev))}


# ---------------------------------------------------------------------------
# 2.4: the softmax + cross-entropy output delta
# ---------------------------------------------------------------------------

def softmax_ce_delta(U, labels):
    """δ⁽ᴸ⁾ = (softmax(U) − onehot(labels)) / N, the batch-mean cross-entropy."""
    D = np.eye(U.shape[1])[labels]
    return (_softmax_rows(U) - D) / len(U)


def _inputs_2_4(rng):
    N, K = 5, 4
    return {"U": 2.0 * rng.standard_normal((N, K)), "labels": rng.integers(0, K, size=N)}


# ---------------------------------------------------------------------------
# 2.6: the extra factor of the squared loss on a saturated sigmoid output
# ---------------------------------------------------------------------------

U_2_6 = -5.0
_y6 = _sigmoid(U_2_6)


def ratio_2_6():
    """δ_squared / δ_log = (y − d) σ′(u) / (y − d) = y (1 − y)."""
    return _y6 * (1 - _y6)


# ---------------------------------------------------------------------------
# 2.7: the matrix products of the per-sample loop, for the chapter's timing
# ---------------------------------------------------------------------------

N_2_7, L_2_7 = 1000, 3   # network [20, 64, 64, 10]: L = 3 weight layers


# ---------------------------------------------------------------------------
# 2.9: the hidden-layer gradient ∂E/∂W⁽¹⁾₂₂ of the 2-2-1 network at the 2.1 sample
# ---------------------------------------------------------------------------

def _hidden_2_9(w_out=None, x_index=1, unit=1, sigma_prime_out=True):
    """∂E/∂W⁽¹⁾[unit, x_index] = δ⁽¹⁾_unit x_{x_index}; the arguments build the mistakes."""
    z1 = _sigmoid(W1 @ X_2_1 + b1)
    delta2 = (_y - D_2_1) * (_y * (1 - _y) if sigma_prime_out else 1.0)
    w = W2[0, unit] if w_out is None else w_out
    return delta2 * w * z1[unit] * (1 - z1[unit]) * X_2_1[x_index]


def hidden_gradient_2_9():
    """∂E/∂W⁽¹⁾₂₂ = δ⁽²⁾ W⁽²⁾₁₂ z⁽¹⁾₂(1 − z⁽¹⁾₂) x₂."""
    return _hidden_2_9()


# ---------------------------------------------------------------------------
# 2.10: a two-layer network from scratch (tanh hidden, identity output, mean ½‖y − d‖²)
# ---------------------------------------------------------------------------

def two_layer_gradients(X, D, W1, b1, W2, b2):
    """(dW1, db1, dW2, db2) by the delta rule."""
    Z1 = np.tanh(X @ W1.T + b1)
    Y = Z1 @ W2.T + b2
    delta2 = (Y - D) / len(X)
    delta1 = (delta2 @ W2) * (1 - Z1 ** 2)
    return delta1.T @ X, delta1.sum(axis=0), delta2.T @ Z1, delta2.sum(axis=0)


def _two_layer_mistake(derivative):
    def f(X, D, W1, b1, W2, b2):
        U1 = X @ W1.T + b1
        Z1 = np.tanh(U1)
        delta2 = (Z1 @ W2.T + b2 - D) / len(X)
        delta1 = (delta2 @ W2) * derivative(U1, Z1)
        return delta1.T @ X, delta1.sum(axis=0), delta2.T @ Z1, delta2.sum(axis=0)
    return f


def _mse_loss_convention(X, D, W1, b1, W2, b2):
    """The gradients of PyTorch's ``mse_loss`` (a mean over all N·n_L entries, no ½):
    2/n_L times those of E; indistinguishable from E's when n_L = 2."""
    return tuple(2 / D.shape[1] * g for g in two_layer_gradients(X, D, W1, b1, W2, b2))


def _inputs_2_10(rng):
    # all widths different, so a transpose cannot hide; n_L = 5, so that PyTorch's mse_loss
    # (2/n_L times E) differs from E
    N, n0, n1, n2 = 6, 3, 4, 5
    return {"X": rng.standard_normal((N, n0)), "D": rng.standard_normal((N, n2)),
            "W1": rng.standard_normal((n1, n0)), "b1": rng.standard_normal(n1),
            "W2": rng.standard_normal((n2, n1)), "b2": rng.standard_normal(n2)}


# ---------------------------------------------------------------------------
# 2.11: a central difference for every entry
# ---------------------------------------------------------------------------

def central_difference(f, x, h):
    """(f(x + h eᵢ) − f(x − h eᵢ)) / 2h for every entry i, x restored after each."""
    grad = np.zeros_like(x, dtype=float)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        f_plus = f(x)
        x[i] = old - h
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def _forward_difference(f, x, h):
    grad = np.zeros_like(x, dtype=float)
    f0 = f(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        grad[i] = (f(x) - f0) / h
        x[i] = old
    return grad


def _not_restored(f, x, h):
    grad = np.zeros_like(x, dtype=float)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        f_plus = f(x)
        x[i] = old - h
        grad[i] = (f_plus - f(x)) / (2 * h)
    return grad


def _f_sin(a):               # not a sum of separate terms: the entries interact
    return float(np.sum(np.sin(a) * a) * np.cos(np.sum(a)))


def _f_quartic(a):
    return float(np.sum(a ** 4) / 4 + np.sum(a) ** 2)


def _inputs_2_11(rng):
    shape = [(5,), (3, 4), (2, 3, 2)][int(rng.integers(3))]
    f = [_f_sin, _f_quartic][int(rng.integers(2))]
    return {"f": f, "x": rng.uniform(-1.5, 1.5, size=shape), "h": 1e-4}


# ---------------------------------------------------------------------------
# 2.12: backward through a maximum at a tie, in PyTorch
# ---------------------------------------------------------------------------

def max_tie_table():
    """∂/∂v₁ at v = (1, 1, 0.5) of torch.max(v), torch.max(v, dim=0) and
    torch.maximum(v₁, v₂), computed by PyTorch, and the central difference of max."""
    import torch

    def grad(f):
        v = torch.tensor([1.0, 1.0, 0.5], dtype=torch.float64, requires_grad=True)
        f(v).backward()
        return v.grad[0].item()

    h, v = 1e-6, np.array([1.0, 1.0, 0.5])
    up, down = v.copy(), v.copy()
    up[0] += h
    down[0] -= h
    return {"max": grad(torch.max), "max_dim": grad(lambda v: torch.max(v, dim=0).values),
            "maximum": grad(lambda v: torch.maximum(v[0], v[1])),
            "central_difference": (up.max() - down.max()) / (2 * h)}

EXERCISES = [
    NumberExercise(
        id="2.1",
        title="the output delta of the 2-2-1 network at x = (0.5, 1.5), d = 0",
        reference=output_delta_2_1,
        hint="Run the forward pass (pre-activations with their biases, then the sigmoid) "
             "layer by layer, then multiply ∂E/∂y by ∂y/∂u⁽²⁾.",
        mistakes=[
            Mistake(_y - D_2_1, "That is ∂E/∂y = y − d. The delta is the derivative with respect to the "
                    "pre-activation u⁽²⁾, one more factor along the chain: the sigmoid's derivative."),
            Mistake((_y_no_bias - D_2_1) * _y_no_bias * (1 - _y_no_bias),
                    "Your value matches a network without biases: add b⁽¹⁾ and b⁽²⁾ to the "
                    "pre-activations in the forward pass."),
            Mistake((_y - D_2_1) * _u2 * (1 - _u2), "σ′(u) = σ(u)(1 − σ(u)) is written with the "
                    "unit's output y = σ(u), not with the pre-activation u."),
        ],
        solution=("sig = lambda u: 1 / (1 + np.exp(-u))\n"
                  "z1 = sig(W1 @ x + b1)\n"
                  "y = sig(W2 @ z1 + b2)[0]\n"
                  "answer_2_1 = (y - d) * y * (1 - y)"),
        digits=4,
    ),
    FunctionExercise(
        id="2.2",
        title="backward_layer(delta_next, W_next, U) for a sigmoid layer",
        reference=backward_layer,
        inputs=_inputs_2_2,
        hint="Two steps: send δ⁽ˡ⁺¹⁾ back through the weights (a matrix product whose result "
             "has the shape of U), then multiply element by element by σ′(U).",
        mistakes=[
            Mistake(lambda d, W, U: (d @ W.T) * _sigmoid(U) * (1 - _sigmoid(U)),
                    "Check the orientation of W⁽ˡ⁺¹⁾, of shape (n_{l+1}, n_l): the sum over the "
                    "units k of layer l+1 must run over its first index. (The check uses square "
                    "matrices, so a transposed W raises no shape error here; it would whenever the "
                    "two layers differ in width.)"),
            Mistake(lambda d, W, U: d @ W,
                    "You sent the delta back through the weights but not through the activation: "
                    "the chain rule also multiplies by the sigmoid's derivative at U."),
            Mistake(lambda d, W, U: (d @ W) * _sigmoid(U),
                    "You multiplied by σ(U) itself; the chain rule needs its derivative σ′(U)."),
            Mistake(lambda d, W, U: (d @ W) * U * (1 - U),
                    "σ′(u) = σ(u)(1 − σ(u)) is written with σ(u), the activation, not with the "
                    "pre-activation u."),
            Mistake(lambda d, W, U: (d @ W) * (1 - np.tanh(U) ** 2),
                    "That is the derivative of tanh; this layer's activation is the sigmoid."),
        ],
        solution=("def backward_layer(delta_next, W_next, U):\n"
                  "    Z = 1 / (1 + np.exp(-U))\n"
                  "    return (delta_next @ W_next) * Z * (1 - Z)"),
    ),
    FunctionExercise(
        id="2.3",
        title="layer_gradients(delta, Z_prev) → (dW, db)",
        reference=layer_gradients,
        inputs=_inputs_2_3,
        output_names=("dW", "db"),
        hint="dW: a single matrix product of δ and Z_prev whose result has the shape of W "
             "(n_l × n_{l−1}): which array must be transposed? db: the bias is a weight on a "
             "constant input 1.",
        mistakes=[
            Mistake(lambda d, Z: (d.T @ Z, d.mean(axis=0)),
                    "Your bias gradient is a mean over the samples. δ already carries the 1/N of "
                    "the mean loss, so the samples' contributions are added, not averaged again."),
            Mistake(lambda d, Z: (d.T @ Z / len(d), d.sum(axis=0)),
                    "Your weight gradient is divided by N once more. δ already carries the 1/N of "
                    "the mean loss."),
            Mistake(lambda d, Z: (d.T @ Z / len(d), d.mean(axis=0)),
                    "Both of your gradients are divided by N once more. δ already carries the "
                    "1/N of the mean loss."),
            Mistake(lambda d, Z: (d.T @ Z, d[0]),
                    "Your bias gradient uses the first sample only; every sample uses the same "
                    "bias, so every row of δ contributes."),
            Mistake(lambda d, Z: (d.T @ Z, np.zeros(d.shape[1])),
                    "The bias gradient is not zero: treat the bias as a weight on an input that "
                    "is always 1 (the bias trick) and apply the weight formula to it."),
        ],
        solution=("def layer_gradients(delta, Z_prev):\n"
                  "    return delta.T @ Z_prev, delta.sum(axis=0)"),
    ),
    FunctionExercise(
        id="2.4",
        title="softmax_ce_delta(U, labels): the softmax + cross-entropy delta of a batch",
        reference=softmax_ce_delta,
        inputs=_inputs_2_4,
        hint="Write E_n = −Σ_k d_k ln y_k with y = softmax(u): every y_k depends on every u_j, "
             "so sum the chain rule over k (the chapter's softmax section does this); then "
             "account for the mean over the batch.",
        mistakes=[
            Mistake(lambda U, t: _softmax_rows(U) - np.eye(U.shape[1])[t],
                    "Re-check how the mean over the batch enters your delta: E averages the "
                    "samples' losses."),
            Mistake(lambda U, t: (U - np.eye(U.shape[1])[t]) / len(U),
                    "You subtracted the targets from the logits U; the delta is the predicted "
                    "probabilities minus the targets."),
            Mistake(lambda U, t: (_softmax_rows(U, axis=0) - np.eye(U.shape[1])[t]) / len(U),
                    "Your softmax normalizes each column, over the samples; each sample's "
                    "probabilities (a row) must sum to 1."),
            Mistake(lambda U, t: ((_softmax_rows(U) - np.eye(U.shape[1])[t])
                                  * _softmax_rows(U) * (1 - _softmax_rows(U)) / len(U)),
                    "You multiplied by y(1 − y) as for a sigmoid output; with softmax and "
                    "cross-entropy the Jacobian cancels against ∂E/∂y (redo the derivation)."),
            Mistake(lambda U, t: (_softmax_rows(U) - t[:, None]) / len(U),
                    "Subtract one-hot targets, not the label numbers: row n of D is 1 in column "
                    "labels[n] and 0 elsewhere."),
        ],
        solution=("def softmax_ce_delta(U, labels):\n"
                  "    E = np.exp(U - U.max(axis=1, keepdims=True))\n"
                  "    Y = E / E.sum(axis=1, keepdims=True)\n"
                  "    D = np.eye(U.shape[1])[labels]\n"
                  "    return (Y - D) / len(U)"),
    ),
    ChoiceExercise(
        id="2.5",
        title="find the mistake in buggy_backward",
        options={
            "a": "line a: delta2 = (Y - D) / N",
            "b": "line b: delta1 = (delta2 @ W2) * Z1 * (1 - Z1)",
            "c": "line c: dW1, db1 = delta1.T @ Z1, delta1.sum(axis=0)",
            "d": "line d: dW2, db2 = delta2.T @ Z1, delta2.sum(axis=0)",
        },
        reference="c",
        hint="First see which of the four gradients disagree with manual.MLP, then ask which "
             "lines each gradient depends on.",
        mistakes=[
            Mistake("a", "If line a were wrong, every gradient would be wrong, since every delta "
                    "comes from delta2. Which gradients are actually wrong?"),
            Mistake("b", "If line b were wrong, delta1 would be wrong, and so would db1, its "
                    "column sum. Is db1 wrong?"),
            Mistake("d", "The comparison shows dW2 and db2 agreeing with manual.MLP; look at the "
                    "gradient that disagrees."),
        ],
        solution='answer_2_5 = "c"',
    ),
    NumberExercise(
        id="2.6",
        title="δ_squared / δ_log for a sigmoid output at u = −5, d = 1",
        reference=ratio_2_6,
        hint="Write both output deltas as the chain rule through the sigmoid: ∂E_n/∂y times "
             "σ′(u). Which factors are the same in both?",
        mistakes=[
            Mistake(lambda: 1 / ratio_2_6(), "Which of the two deltas did you put on top? "
                    "Compare with the question, and with your prediction."),
            Mistake(_y6, "That is σ(u) = y. The factor the squared loss keeps is the sigmoid's "
                    "derivative σ′(u)."),
            Mistake(1 - _y6, "That is 1 − y. The factor the squared loss keeps is the whole "
                    "sigmoid derivative σ′(u)."),
        ],
        solution=("y = 1 / (1 + np.exp(5.0))\n"
                  "answer_2_6 = ((y - 1) * y * (1 - y)) / (y - 1)"),
        digits=3,
    ),
    NumberExercise(
        id="2.7",
        title="count the matrix products of backward_per_sample (N = 1000, L = 3)",
        reference=lambda: N_2_7 * (3 * L_2_7 - 1),
        count=True,
        hint="Count the products of one sample: the forward pass, the backpropagation of the "
             "deltas, and the accumulation of the gradients; then multiply by the number of "
             "samples.",
        mistakes=[
            Mistake(3 * L_2_7 - 1, "The question asks for the loop's products in all: count "
                    "the products the loop makes for one sample (forward, deltas, gradients), "
                    "then ask how often the loop runs."),
            Mistake(N_2_7 * 3 * L_2_7, "The deltas are propagated from layer L down to layer 1: "
                    "how many products δ⁽ˡ⁺¹⁾W⁽ˡ⁺¹⁾ does that take for L layers?"),
            Mistake(N_2_7 * (2 * L_2_7 - 1), "You counted the backward pass only; every sample "
                    "also needs its own forward pass, one product per layer."),
            Mistake(N_2_7 * L_2_7, "You counted one product per layer and sample; the backward "
                    "pass adds the delta products and the gradient products."),
            Mistake((N_2_7 - 1) * (3 * L_2_7 - 1), "Count the loop's passes again: it runs "
                    "once for each of the N samples."),
            Mistake(2 * N_2_7 * (3 * L_2_7 - 1), "Count each `@` once: one per layer in the "
                    "forward pass, one per layer below the output for the deltas, one per layer "
                    "for the gradients."),
        ],
        solution="answer_2_7 = 1000 * (3 * 3 - 1)",
    ),
    ChoiceExercise(
        id="2.8",
        title="a summed loss plus λW: which mean-loss objective has the same gradient direction?",
        options={
            "a": "E + (λ/(2N)) Σ_l ‖W⁽ˡ⁾‖²",
            "b": "E + (λ/2) Σ_l ‖W⁽ˡ⁾‖²",
            "c": "E + (Nλ/2) Σ_l ‖W⁽ˡ⁾‖²",
            "d": "E + (λ/(2N)) Σ_l (‖W⁽ˡ⁾‖² + ‖b⁽ˡ⁾‖²)",
        },
        reference="a",
        hint="Write the colleague's weight gradient, ∂(NE)/∂W + λW, as N times something, and "
             "ask which penalty has that something as its gradient.",
        mistakes=[
            Mistake("b", "That is the objective of slide 003's mean-loss formula. Here the data "
                    "term is the summed loss N·E: factor N out of the colleague's whole gradient "
                    "first."),
            Mistake("c", "Compare how the data term and the penalty scale: does summing the loss "
                    "make the penalty count more, or less, relative to the data?"),
            Mistake("d", "The colleague adds nothing to the bias gradients, so the biases are not "
                    "in the penalty."),
        ],
        solution='answer_2_8 = "a"',
    ),
    NumberExercise(
        id="2.9",
        title="the hidden-layer gradient ∂E/∂W⁽¹⁾₂₂ of the 2-2-1 network at x = (0.5, 1.5), d = 0",
        reference=hidden_gradient_2_9,
        digits=4,
        hint="∂E/∂W⁽¹⁾₂₂ = δ⁽¹⁾₂ · x₂, and δ⁽¹⁾₂ comes from the output delta δ⁽²⁾ through the "
             "weight from hidden unit 2 to the output and the derivative of hidden unit 2.",
        mistakes=[
            Mistake(lambda: _hidden_2_9(sigma_prime_out=False),
                    "That is slide 001's formula: re-check what the output delta δ⁽²⁾ = ∂E/∂u⁽²⁾ "
                    "is made of (chain rule through the output unit)."),
            Mistake(lambda: _hidden_2_9(w_out=W2[0, 0]),
                    "You used the weight from hidden unit 1 to the output; unit 2's delta comes "
                    "back through W⁽²⁾₁₂, the weight leaving unit 2."),
            Mistake(lambda: _hidden_2_9(x_index=0),
                    "W⁽¹⁾_ji multiplies input x_i: W⁽¹⁾₂₂ multiplies x₂, not x₁."),
            Mistake(lambda: _hidden_2_9(unit=0),
                    "That is the gradient of a weight into hidden unit 1. W⁽¹⁾_ji feeds unit j, "
                    "so W⁽¹⁾₂₂ feeds unit 2."),
        ],
        solution=("sig = lambda u: 1 / (1 + np.exp(-u))\n"
                  "z1 = sig(W1 @ x + b1)\n"
                  "y = sig(W2 @ z1 + b2)[0]\n"
                  "delta2 = (y - d) * y * (1 - y)\n"
                  "answer_2_9 = delta2 * W2[0, 1] * z1[1] * (1 - z1[1]) * x[1]"),
    ),
    FunctionExercise(
        id="2.10",
        title="two_layer_gradients(X, D, W1, b1, W2, b2): forward and backward from scratch",
        reference=two_layer_gradients,
        inputs=_inputs_2_10,
        output_names=("dW1", "db1", "dW2", "db2"),
        hint="Forward: Z1 = tanh(X W1ᵀ + b1), Y = Z1 W2ᵀ + b2. Backward: the output delta of the "
             "matched pair (squared loss, identity output) for the mean loss, then the delta "
             "recursion through W2 and tanh′, then delta-times-input for each layer.",
        mistakes=[
            Mistake(_two_layer_mistake(lambda U, Z: Z * (1 - Z)),
                    "Z1·(1 − Z1) is the sigmoid's derivative; the hidden layer is tanh, whose "
                    "derivative in terms of its output is different."),
            Mistake(_two_layer_mistake(lambda U, Z: 1 - U ** 2),
                    "tanh′ = 1 − tanh²(u) is written with the activation tanh(u), not with the "
                    "pre-activation u."),
            Mistake(_two_layer_mistake(lambda U, Z: 1.0),
                    "The hidden delta needs the derivative of tanh: δ⁽¹⁾ = (δ⁽²⁾W2) ⊙ tanh′."),
            Mistake(_mse_loss_convention,
                    "That matches PyTorch's mse_loss, not the exercise's E: re-check the constant "
                    "factor and what the mean runs over."),
        ],
        solution=("def two_layer_gradients(X, D, W1, b1, W2, b2):\n"
                  "    Z1 = np.tanh(X @ W1.T + b1)\n"
                  "    Y = Z1 @ W2.T + b2\n"
                  "    delta2 = (Y - D) / len(X)\n"
                  "    delta1 = (delta2 @ W2) * (1 - Z1 ** 2)\n"
                  "    return delta1.T @ X, delta1.sum(0), delta2.T @ Z1, delta2.sum(0)"),
    ),
    FunctionExercise(
        id="2.11",
        title="central_difference(f, x, h): the numerical gradient of every entry",
        reference=central_difference,
        inputs=_inputs_2_11,
        n=None,
        rtol=1e-8,     # a one-sided difference is off by about h = 1e-4, relatively
        atol=1e-10,
        hint="Handle one entry at a time (np.ndindex(x.shape) lists them), move it both ways "
             "by h, and leave x as you found it.",
        mistakes=[
            Mistake(_forward_difference,
                    "That is the one-sided difference (f(x + h) − f(x))/h, whose error shrinks "
                    "only like h: move x[i] both up and down."),
            Mistake(_not_restored,
                    "Entries after the first are off: put x[i] back to its old value after the two "
                    "evaluations, before moving on to the next entry."),
        ],
        solution=("def central_difference(f, x, h):\n"
                  "    grad = np.zeros_like(x, dtype=float)\n"
                  "    for i in np.ndindex(x.shape):\n"
                  "        old = x[i]\n"
                  "        x[i] = old + h; f_plus = f(x)\n"
                  "        x[i] = old - h; f_minus = f(x)\n"
                  "        x[i] = old\n"
                  "        grad[i] = (f_plus - f_minus) / (2 * h)\n"
                  "    return grad"),
    ),
    TableExercise(
        id="2.12",
        title="∂/∂v₁ of three PyTorch maxima at the tie v = (1, 1, 0.5), and the central difference",
        reference=max_tie_table,
        hint="Run each call on v = torch.tensor([1.0, 1.0, 0.5], dtype=torch.float64, "
             "requires_grad=True), call backward() and read v.grad[0]; for the central difference "
             "evaluate max(v) with v₁ moved up and down by h.",
        row_hints={
            "max": "torch.max(v) with no dim: run it and read v.grad[0]; not every maximum sends "
                   "the whole gradient to one entry.",
            "max_dim": "torch.max(v, dim=0) also returns the index of a maximum: where does its "
                       "gradient go?",
            "maximum": "torch.maximum(v[0], v[1]) compares two tensors element-wise: run it and "
                       "read v.grad[0].",
            "central_difference": "Move v₁ up by h: what is the maximum? Down by h: what is the "
                                  "maximum then? Divide the difference by 2h.",
        },
        mistakes=[
            Mistake({"max": 0.5, "max_dim": 1.0, "maximum": 0.5, "central_difference": 1.0},
                    "That is the one-sided slope to the right of the tie; a central difference "
                    "moves v₁ down by h as well, where the maximum does not change."),
            Mistake({"max": 1.0, "max_dim": 1.0, "maximum": 1.0, "central_difference": 1.0},
                    "Not every one of these sends the whole gradient to the first tied entry: "
                    "run them, and work out the central difference with v₁ moved both ways."),
            Mistake({"max": 0.5, "max_dim": 0.5, "maximum": 0.5, "central_difference": 0.5},
                    "A maximum along a dimension also returns the index of one maximum "
                    "(torch.max(v, dim=0).indices): run it and see where its gradient goes."),
            Mistake(LazyTable(lambda: {**max_tie_table(), "central_difference":
                                       float(np.float32(1 + 1e-6) - np.float32(1)) / 2e-6}),
                    "Row central_difference: that is the difference taken in float32 (torch's "
                    "default dtype), where 1 + 10⁻⁶ rounds to the nearest float32 (they lie about "
                    "10⁻⁷ apart near 1); take it in float64, as the tensor v of the exercise is."),
        ],
        solution=("def dv1(f):\n"
                  "    v = torch.tensor([1.0, 1.0, 0.5], dtype=torch.float64, requires_grad=True)\n"
                  "    f(v).backward()\n"
                  "    return v.grad[0].item()\n"
                  "h = 1e-6\n"
                  "answer_2_12 = {\"max\": dv1(torch.max),\n"
                  "               \"max_dim\": dv1(lambda v: torch.max(v, dim=0).values),\n"
                  "               \"maximum\": dv1(lambda v: torch.maximum(v[0], v[1])),\n"
                  "               \"central_difference\": (max(1 + h, 1, 0.5) - max(1 - h, 1, 0.5)) / (2 * h)}"),
    ),
]

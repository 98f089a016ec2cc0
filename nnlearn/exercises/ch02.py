"""Exercises of chapter 2, backpropagation by hand (``notebooks/02_backprop.md``).

Each reference is computed from the formula the chapter derives, not typed in;
``tests/test_ch02_backprop.py`` checks the references against PyTorch.
"""

import numpy as np

from .core import ChoiceExercise, FunctionExercise, Mistake, NumberExercise


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
                    "matrices, so a transposed W raises no shape error here; it would in a real "
                    "network.)"),
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
        hint="dW: each entry is Σ_n δ_nj z_ni, one matrix product of δ and Z_prev with the shape "
             "of W (n_l × n_{l−1}). db: the bias is a weight on a constant input 1.",
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
        hint="Per sample the delta is y − d, with y the softmax of the sample's logits and d the "
             "one-hot target; then account for the mean over the batch.",
        mistakes=[
            Mistake(lambda U, t: _softmax_rows(U) - np.eye(U.shape[1])[t],
                    "Your delta is N times too large: E is the mean over the batch, so each "
                    "sample's delta carries a factor 1/N."),
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
            "c": "line c: dW2, db2 = delta2.T @ Z1, delta2.sum(axis=0)",
            "d": "line d: dW1, db1 = delta1.T @ Z1, delta1.sum(axis=0)",
        },
        reference="d",
        hint="First see which of the four gradients disagree with manual.MLP, then ask which "
             "lines each gradient depends on.",
        mistakes=[
            Mistake("a", "If line a were wrong, every gradient would be wrong, since every delta "
                    "comes from delta2. Which gradients are actually wrong?"),
            Mistake("b", "If line b were wrong, delta1 would be wrong, and so would db1, its "
                    "column sum. Is db1 wrong?"),
            Mistake("c", "The comparison shows dW2 and db2 agreeing with manual.MLP; look at the "
                    "gradient that disagrees."),
        ],
        solution='answer_2_5 = "d"',
    ),
    NumberExercise(
        id="2.6",
        title="δ_squared / δ_log for a sigmoid output at u = −5, d = 1",
        reference=ratio_2_6,
        hint="Write both output deltas as the chain rule through the sigmoid: ∂E_n/∂y times "
             "σ′(u). Which factors are the same in both?",
        mistakes=[
            Mistake(lambda: 1 / ratio_2_6(), "That is δ_log / δ_squared, the inverse ratio."),
            Mistake(_y6, "That is σ(u) = y. The factor the squared loss keeps is the sigmoid's "
                    "derivative σ′(u)."),
            Mistake(1 - _y6, "That is 1 − y. The factor the squared loss keeps is the whole "
                    "sigmoid derivative σ′(u)."),
        ],
        solution=("y = 1 / (1 + np.exp(5.0))\n"
                  "answer_2_6 = ((y - 1) * y * (1 - y)) / (y - 1)"),
    ),
    NumberExercise(
        id="2.7",
        title="count the matrix products of backward_per_sample (N = 1000, L = 3)",
        reference=lambda: N_2_7 * (3 * L_2_7 - 1),
        hint="Count the products of one sample: the forward pass, the backpropagation of the "
             "deltas, and the accumulation of the gradients; then multiply by the number of "
             "samples.",
        mistakes=[
            Mistake(3 * L_2_7 - 1, "That is the count of the matrix form (or of one sample); "
                    "the loop repeats it for every sample."),
            Mistake(N_2_7 * 3 * L_2_7, "The deltas are propagated from layer L down to layer 1: "
                    "how many products δ⁽ˡ⁺¹⁾W⁽ˡ⁺¹⁾ does that take for L layers?"),
            Mistake(N_2_7 * (2 * L_2_7 - 1), "You counted the backward pass only; every sample "
                    "also needs its own forward pass, one product per layer."),
            Mistake(N_2_7 * L_2_7, "You counted one product per layer and sample; the backward "
                    "pass adds the delta products and the gradient products."),
        ],
        solution="answer_2_7 = 1000 * (3 * 3 - 1)",
    ),
    ChoiceExercise(
        id="2.8",
        title="which penalty has the gradient Δ/N + λW (weights only)?",
        options={
            "a": "E + λ Σ_l ‖W⁽ˡ⁾‖²",
            "b": "E + (λ/2) Σ_l ‖W⁽ˡ⁾‖²",
            "c": "E + (λ/2) Σ_l (‖W⁽ˡ⁾‖² + ‖b⁽ˡ⁾‖²)",
            "d": "E + (λ/(2N)) Σ_l ‖W⁽ˡ⁾‖²",
        },
        reference="b",
        hint="Differentiate each candidate penalty with respect to one weight and one bias.",
        mistakes=[
            Mistake("a", "The derivative of λw² is 2λw, twice the λW of the formula."),
            Mistake("c", "That penalty would add λb to the bias gradients, but the formula leaves "
                    "them unregularized."),
            Mistake("d", "That penalty's gradient is (λ/N)W; the formula adds λW."),
        ],
        solution='answer_2_8 = "b"',
    ),
]

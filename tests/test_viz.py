"""Tests of nnlearn.viz: every plot is drawn (Agg) and its content checked."""

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import sklearn.metrics  # noqa: E402
import torch  # noqa: E402
from matplotlib.contour import ContourSet  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import nnlearn  # noqa: E402
from nnlearn import data, losses, nn, optim, train, viz  # noqa: E402
from nnlearn.train import History  # noqa: E402


@pytest.fixture(autouse=True)
def no_pyplot_figures():
    before = plt.get_fignums()
    yield
    assert plt.get_fignums() == before, "nnlearn.viz must not create pyplot figures"


def legend_texts(ax):
    leg = ax.get_legend()
    return [] if leg is None else [t.get_text() for t in leg.get_texts()]


def make_history(loss, val=None, initial=None, chance=None, acc=None):
    keys = ["loss"] + (["accuracy"] if acc is not None else [])
    if val is not None:
        keys += ["val_" + k for k in keys]
    h = History(keys, monitor="val_loss" if val is not None else "loss")
    for i, v in enumerate(loss):
        logs = {"loss": v}
        if acc is not None:
            logs["accuracy"] = acc[i]
        if val is not None:
            logs["val_loss"] = val[i]
            if acc is not None:
                logs["val_accuracy"] = acc[i] - 0.05
        h.append(i + 1, logs)
    if initial is not None:
        h.initial = {"loss": initial}
    h.chance_loss = chance
    return h


# --------------------------------------------------------------------------
# learning curves and diagnosis
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def trained_history():
    X, y = data.blobs(120, centers=3, std=2.0, seed=0)
    nnlearn.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 3))
    return train.fit(model, losses.cross_entropy, optim.SGD(model.parameters(), lr=0.1), (X, y), 12,
                     batch_size=16, val_data=data.blobs(60, centers=3, std=2.0, seed=1),
                     metrics=["accuracy"], progress=False)


def test_learning_curves_content(trained_history):
    h = trained_history
    fig = viz.learning_curves(h)
    assert isinstance(fig, Figure)
    ax_loss, ax_acc = fig.axes
    assert (ax_loss.get_title(), ax_acc.get_title()) == ("Loss", "Accuracy")
    assert ax_loss.get_xlabel() == "epoch" and ax_loss.get_ylabel() == "loss"
    texts = legend_texts(ax_loss)
    assert texts[:2] == ["training", "validation"]
    assert f"chance level ln 3 = {math.log(3):.3f}" in texts
    assert f"best epoch ({h.best_epoch})" in texts
    # training line: epoch 0 (initial) then every epoch
    train_line = ax_loss.lines[0]
    np.testing.assert_array_equal(train_line.get_xdata(), np.arange(0, 13))
    np.testing.assert_allclose(train_line.get_ydata(), [h.initial["loss"], *h["loss"]])
    np.testing.assert_allclose(ax_loss.lines[1].get_ydata()[1:], h["val_loss"])
    best_line = [ln for ln in ax_loss.lines if ln.get_label().startswith("best")][0]
    assert best_line.get_xdata()[0] == h.best_epoch
    np.testing.assert_allclose(ax_acc.lines[1].get_ydata()[1:], h["val_accuracy"])


def test_learning_curves_annotated_and_several_runs(trained_history):
    h = trained_history
    fig = viz.learning_curves(h, metrics=[], annotate=True, log_y=True)
    assert len(fig.axes) == 2 and fig.axes[0].get_yscale() == "log"
    text = fig.axes[1].texts[0].get_text()
    for q in ("Learning anything?", "Still learning?", "Overfitting?", "Learning rate too low/high?"):
        assert q in text
    assert str(viz.diagnose(h)["learning anything"].answer) in text
    fig = viz.learning_curves({"a": h, "b": h}, metrics=[])
    ax = fig.axes[0]
    assert len(ax.lines) == 4
    assert legend_texts(ax) == ["a: training", "a: validation", "b: training", "b: validation"]
    with pytest.raises(TypeError, match="History"):
        viz.learning_curves({"a": [1, 2]})
    fig = viz.learning_curves(h, metrics=[])
    assert fig.axes[0].get_title() == "Loss"


def test_diagnose_answers_the_four_questions():
    E = 30
    ep = np.arange(1, E + 1)
    # learning, still learning, no validation
    d = viz.diagnose(make_history(list(2.3 * np.exp(-ep / 20)), initial=2.3, chance=math.log(10)))
    assert d["learning anything"].answer == "yes"
    assert d["still learning"].answer == "yes"
    assert d["overfitting"].answer == "unknown"
    # overfitting: validation U-shape, training keeps falling
    train_l = list(1.0 * np.exp(-ep / 5) + 0.01)
    val_l = list(0.5 + 0.002 * (ep - 10) ** 2)
    d = viz.diagnose(make_history(train_l, val_l, initial=2.3, chance=math.log(10)))
    f = d["overfitting"]
    assert f.answer == "yes" and "epoch 10" in f.detail and "Early stopping would keep epoch 10" in f.detail
    assert d["still learning"].answer == "training loss only"
    # not learning: flat near chance
    d = viz.diagnose(make_history([2.30, 2.29, 2.30, 2.29, 2.30], initial=2.31, chance=math.log(10)))
    assert d["learning anything"].answer == "no" and d["still learning"].answer == "no"
    # spikes: learning rate too high
    d = viz.diagnose(make_history([1.0, 0.8, 1.5, 0.7, 0.6, 1.2, 0.5], initial=1.1))
    f = d["learning rate"]
    assert f.answer == "maybe too high" and "epochs 3, 6" in f.detail
    # slow steady decrease: learning rate too low
    d = viz.diagnose(make_history(list(1.0 - 0.01 * ep), initial=1.0))
    assert d["learning rate"].answer == "maybe too low"
    # an initial loss far above chance is flagged
    d = viz.diagnose(make_history([5.0, 1.0, 0.5], initial=9.0, chance=math.log(10)))
    assert "far above the chance level" in d["learning anything"].detail
    # diverged
    h = make_history([1.0, 0.9], initial=1.0)
    h.diverged = {"epoch": 3, "batch": 2, "loss": float("nan"), "reason": "loss", "step": 9}
    assert viz.diagnose(h)["learning rate"].answer == "too high"
    assert len(d.table()) == 4 and "<table" in d._repr_html_()


# --------------------------------------------------------------------------
# loss surfaces and optimizer paths
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def gabor():
    x, y = data.gabor_data()
    return x, y, data.gabor_loss_surface(x, y, num=41)


def test_optimizer_path_is_gradient_descent(gabor):
    x, y, _ = gabor
    path = viz.optimizer_path(lambda p: data.gabor_loss_grad(p, x, y), (2.5, 5.0), "SGD", 20, lr=0.5)
    phi = np.array([2.5, 5.0])
    expected = [phi.copy()]
    for _ in range(20):
        phi = phi - 0.5 * data.gabor_loss_grad(phi, x, y)
        expected.append(phi.copy())
    np.testing.assert_allclose(path, expected, rtol=1e-12)
    # Adam against torch.optim.Adam on the same gradients
    path = viz.optimizer_path(lambda p: data.gabor_loss_grad(p, x, y), (2.5, 5.0), "adam", 15, lr=0.2)
    p = torch.tensor([2.5, 5.0], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([p], lr=0.2)
    ref = [p.detach().numpy().copy()]
    for _ in range(15):
        p.grad = torch.from_numpy(data.gabor_loss_grad(p.detach().numpy(), x, y))
        opt.step()
        ref.append(p.detach().numpy().copy())
    np.testing.assert_allclose(path, ref, rtol=1e-10)
    with pytest.raises(ValueError, match="unknown optimizer 'Lion'"):
        viz.optimizer_path(lambda p: p, (0, 0), "Lion", 2)


def test_loss_surface_content(gabor):
    x, y, surface = gabor
    g = lambda p: data.gabor_loss_grad(p, x, y)  # noqa: E731
    paths = {"SGD": viz.optimizer_path(g, (2.5, 5.0), "SGD", 30, lr=1.0),
             "momentum": viz.optimizer_path(g, (2.5, 5.0), "SGD", 30, lr=1.0, momentum=0.9)}
    fig = viz.loss_surface(surface, paths)
    ax = fig.axes[0]
    contours = [c for c in ax.collections if isinstance(c, ContourSet)] or \
        [c for c in ax.get_children() if isinstance(c, ContourSet)]
    assert contours and len(contours[0].levels) >= 10
    assert ax.get_xlabel() == r"$\phi_0$" and ax.get_ylabel() == r"$\phi_1$"
    assert ax.get_title() == "Loss of the Gabor model"
    # one marker for the grid minimum, then path, start and end per path
    assert len(ax.lines) == 1 + 3 * 2
    assert legend_texts(ax) == ["grid minimum", "SGD", "momentum", "start", "end"]
    end = ax.lines[1 + 3 * 1 + 2]
    np.testing.assert_allclose([end.get_xdata()[0], end.get_ydata()[0]], paths["momentum"][-1])
    np.testing.assert_allclose(ax.lines[1].get_xydata(), paths["SGD"])
    i = np.unravel_index(np.argmin(surface.loss), surface.loss.shape)
    assert ax.lines[0].get_xdata()[0] == surface.phi0[i] and ax.lines[0].get_ydata()[0] == surface.phi1[i]
    assert fig.axes[1].get_ylabel() == "loss"   # colour bar


def test_loss_surface_from_a_function_and_errors():
    fig = viz.loss_surface(lambda a, b: a ** 2 + 10 * b ** 2, [("p", np.array([[1.0, 1.0], [0.5, 0.2]]))],
                           x_range=(-2, 2), y_range=(-1, 1), num=30, log_levels=True, colorbar=False)
    ax = fig.axes[0]
    assert ax.get_xlim() == (-2.0, 2.0) and ax.get_xlabel() == "parameter 1"
    assert len(ax.lines) == 4
    # not vectorized: evaluated point by point
    fig = viz.loss_surface(lambda a, b: float(max(abs(a), abs(b))), x_range=(-1, 1), y_range=(-1, 1),
                           num=11, mark_minimum=False)
    assert len(fig.axes[0].lines) == 0
    with pytest.raises(ValueError, match="x_range"):
        viz.loss_surface(lambda a, b: a + b)
    with pytest.raises(ValueError, match=r"shape \(steps, 2\)"):
        viz.loss_surface(lambda a, b: a + b, {"bad": np.zeros((3, 3))}, x_range=(0, 1), y_range=(0, 1))


# --------------------------------------------------------------------------
# layer histograms and gradient norms
# --------------------------------------------------------------------------

def deep_tanh(depth, seed=0):
    nnlearn.manual_seed(seed)
    layers = []
    for _ in range(depth):
        layers += [nn.Linear(20, 20), nn.Tanh()]
    return nn.Sequential(*layers, nn.Linear(20, 4))


@pytest.fixture(scope="module")
def probe():
    rng = np.random.default_rng(0)
    return rng.standard_normal((64, 20)), rng.integers(0, 4, size=64)


def test_layer_histograms_one_line_per_layer(probe):
    X, y = probe
    stats = train.layer_statistics(deep_tanh(4), X, y, losses.cross_entropy, title="standard")
    fig = viz.layer_histograms(stats, bins=21)
    ax = fig.axes[0]
    assert len(ax.lines) == 4 and legend_texts(ax) == ["Layer 1", "Layer 2", "Layer 3", "Layer 4"]
    assert ax.get_title() == "standard" and ax.get_ylabel() == "fraction of values"
    assert ax.get_xlabel() == "activation $z$"
    # normalized histograms on [-1, 1] (tanh): fractions of the layer's values
    edges = np.linspace(-1, 1, 22)
    for line, layer in zip(ax.lines, stats):
        counts, _ = np.histogram(layer.activation.ravel(), bins=edges)
        np.testing.assert_allclose(line.get_ydata(), counts / layer.activation.size)
        np.testing.assert_allclose(line.get_xdata(), 0.5 * (edges[1:] + edges[:-1]))
    # two rows (Glorot and Bengio's standard vs normalized), gradients, symmetric range
    other = train.layer_statistics(deep_tanh(4, seed=1), X, y, losses.cross_entropy)
    fig = viz.layer_histograms({"standard": stats, "normalized": other}, "gradient", layers=[0, 3])
    assert [a.get_title() for a in fig.axes] == ["standard", "normalized"]
    assert all(len(a.lines) == 2 for a in fig.axes)
    assert legend_texts(fig.axes[1]) == ["Layer 1", "Layer 4"]
    x = fig.axes[0].lines[0].get_xdata()
    assert x[0] == pytest.approx(-x[-1])
    assert "partial E/\\partial u" in fig.axes[1].get_xlabel()
    no_grad = train.layer_statistics(deep_tanh(2), X)
    with pytest.raises(ValueError, match="no 'gradient' values"):
        viz.layer_histograms(no_grad, "gradient")
    with pytest.raises(ValueError, match="kind must be"):
        viz.layer_histograms(no_grad, "weights")


def test_layer_histograms_from_a_recorder(probe):
    X, y = probe
    model = deep_tanh(3)
    rec = train.ActivationStatsRecorder(X, y)
    train.fit(model, losses.cross_entropy, optim.SGD(model.parameters(), lr=0.1), (X, y), 2,
              callbacks=[rec], progress=False)
    fig = viz.layer_histograms(rec, "pre_activation")
    assert [a.get_title() for a in fig.axes] == ["epoch 0", "epoch 2"]
    assert all(len(a.lines) == 3 for a in fig.axes)


def test_gradient_norms_vs_step_and_vs_layer(probe):
    X, y = probe
    model = deep_tanh(4)
    rec = train.GradientNormRecorder()
    train.fit(model, losses.cross_entropy, optim.SGD(model.parameters(), lr=0.1), (X, y), 2,
              batch_size=16, callbacks=[rec], progress=False)
    fig = viz.gradient_norms(rec)
    ax = fig.axes[0]
    assert len(ax.lines) == 5 and ax.get_yscale() == "log" and ax.get_xlabel() == "step"
    assert legend_texts(ax) == [f"Layer {i}" for i in range(1, 6)]
    np.testing.assert_allclose(ax.lines[2].get_ydata(), rec.norms[:, 2])
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), np.arange(1, 9))
    fig = viz.gradient_norms(rec, x="layer")
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), rec.norms.sum(axis=0))
    # against the layer, two settings
    s1 = train.layer_statistics(deep_tanh(4), X, y, losses.cross_entropy)
    s2 = train.layer_statistics(deep_tanh(4, seed=3), X, y, losses.cross_entropy)
    fig = viz.gradient_norms({"seed 0": s1, "seed 3": s2})
    ax = fig.axes[0]
    assert len(ax.lines) == 2 and ax.get_xlabel() == "layer"
    np.testing.assert_allclose(ax.lines[0].get_ydata(), s1.weight_grad_norms())
    assert legend_texts(ax) == ["seed 0", "seed 3"]
    fig = viz.gradient_norms([1.0, 0.1, 0.01], layer_names=["a", "b", "c"])
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["a", "b", "c"]


# --------------------------------------------------------------------------
# results: decision regions, regression fits, confusion matrices
# --------------------------------------------------------------------------

def test_decision_boundary_multiclass_and_binary():
    X, y = data.blobs(90, centers=3, std=0.8, seed=0)
    nnlearn.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))
    train.fit(model, losses.cross_entropy, optim.Adam(model.parameters(), lr=0.05), (X, y), 30,
              progress=False)
    fig = viz.decision_boundary(model, X, y, resolution=50)
    ax = fig.axes[0]
    img = ax.images[0].get_array()
    assert img.shape == (50, 50)
    # the image holds the predicted class at each grid point
    (x0, y0), (x1, y1) = X.min(0) - 0.5, X.max(0) + 0.5
    gx, gy = np.meshgrid(np.linspace(x0, x1, 50), np.linspace(y0, y1, 50))
    pred = train.predict(model, np.column_stack([gx.ravel(), gy.ravel()])).argmax(1).reshape(50, 50)
    np.testing.assert_array_equal(np.asarray(img), pred)
    assert legend_texts(ax) == ["class 0", "class 1", "class 2"]
    scatters = [c for c in ax.collections if c.get_offsets().shape[0] > 0 and c.get_label().startswith("class")]
    assert [len(c.get_offsets()) for c in scatters] == [30, 30, 30]
    assert ax.get_xlabel() == "$x_1$"
    # a binary logit function: class 1 where x1 + x2 > 0
    Xb = np.array([[-1.0, -1.0], [1.0, 1.0], [2.0, -0.5]])
    fig = viz.decision_boundary(lambda Z: Z[:, :1] + Z[:, 1:], Xb, np.array([0, 1, 1]), resolution=20,
                                class_names=["no", "yes"])
    img = np.asarray(fig.axes[0].images[0].get_array())
    assert img[0, 0] == 0 and img[-1, -1] == 1
    assert legend_texts(fig.axes[0]) == ["no", "yes"]


def test_regression_fit_and_fits_side_by_side():
    X, t = data.sinusoid(10, seed=0)
    nnlearn.manual_seed(0)
    model = nn.Sequential(nn.Linear(1, 3), nn.Tanh(), nn.Linear(3, 1))
    fig = viz.regression_fit(model, X, t, truth=data.sinusoid_curve, n_grid=50, title="M = 3")
    ax = fig.axes[0]
    assert len(ax.lines) == 2 and legend_texts(ax) == ["truth", "network", "data"]
    xs = np.linspace(X.min(), X.max(), 50)
    np.testing.assert_allclose(ax.lines[1].get_ydata(), train.predict(model, xs[:, None]).ravel())
    np.testing.assert_allclose(ax.lines[0].get_ydata(), np.sin(2 * np.pi * xs))
    np.testing.assert_allclose(ax.collections[0].get_offsets(), np.column_stack([X.ravel(), t.ravel()]))
    assert ax.get_title() == "M = 3"
    models = {f"M = {m}": nn.Sequential(nn.Linear(1, m), nn.Tanh(), nn.Linear(m, 1)) for m in (1, 3, 10)}
    fig = viz.regression_fits(models, X, t, truth=data.sinusoid_curve)
    assert [a.get_title() for a in fig.axes] == ["M = 1", "M = 3", "M = 10"]
    assert all(len(a.lines) == 2 for a in fig.axes)
    with pytest.raises(ValueError, match="2 titles for 3 models"):
        viz.regression_fits(list(models.values()), X, t, titles=["a", "b"])


def test_confusion_matrix_cells_hold_the_counts():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 4, size=200)
    y_pred = np.where(rng.random(200) < 0.7, y_true, rng.integers(0, 4, size=200))
    expected = sklearn.metrics.confusion_matrix(y_true, y_pred)
    np.testing.assert_array_equal(viz.confusion_counts(y_true, y_pred), expected)
    fig = viz.confusion_matrix(y_true, y_pred, classes=["a", "b", "c", "d"])
    ax = fig.axes[0]
    assert np.asarray(ax.images[0].get_array()).shape == (4, 4)
    cells = {(round(t.get_position()[1]), round(t.get_position()[0])): int(t.get_text()) for t in ax.texts}
    assert cells == {(i, j): int(expected[i, j]) for i in range(4) for j in range(4)}
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c", "d"]
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    assert f"accuracy {np.mean(y_true == y_pred):.3f}" in ax.get_title()
    fig = viz.confusion_matrix(y_true, y_pred, normalize=True)
    np.testing.assert_allclose(np.asarray(fig.axes[0].images[0].get_array()).sum(axis=1), 1.0)
    with pytest.raises(ValueError, match="200 true labels but 3"):
        viz.confusion_counts(y_true, [0, 1, 2])


def test_diagnose_and_log_plot_of_a_run_that_blew_up():
    from nnlearn.train import History

    h = History(keys=("loss", "val_loss"))
    h.initial = {"loss": 2.3}
    h.chance_loss = 2.3
    for e, (l, v) in enumerate([(2.0, 2.1), (50.0, 60.0), (1e120, 1e121), (1e262, 1e263)], start=1):
        h.append(e, {"loss": l, "val_loss": v})
    d = viz.diagnose(h)
    assert d["Still learning"].answer == "unknown" and "blew up" in d["Still learning"].detail
    assert d["Overfitting"].answer == "unknown"
    assert d["Learning rate"].answer == "too high"
    fig = viz.learning_curves(h, log_y=True)
    fig.canvas.draw()          # used to overflow in the log-scale tick formatter
    line = fig.axes[0].lines[0]
    assert np.isnan(line.get_ydata()[-1]) and list(line.get_ydata()[:3]) == [2.3, 2.0, 50.0]


def test_diagnose_says_fell_or_rose_in_words():
    from nnlearn.train import History

    h = History(keys=("loss",))
    h.initial = {"loss": 1.0}
    for e in range(1, 21):
        h.append(e, {"loss": 0.5 - 0.0001 * e})
    assert "fell by only" in viz.diagnose(h)["Still learning"].detail


def test_optimizer_path_leaves_the_start_array_alone():
    start = np.array([1.0, 2.0])
    viz.optimizer_path(lambda p: 2 * p, start, "SGD", steps=3, lr=0.1)
    np.testing.assert_array_equal(start, [1.0, 2.0])


def test_diagnose_percentages_are_honest():
    # rev7e R12: a 99.6% fall was printed "fell by 100%", a 26% rise of the validation loss
    # "does not (−26.0%)". References: the relative changes computed by hand below.
    from nnlearn.train import History

    h = History(keys=("loss",))
    h.initial = {"loss": 1.0}
    for e, l in enumerate([0.5, 0.1, 0.02, 0.01, 0.008, 0.006, 0.005, 0.0045, 0.0042, 0.004], start=1):
        h.append(e, {"loss": l})
    # 1 − 0.004 / 1 = 0.996; no spikes, steep overall fall
    f = viz.diagnose(h)["Learning rate"]
    assert f.answer == "no sign of either" and "fell by 99.6% from its initial value" in f.detail
    assert "100%" not in f.detail
    # a fall of 99.996% keeps its digits instead of rounding to 100%
    h.append(11, {"loss": 0.00004})
    assert "fell by 99.996%" in viz.diagnose(h)["Learning rate"].detail

    # training loss still falls, validation loss rises from 0.5 to 0.63 over the last 2 epochs
    h = History(keys=("loss", "val_loss"))
    h.initial = {"loss": 2.3}
    h.chance_loss = 2.3
    for e, (l, v) in enumerate([(1.0, 0.6), (0.8, 0.55), (0.6, 0.5), (0.5, 0.56), (0.4, 0.63)], start=1):
        h.append(e, {"loss": l, "val_loss": v})
    f = viz.diagnose(h)["Still learning"]
    # over the last 2 epochs: training (0.6 − 0.4)/0.6 = 33.3% fall; validation (0.63 − 0.5)/0.5 = 26.0% rise
    assert f.answer == "training loss only"
    assert "fell by 33.3%" in f.detail and "rose by 26.0%" in f.detail
    assert "-" not in f.detail and "−" not in f.detail and "+" not in f.detail
    # both falling over the last 2 epochs: training (0.5 − 0.3)/0.5 = 40%, validation
    # (0.56 − 0.4)/0.56 = 28.6%: "yes", both said as falls
    h.append(6, {"loss": 0.3, "val_loss": 0.4})
    f = viz.diagnose(h)["Still learning"]
    assert f.answer == "yes" and "fell by 40.0%" in f.detail and "fell by 28.6%" in f.detail


def test_percent_helper_never_rounds_to_0_or_100():
    from nnlearn.viz.curves import _moved, _percent

    assert _percent(0.996) == "99.6%" and _percent(1.0) == "100.0%" and _percent(0.0) == "0.0%"
    assert _percent(0.99996) == "99.996%" and _percent(-0.26) == "26.0%"
    assert _percent(0.00004) == "0.004%"
    assert _moved(-0.26) == "rose by 26.0%" and _moved(0.5) == "fell by 50.0%"
    assert _moved(0.0) == "did not change"

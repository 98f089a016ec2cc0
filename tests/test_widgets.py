"""Tests of nnlearn.widgets: each widget is built and driven headless (Agg backend)."""

import base64

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nnlearn  # noqa: E402
from nnlearn import backend, widgets  # noqa: E402
from nnlearn.train._frontend import display_mode  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def no_pyplot_figures():
    before = plt.get_fignums()
    yield
    assert plt.get_fignums() == before


def test_optimizer_widget_path_follows_the_controls():
    w = widgets.optimizer_widget()
    assert set(w.controls) == {"optimizer", "lr", "momentum", "steps"}
    assert w.redraws == 1
    path = w.last["path"]
    assert path.shape == (101, 2)
    np.testing.assert_allclose(path[0], (2.5, 5.0))
    # plain SGD stalls in the local minimum near (2.07, 6.35) ...
    np.testing.assert_allclose(path[-1], (2.07, 6.35), atol=0.02)
    ax_surface, ax_loss = w.figure.axes
    np.testing.assert_allclose(ax_surface.lines[1].get_xydata(), path)
    # ... momentum carries it to the global minimum near (0.52, 15.0): set the slider
    w.controls["momentum"].value = 0.9
    assert w.redraws == 2
    np.testing.assert_allclose(w.last["path"][-1], (0.52, 15.0), atol=0.1)
    ax_surface, ax_loss = w.figure.axes
    assert ax_loss.get_yscale() == "log"
    np.testing.assert_allclose(ax_loss.lines[0].get_ydata(), w.last["losses"])
    assert "momentum=0.9" in ax_surface.get_legend().get_texts()[1].get_text()
    # another optimizer and step count, with a single redraw
    w.set(optimizer="Adam", lr=0.1, steps=20)
    assert w.redraws == 3 and w.last["path"].shape == (21, 2)
    assert w.figure.axes[0].get_legend().get_texts()[1].get_text().startswith("Adam, lr=0.1")
    with pytest.raises(KeyError, match="unknown control"):
        w.set(beta=0.5)


def test_initialization_widget_draws_one_line_per_layer():
    w = widgets.initialization_widget(width=32, n=64)
    ax_act, ax_grad = w.figure.axes
    assert len(ax_act.lines) == 5 and len(ax_grad.lines) == 5
    assert "Layer 5" in [t.get_text() for t in ax_act.get_legend().get_texts()]
    w.controls["depth"].value = 8
    ax_act, ax_grad = w.figure.axes
    assert len(ax_act.lines) == 8 and len(ax_grad.lines) == 8 and len(w.last["stats"]) == 8
    # standard init with tanh: the activations shrink layer after layer (Glorot & Bengio, fig. 6)
    std = w.last["stats"].summary()["std"]
    assert np.all(np.diff(std) < 0)
    # the normalized (Xavier) init keeps them at a similar size
    w.set(init="xavier")
    std_x = w.last["stats"].summary()["std"]
    assert std_x[-1] / std_x[0] > 3 * std[-1] / std[0]
    # ReLU with He init: about half the activations are exactly zero
    w.set(activation="relu", init="he", depth=3)
    zero = w.last["stats"].summary()["zero"]
    assert len(w.figure.axes[0].lines) == 3 and np.all(np.abs(zero - 0.5) < 0.15)
    assert w.figure.axes[0].lines[0].get_xdata()[0] > 0      # ReLU: the bins start at 0


def test_deep_mlp_initializations_have_the_stated_variances():
    m = widgets.deep_mlp(2, 400, 400, 3, "tanh", "standard", scale=2.0, seed=1)
    W = backend.to_numpy(m[2].weight.data)
    assert np.abs(W).max() <= 2.0 / np.sqrt(400)
    assert W.var() == pytest.approx(4.0 / (3 * 400), rel=0.02)
    W = backend.to_numpy(widgets.deep_mlp(2, 400, 400, 3, "relu", "he", seed=1)[2].weight.data)
    assert W.var() == pytest.approx(2.0 / 400, rel=0.02)
    W = backend.to_numpy(widgets.deep_mlp(2, 400, 400, 3, "tanh", "xavier", seed=1)[2].weight.data)
    assert W.var() == pytest.approx(2.0 / 800, rel=0.02)
    assert np.all(backend.to_numpy(m[0].bias.data) == 0)
    with pytest.raises(ValueError, match="activation must be one of"):
        widgets.deep_mlp(2, 4, 4, 2, "gelu")


def test_regularization_widget_fit_changes_and_is_cached():
    w = widgets.regularization_widget(steps=400)
    assert set(w.controls) == {"dropout", "weight_decay"}
    free = w.last["curve"].copy()
    ax = w.figure.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["truth", "network", "data"]
    assert "training MSE" in ax.get_title()
    w.controls["dropout"].value = 0.3
    dropped = w.last["curve"].copy()
    assert np.max(np.abs(dropped - free)) > 0.05
    assert "dropout p = 0.30" in w.figure.axes[0].get_title()
    # strong L2 shrinks the weights: a flatter curve and a larger training error
    w.set(dropout=0.0, weight_decay=0.1)
    assert np.ptp(w.last["curve"]) < np.ptp(free)
    strong = w.last["train_mse"]
    # back to the first setting: the cached fit, identical, and no training step taken
    from nnlearn import optim

    steps = []
    original = optim.Adam.step
    optim.Adam.step = lambda self, *a, **k: (steps.append(1), original(self, *a, **k))[1]
    try:
        w.set(dropout=0.0, weight_decay=0.0)
    finally:
        optim.Adam.step = original
    np.testing.assert_array_equal(w.last["curve"], free)
    assert w.last["train_mse"] < strong and steps == []


def test_widgets_leave_the_global_generator_alone():
    nnlearn.manual_seed(123)
    expected = np.random.default_rng(123).random(3)
    widgets.initialization_widget(width=16, n=16, depth=2)
    widgets.regularization_widget(steps=20, dropout=0.2)
    np.testing.assert_array_equal(backend.rng().random(3), expected)


def test_static_rendering_where_no_one_can_move_the_sliders(monkeypatch):
    monkeypatch.setenv("NNLEARN_DISPLAY", "static")
    w = widgets.regularization_widget(steps=20)
    bundle = w._repr_mimebundle_()
    assert set(bundle) == {"text/html", "image/png", "text/plain"}
    png = base64.b64decode(bundle["image/png"])
    assert png.startswith(PNG) and png == w.png()
    html = bundle["text/html"]
    assert "<img src='data:image/png;base64," in html and "interactive in Jupyter or Colab" in html
    assert "dropout" in bundle["text/plain"]
    monkeypatch.setenv("NNLEARN_DISPLAY", "live")
    bundle = w._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    # the live image holds the current figure
    assert w.widget.children[1].value == w.png()


def test_display_mode_detection(monkeypatch):
    monkeypatch.delenv("NNLEARN_DISPLAY", raising=False)
    assert display_mode() == "terminal"          # pytest runs without an IPython kernel
    monkeypatch.setenv("NNLEARN_DISPLAY", "LIVE")
    assert display_mode() == "live"
    monkeypatch.setenv("NNLEARN_DISPLAY", "nonsense")
    assert display_mode() == "terminal"


def test_controls_without_ipywidgets_still_redraw(monkeypatch):
    monkeypatch.setattr(widgets, "_widgets", lambda: None)
    w = widgets.optimizer_widget(steps=10)
    assert isinstance(w.controls["lr"], widgets._Control)
    w.controls["lr"].value = 0.1
    assert w.redraws == 2 and w.last["path"].shape == (11, 2)
    with pytest.raises(ImportError, match="pip install ipywidgets"):
        w.widget


class _Ipywidgets7View:
    """An ipywidgets 8 widget seen as ipywidgets 7 shows it: no ``_repr_mimebundle_``
    (7.x has only ``_ipython_display_``), everything else forwarded."""

    def __init__(self, widget):
        self._w = widget
        self.displayed = 0

    def __getattr__(self, name):
        if name == "_repr_mimebundle_":
            raise AttributeError(name)
        return getattr(self._w, name)

    def _handle_displayed(self, **kw):
        self.displayed += 1

    def __repr__(self):
        return repr(self._w)


def test_live_bundle_on_ipywidgets_7_matches_what_ipywidgets_8_displays():
    ipywidgets = pytest.importorskip("ipywidgets")
    box = ipywidgets.VBox([ipywidgets.IntSlider(3)])
    reference = box._repr_mimebundle_()                       # ipywidgets 8's own bundle
    old = _Ipywidgets7View(box)
    assert not hasattr(old, "_repr_mimebundle_")
    bundle = widgets._widget_bundle(old)
    key = "application/vnd.jupyter.widget-view+json"
    assert bundle[key] == reference[key] == {"version_major": 2, "version_minor": 0, "model_id": box.model_id}
    assert bundle["text/plain"].startswith("VBox(") and old.displayed == 1    # on_displayed callbacks ran
    # a widget without a view (a bare model) shows as text only, as in ipywidgets 7
    bare = type("Model", (), {"_view_name": None, "__repr__": lambda self: "Model()"})()
    assert widgets._widget_bundle(bare) == {"text/plain": "Model()"}


def test_an_interactive_figure_shows_live_on_ipywidgets_7(monkeypatch):
    ipywidgets = pytest.importorskip("ipywidgets")
    monkeypatch.setenv("NNLEARN_DISPLAY", "live")
    w = widgets.optimizer_widget(steps=10)
    ui = w.widget
    monkeypatch.setattr(type(w), "widget", property(lambda self: _Ipywidgets7View(ui)))
    bundle = w._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == ui.model_id
    assert isinstance(ui, ipywidgets.VBox)


@pytest.mark.parametrize("make, message", [
    (lambda: widgets.optimizer_widget(optimizer="Nadam"), "optimizer must be one of 'SGD', 'Adagrad', 'RMSprop', 'Adam'; got 'Nadam'"),
    (lambda: widgets.initialization_widget(activation="gelu"), "activation must be one of 'tanh', 'sigmoid', 'relu'; got 'gelu'"),
    (lambda: widgets.initialization_widget(init="orthogonal"), "init must be one of 'standard', 'xavier', 'he'; got 'orthogonal'"),
    (lambda: widgets.regularization_widget(weight_decay=0.5), "weight_decay must be one of"),
    (lambda: widgets.initialization_widget(depth=20), r"depth must be an integer in \[1, 10\]; got 20"),
    (lambda: widgets.initialization_widget(depth=2.5), "depth must be an integer"),
    (lambda: widgets.optimizer_widget(lr=100.0), r"lr must be a number in \[0.001, 31.6228\]"),
    (lambda: widgets.optimizer_widget(momentum=float("nan")), "momentum must be a number"),
    (lambda: widgets.regularization_widget(dropout=0.9), r"dropout must be a number in \[0, 0.7\]"),
    (lambda: widgets.deep_mlp(-1, 4, 4, 2), "depth must be a positive integer"),
    (lambda: widgets.deep_mlp(0, 4, 4, 2), "depth must be a positive integer"),
    (lambda: widgets.deep_mlp(2, 0, 4, 2), "width must be a positive integer"),
    (lambda: widgets.deep_mlp(2, 4, 4, 2, scale=float("inf")), "scale must be a finite number"),
    (lambda: widgets.deep_mlp(2, 4, 4, 2, init="orthogonal"), "init must be one of"),
])
def test_a_bad_option_is_a_value_error_naming_the_choices(make, message):
    # ipywidgets would raise TraitError for an unknown choice and clamp a slider silently
    with pytest.raises(ValueError, match=message):
        make()


def test_set_validates_every_value_before_changing_any():
    w = widgets.initialization_widget(width=16, n=16, depth=2)
    before, redraws = w.values, w.redraws
    with pytest.raises(ValueError, match="activation must be one of 'tanh', 'sigmoid', 'relu'; got 'gelu'"):
        w.set(depth=3, activation="gelu")
    with pytest.raises(ValueError, match=r"depth must be an integer in \[1, 10\]; got 11"):
        w.set(depth=11)
    with pytest.raises(ValueError, match="init must be one of 'standard', 'xavier', 'he'"):
        w.set(init="normalized (Glorot/Xavier)")                 # the label is not the value
    assert w.values == before and w.redraws == redraws
    w.set(depth=3, init="he")
    assert w.values["depth"] == 3 and len(w.last["stats"]) == 3


def test_deep_mlp_depth_is_the_number_of_hidden_layers():
    from nnlearn import nn

    for depth in (1, 3):
        m = widgets.deep_mlp(depth, 5, 4, 2)
        linears = [layer for layer in m if isinstance(layer, nn.Linear)]
        assert len(linears) == depth + 1

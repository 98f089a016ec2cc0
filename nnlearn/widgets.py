r"""Interactive figures (ipywidgets): move a slider, see the figure change.

Three experiments of the course, each a function returning an
:class:`InteractiveFigure`:

:func:`optimizer_widget`
    learning rate, momentum and optimizer against the path on the Gabor
    model's loss surface and the loss curve (chapter 4);
:func:`initialization_widget`
    depth, activation function, initialization and its scale against the
    per-layer histograms of activations and back-propagated gradients
    (chapter 5, Glorot and Bengio's figures 6–7);
:func:`regularization_widget`
    dropout rate and L2 strength against a small network's fit of Bishop's
    sinusoid (chapter 6).

In Jupyter, JupyterLab, VS Code and Colab the figure is live. Where nothing
can react to the sliders (the HTML book, a notebook executed in the
background, a terminal) it shows as a static PNG of its default settings with
a caption saying so. Set the environment variable ``NNLEARN_DISPLAY=live``
(or ``static``) to override the detection. Live figures work with ipywidgets
7.7 (what Colab ships) and 8.

An option the figure does not offer (``optimizer="Nadam"``, a depth beyond the
slider's range) is a ``ValueError`` naming the choices or the range, when the
figure is made and in :meth:`InteractiveFigure.set`.

Every redraw is kept well under a second: the surfaces are computed once,
the networks are small, and trained fits are cached.
"""

from __future__ import annotations

import base64
import html
import io
import math

import numpy as np

from . import backend as _backend
from ._display import new_figure

__all__ = ["InteractiveFigure", "optimizer_widget", "initialization_widget", "regularization_widget",
           "deep_mlp"]


# --------------------------------------------------------------------------
# The shared machinery
# --------------------------------------------------------------------------

class _Control:
    """A stand-in for an ipywidgets control when ipywidgets is not installed:
    it holds a value and calls observers on change (enough for a static figure
    and for tests)."""

    def __init__(self, value, description="", **kw):
        self._value = value
        self.description = description
        self._observers = []
        for k, v in kw.items():
            setattr(self, k, v)

    def observe(self, fn, names="value"):
        self._observers.append(fn)

    @property
    def value(self):
        return self._value

    @value.setter
    def value(self, v):
        old, self._value = self._value, v
        if old != v:
            for fn in self._observers:
                fn({"name": "value", "old": old, "new": v, "owner": self})


def _widgets():
    try:
        import ipywidgets
    except ImportError:
        return None
    return ipywidgets


def _widget_bundle(widget, include=None, exclude=None) -> dict:
    """The MIME bundle that shows ``widget`` live, on ipywidgets 7 and 8.

    ipywidgets 8 widgets have ``_repr_mimebundle_``. ipywidgets 7 (what Colab
    ships) has only ``_ipython_display_``, which displays the same bundle
    itself: a ``text/plain`` fallback and the widget-view reference
    ``{"version_major": 2, "version_minor": 0, "model_id": ...}`` that the front
    end's widget manager resolves. Built here the same way, so that an
    :class:`InteractiveFigure` can return it from its own ``_repr_mimebundle_``.
    """
    if hasattr(widget, "_repr_mimebundle_"):                        # ipywidgets >= 8
        return widget._repr_mimebundle_(include=include, exclude=exclude)
    plaintext = repr(widget)                                        # ipywidgets 7
    if len(plaintext) > 110:
        plaintext = plaintext[:110] + "…"
    bundle = {"text/plain": plaintext}
    if getattr(widget, "_view_name", None) is not None:
        bundle["application/vnd.jupyter.widget-view+json"] = {
            "version_major": 2, "version_minor": 0, "model_id": widget.model_id}
        handle = getattr(widget, "_handle_displayed", None)
        if handle is not None:                                      # on_displayed callbacks
            handle()
    return bundle


def _choice(where: str, name: str, value, choices):
    """``value`` if it is one of ``choices``; else a ValueError naming them (an
    ipywidgets Dropdown would raise its own ``TraitError`` instead)."""
    choices = list(choices)
    if value not in choices:
        raise ValueError(f"{where}: {name} must be one of {', '.join(map(repr, choices))}; "
                         f"got {value!r}")
    return value


def _number(where: str, name: str, value, lo, hi, integer: bool = False):
    """``value`` as an int or float in ``[lo, hi]``; else a ValueError (an
    ipywidgets slider would silently clamp it to its range)."""
    kind = "an integer" if integer else "a number"
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{where}: {name} must be {kind} in [{lo:g}, {hi:g}]; got {value!r}")
    if integer and int(value) != value:
        raise ValueError(f"{where}: {name} must be {kind} in [{lo:g}, {hi:g}]; got {value!r}")
    if not (lo <= value <= hi):                                     # NaN fails here too
        raise ValueError(f"{where}: {name} must be {kind} in [{lo:g}, {hi:g}]; got {value!r}")
    return int(value) if integer else float(value)


def _check_control_value(name: str, control, value) -> None:
    """A ValueError naming the valid choices or range when ``value`` is not one
    the control can take (ipywidgets would raise a ``TraitError`` for a choice
    and silently clamp a slider)."""
    options = getattr(control, "options", None)
    if options is not None:
        choices = [o[1] if isinstance(o, tuple) else o for o in options]
        _choice("set", name, value, choices)
        return
    lo, hi = getattr(control, "min", None), getattr(control, "max", None)
    if lo is not None and hi is not None:
        base = getattr(control, "base", None)
        if base is not None:                        # a log slider: min and max are exponents
            lo, hi = base ** lo, base ** hi
        integer = isinstance(getattr(control, "value", 0.0), int) and not isinstance(control.value, bool)
        _number("set", name, value, lo * (1 - 1e-12), hi * (1 + 1e-12), integer=integer)


def _slider(kind, value, description, **kw):
    w = _widgets()
    style = {"description_width": "initial"}
    if w is None:
        return _Control(value, description, **kw)
    cls = getattr(w, kind)
    extra = {"continuous_update": False} if "Slider" in kind else {}
    return cls(value=value, description=description, style=style, **extra, **kw)


def _seeded(seed):
    """Seed nnlearn's generator for a block and give the caller's back afterwards
    (a widget must not reset the user's random state)."""
    return _backend.fork_rng(seed)


class InteractiveFigure:
    """A matplotlib figure redrawn from a set of controls.

    Parameters
    ----------
    controls : dict of str to control
        ipywidgets controls (sliders, dropdowns) by name.
    draw : callable
        ``draw(fig, **values) -> dict``: draws into the cleared figure; the
        returned dict (data behind the drawing) is kept as ``last``.
    title, caption : str
        Shown under the figure; the caption also says where it is live.
    figsize : (float, float)

    Attributes
    ----------
    figure : matplotlib.figure.Figure
    controls : dict
    last : dict
        What the last redraw returned (paths, curves, statistics), for tests
        and for readers who want the numbers.
    redraws : int
        How many times the figure was drawn.

    Notes
    -----
    Display it (the last line of a cell) or call :meth:`show`. In a live
    front end it is an ipywidgets ``VBox`` of the controls and the figure as a
    PNG image; elsewhere it is the PNG with a caption. Set a control's
    ``.value`` from code and the figure redraws, exactly as when the slider
    moves; :meth:`set` changes several at once with a single redraw.
    """

    def __init__(self, controls: dict, draw, *, title: str, caption: str, figsize=(9.0, 4.0),
                 dpi: int = 90):
        self.controls = dict(controls)
        self._draw = draw
        self.title = title
        self.caption = caption
        self.dpi = dpi
        self.figure = new_figure(figsize=figsize)
        self.last: dict = {}
        self.redraws = 0
        self._holding = False
        self._png = None
        w = _widgets()
        self._image = w.Image(format="png") if w is not None else None
        for c in self.controls.values():
            c.observe(self._changed, names="value")
        self.redraw()

    # ------------------------------------------------------------------ state
    @property
    def values(self) -> dict:
        """The controls' current values by name."""
        return {k: c.value for k, c in self.controls.items()}

    def _changed(self, change):
        if not self._holding:
            self.redraw()

    def set(self, **values) -> "InteractiveFigure":
        """Set several controls, then redraw once."""
        unknown = set(values) - set(self.controls)
        if unknown:
            raise KeyError(f"unknown control(s) {sorted(unknown)}; controls are {list(self.controls)}")
        for k, v in values.items():
            _check_control_value(k, self.controls[k], v)
        self._holding = True
        try:
            for k, v in values.items():
                self.controls[k].value = v
        finally:
            self._holding = False
        self.redraw()
        return self

    def redraw(self) -> None:
        """Draw the figure for the current values (and refresh the live image)."""
        self.figure.clear()
        self.last = self._draw(self.figure, **self.values) or {}
        self.redraws += 1
        self._png = None
        if self._image is not None:
            self._image.value = self.png()

    def png(self) -> bytes:
        """The figure as PNG bytes."""
        if self._png is None:
            buf = io.BytesIO()
            self.figure.savefig(buf, format="png", dpi=self.dpi)
            self._png = buf.getvalue()
        return self._png

    # ---------------------------------------------------------------- display
    @property
    def widget(self):
        """The live ipywidgets ``VBox`` (controls above the figure)."""
        w = _widgets()
        if w is None:
            raise ImportError("the live widget needs ipywidgets: pip install ipywidgets")
        if not hasattr(self, "_ui"):
            row = w.HBox([c for c in self.controls.values()],
                         layout=w.Layout(flex_flow="row wrap"))
            self._ui = w.VBox([row, self._image, w.HTML(f"<small>{html.escape(self.caption)}</small>")])
        return self._ui

    def _static_html(self) -> str:
        b64 = base64.b64encode(self.png()).decode("ascii")
        return (
            f"<figure class='nnlearn-interactive'>"
            f"<img src='data:image/png;base64,{b64}' alt='{html.escape(self.title)}' "
            f"style='max-width:100%'/>"
            f"<figcaption><strong>{html.escape(self.title)}.</strong> {html.escape(self.caption)} "
            f"<em>This figure is interactive in Jupyter or Colab (open this page as a notebook "
            f"and run the cell to move the controls); here it shows the default settings.</em>"
            f"</figcaption></figure>"
        )

    def _repr_mimebundle_(self, include=None, exclude=None):
        from .train._frontend import display_mode

        if display_mode() == "live" and _widgets() is not None:
            return _widget_bundle(self.widget, include=include, exclude=exclude)
        return {
            "text/html": self._static_html(),
            "image/png": base64.b64encode(self.png()).decode("ascii"),
            "text/plain": f"<{self.title}: an interactive figure ({', '.join(self.controls)}); "
                          "live in Jupyter or Colab>",
        }

    def show(self):
        """Display it (in IPython), live or static as described above."""
        from IPython.display import display

        display(self)

    def __repr__(self):
        vals = ", ".join(f"{k}={v!r}" for k, v in self.values.items())
        return f"InteractiveFigure({self.title!r}: {vals})"


# --------------------------------------------------------------------------
# 1. Optimizers on the Gabor loss surface
# --------------------------------------------------------------------------

_OPTIMIZERS = ("SGD", "Adagrad", "RMSprop", "Adam")


def _hyper(name, lr, momentum):
    if name == "SGD":
        return {"lr": lr, "momentum": momentum}
    if name == "RMSprop":
        return {"lr": lr, "momentum": momentum}
    if name == "Adam":
        return {"lr": lr, "betas": (momentum, 0.999)}
    return {"lr": lr}


def optimizer_widget(start=(2.5, 5.0), steps: int = 100, lr: float = 1.0, momentum: float = 0.0,
                     optimizer: str = "SGD", n: int = 30, seed: int = 0, num: int = 121):
    r"""Learning rate, momentum and optimizer on the Gabor model's loss surface.

    Full-batch gradient descent on the mean squared loss of the Gabor model
    (:func:`nnlearn.data.gabor_loss`, :math:`n` points from
    :func:`nnlearn.data.gabor_data`) from ``start``. Left: the path on the loss
    surface (circle: start, star: end); right: the loss at each step, on a log
    scale, with the global minimum of the grid dotted.

    Controls: ``optimizer`` (SGD, Adagrad, RMSprop, Adam), ``lr`` (log scale),
    ``momentum`` (SGD's and RMSprop's momentum, Adam's :math:`\beta_1`; Adagrad
    has none) and ``steps``.

    With the defaults, plain SGD settles in the local minimum near
    :math:`(2.1, 6.4)`; momentum 0.9 carries it over the ridge to the global
    minimum near :math:`(0.52, 15.0)`.
    """
    from .data import gabor_data, gabor_loss, gabor_loss_grad, gabor_loss_surface
    from .viz import loss_surface, optimizer_path

    where = "optimizer_widget"
    optimizer = _choice(where, "optimizer", optimizer, _OPTIMIZERS)
    lr = _number(where, "lr", lr, 1e-3, 10 ** 1.5)
    momentum = _number(where, "momentum", momentum, 0.0, 0.99)
    steps = _number(where, "steps", steps, 5, 400, integer=True)
    if np.shape(start) != (2,):
        raise ValueError(f"{where}: start must be a pair (phi0, phi1); got {start!r}")
    x, y = gabor_data(n=n, seed=seed)
    surface = gabor_loss_surface(x, y, num=num)
    best = float(np.min(surface.loss))

    def grad(phi):                     # the data on phi's backend (numpy or torch)
        xb, yb = (_backend.current().asarray(a) for a in (x, y))
        return gabor_loss_grad(phi, xb, yb)

    def draw(fig, optimizer, lr, momentum, steps):
        path = optimizer_path(grad, start, optimizer, steps, **_hyper(optimizer, lr, momentum))
        losses = np.asarray(gabor_loss((path[:, 0], path[:, 1]), x, y), dtype=np.float64)
        ax1, ax2 = fig.subplots(1, 2, width_ratios=[1.25, 1.0])
        label = f"{optimizer}, lr={lr:.3g}" + ("" if optimizer == "Adagrad" else f", momentum={momentum:.2g}")
        loss_surface(surface, {label: path}, ax=ax1, colorbar=False, title="Path on the loss surface")
        ax2.plot(np.arange(len(losses)), losses, color="#ff7f0e", lw=1.6, label=label)
        ax2.axhline(best, color="0.4", ls=":", label=f"grid minimum ({best:.3g})")
        ax2.set_yscale("log")
        ax2.set_xlabel("step")
        ax2.set_ylabel("loss")
        ax2.set_title(f"Loss: {losses[-1]:.3g} after {len(losses) - 1} steps")
        ax2.grid(alpha=0.3, which="both")
        ax2.legend(fontsize="small")
        return {"path": path, "losses": losses}

    controls = {
        "optimizer": _slider("Dropdown", optimizer, "optimizer", options=list(_OPTIMIZERS)),
        "lr": _slider("FloatLogSlider", float(lr), "learning rate", base=10, min=-3, max=1.5, step=0.05),
        "momentum": _slider("FloatSlider", float(momentum), "momentum / β₁", min=0.0, max=0.99, step=0.01),
        "steps": _slider("IntSlider", int(steps), "steps", min=5, max=400, step=5),
    }
    return InteractiveFigure(
        controls, draw, title="Optimizers on the Gabor loss surface",
        caption=("Full-batch gradient descent on the Gabor model's loss from the circle at "
                 f"({start[0]:g}, {start[1]:g}). Controls: optimizer, learning rate, momentum "
                 "(Adam's β₁) and number of steps."),
        figsize=(10.0, 4.2),
    )


# --------------------------------------------------------------------------
# 2. Initialization: per-layer histograms
# --------------------------------------------------------------------------

_INITS = {
    "standard": "standard U(−1/√n, 1/√n)",
    "xavier": "normalized (Glorot/Xavier)",
    "he": "He (Kaiming)",
}
_ACTIVATIONS = ("tanh", "sigmoid", "relu")


def deep_mlp(depth: int, width: int, n_in: int, n_out: int, activation: str = "tanh",
             init: str = "standard", scale: float = 1.0, seed: int = 0):
    r"""A Sequential of ``depth`` hidden layers with a chosen initialization.

    ``init`` is ``"standard"`` (Glorot and Bengio's name for
    :math:`W_{ij} \sim U(-1/\sqrt{n}, 1/\sqrt{n})`, :math:`n` the fan-in, which
    is also PyTorch's default), ``"xavier"`` (their normalized initialization,
    :math:`U(\pm\sqrt{6/(n_\text{in} + n_\text{out})})`) or ``"he"``
    (:math:`\mathcal N(0, 2/n_\text{in})`); the weights are then multiplied by
    ``scale`` and the biases set to 0. Weights are drawn from a generator
    seeded with ``seed``.
    """
    from . import nn

    acts = {"tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "relu": nn.ReLU}
    _choice("deep_mlp", "activation", activation, acts)
    _choice("deep_mlp", "init", init, _INITS)
    for name, v in (("depth", depth), ("width", width), ("n_in", n_in), ("n_out", n_out)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            what = " (the number of hidden layers, at least 1)" if name == "depth" else ""
            raise ValueError(f"deep_mlp: {name} must be a positive integer{what}; got {v!r}")
    if isinstance(scale, bool) or not isinstance(scale, (int, float, np.integer, np.floating)) \
            or not math.isfinite(scale):
        raise ValueError(f"deep_mlp: scale must be a finite number; got {scale!r}")
    rng = np.random.default_rng(seed)
    sizes = [n_in] + [width] * depth + [n_out]
    layers = []
    with _seeded(seed):
        for i in range(len(sizes) - 1):
            lin = nn.Linear(sizes[i], sizes[i + 1])
            fan_in, fan_out = sizes[i], sizes[i + 1]
            if init == "standard":
                a = 1.0 / math.sqrt(fan_in)
                W = rng.uniform(-a, a, size=(fan_out, fan_in))
            elif init == "xavier":
                a = math.sqrt(6.0 / (fan_in + fan_out))
                W = rng.uniform(-a, a, size=(fan_out, fan_in))
            else:
                W = rng.normal(0.0, math.sqrt(2.0 / fan_in), size=(fan_out, fan_in))
            b = lin.weight.backend
            lin.weight.data[...] = b.asarray(scale * W)
            lin.bias.data[...] = 0.0
            layers.append(lin)
            if i < len(sizes) - 2:
                layers.append(acts[activation]())
    return nn.Sequential(*layers)


def initialization_widget(depth: int = 5, activation: str = "tanh", init: str = "standard",
                          scale: float = 1.0, width: int = 128, n: int = 256, classes: int = 10,
                          seed: int = 0):
    r"""Depth, activation and initialization against per-layer histograms.

    A network of ``depth`` hidden layers of ``width`` units is initialized and
    run, untrained, on ``n`` random inputs :math:`x \sim \mathcal N(0, I)` with
    random class labels and the cross-entropy loss
    (:func:`nnlearn.train.layer_statistics`). Top: the histogram of each
    hidden layer's activations (Glorot and Bengio's figure 6); bottom: of its
    back-propagated gradients :math:`\partial E/\partial z` (figure 7).

    Controls: ``depth`` (1–10), ``activation`` (tanh, sigmoid, relu), ``init``
    (standard, xavier, he; see :func:`deep_mlp`) and ``scale`` (a factor on
    all weights).
    """
    from .losses import cross_entropy
    from .train import layer_statistics
    from .viz import layer_histograms

    where = "initialization_widget"
    depth = _number(where, "depth", depth, 1, 10, integer=True)
    activation = _choice(where, "activation", activation, _ACTIVATIONS)
    init = _choice(where, "init", init, _INITS)
    scale = _number(where, "scale", scale, 0.1, 10.0)
    width = _number(where, "width", width, 1, 4096, integer=True)
    n = _number(where, "n", n, 1, 1_000_000, integer=True)
    classes = _number(where, "classes", classes, 1, 1000, integer=True)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, width))
    y = rng.integers(0, classes, size=n)

    def draw(fig, depth, activation, init, scale):
        model = deep_mlp(depth, width, width, classes, activation, init, scale, seed)
        stats = layer_statistics(model, X, y, cross_entropy)
        ax1, ax2 = fig.subplots(2, 1)
        layer_histograms(stats, "activation", ax=ax1)
        ax1.set_title(f"Activations: {depth} {activation} layers, {_INITS[init]} init × {scale:.3g}")
        layer_histograms(stats, "gradient", ax=ax2)
        g = stats.summary()["grad_std"]
        ratio = g[0] / g[-1] if g[-1] > 0 else math.inf
        ax2.set_title(f"Back-propagated gradients: std in layer 1 / layer {depth} = {ratio:.3g}")
        return {"stats": stats, "grad_std": g}

    controls = {
        "depth": _slider("IntSlider", int(depth), "depth", min=1, max=10, step=1),
        "activation": _slider("Dropdown", activation, "activation", options=list(_ACTIVATIONS)),
        "init": _slider("Dropdown", init, "initialization",
                        options=[(v, k) for k, v in _INITS.items()]),
        "scale": _slider("FloatLogSlider", float(scale), "weight scale", base=10, min=-1, max=1, step=0.05),
    }
    return InteractiveFigure(
        controls, draw, title="Initialization and the signal in each layer",
        caption=(f"An untrained network of {width} units per layer on {n} random inputs. "
                 "Controls: depth, activation, initialization and a scale on the weights."),
        figsize=(8.0, 6.4),
    )


# --------------------------------------------------------------------------
# 3. Regularization of a sinusoid fit
# --------------------------------------------------------------------------

_L2 = (0.0, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1)


def regularization_widget(dropout: float = 0.0, weight_decay: float = 0.0, n: int = 10,
                          noise: float = 0.3, hidden: int = 50, steps: int = 1500, lr: float = 0.01,
                          seed: int = 0):
    r"""Dropout rate and L2 strength against a network's fit of Bishop's sinusoid.

    A network :math:`1 \to` ``hidden`` :math:`\to` ``hidden`` :math:`\to 1`
    with tanh units, dropout after each hidden layer, is trained full-batch
    with Adam (``lr``, ``steps`` steps, L2 penalty ``weight_decay``: Adam's
    ``weight_decay`` adds :math:`\lambda\theta` to the gradient, the gradient
    of :math:`\tfrac{\lambda}{2}\|\theta\|^2`) on ``n`` noisy points of
    :math:`\sin 2\pi x`. The title gives the training MSE and the MSE on 200
    fresh points. Fits are cached, so revisiting a setting is instant.
    """
    from . import nn, optim
    from .data import sinusoid, sinusoid_curve
    from .losses import mse_loss
    from ._tensor import Tensor
    from .train import predict
    from .viz import regression_fit

    where = "regularization_widget"
    dropout = _number(where, "dropout", dropout, 0.0, 0.7)
    weight_decay = _choice(where, "weight_decay", weight_decay, _L2)
    steps = _number(where, "steps", steps, 1, 1_000_000, integer=True)
    hidden = _number(where, "hidden", hidden, 1, 100_000, integer=True)
    lr = _number(where, "lr", lr, 0.0, float("inf"))
    X, t = sinusoid(n, noise=noise, seed=seed)
    Xv, tv = sinusoid(200, noise=noise, seed=seed + 1)
    cache: dict = {}

    def trained(p, wd):
        key = (round(float(p), 6), float(wd))
        if key not in cache:
            with _seeded(seed):
                model = nn.Sequential(nn.Linear(1, hidden), nn.Tanh(), nn.Dropout(p),
                                      nn.Linear(hidden, hidden), nn.Tanh(), nn.Dropout(p),
                                      nn.Linear(hidden, 1))
                opt = optim.Adam(model.parameters(), lr=lr, weight_decay=wd)
                Xt, tt = Tensor(X), Tensor(t)
                for _ in range(steps):
                    opt.zero_grad()
                    mse_loss(model(Xt), tt).backward()
                    opt.step()
            train_mse = float(np.mean((predict(model, X) - t) ** 2))
            val_mse = float(np.mean((predict(model, Xv) - tv) ** 2))
            cache[key] = (model, train_mse, val_mse)
        return cache[key]

    def draw(fig, dropout, weight_decay):
        model, tr, va = trained(dropout, weight_decay)
        ax = fig.subplots()
        regression_fit(model, X, t, truth=sinusoid_curve, ax=ax, xlim=(0.0, 1.0))
        ax.set_ylim(-1.8, 1.8)
        ax.set_title(f"dropout p = {dropout:.2f}, L2 λ = {weight_decay:g}: "
                     f"training MSE {tr:.3f}, validation MSE {va:.3f}")
        curve = ax.lines[-1].get_ydata().copy()
        return {"curve": curve, "train_mse": tr, "val_mse": va, "model": model}

    controls = {
        "dropout": _slider("FloatSlider", float(dropout), "dropout p", min=0.0, max=0.7, step=0.05),
        "weight_decay": _slider("SelectionSlider", float(weight_decay), "L2 λ",
                                options=[(f"{v:g}", v) for v in _L2]),
    }
    return InteractiveFigure(
        controls, draw, title="Regularizing a sinusoid fit",
        caption=(f"A 1-{hidden}-{hidden}-1 tanh network trained on {n} noisy points of "
                 "sin(2πx) (circles; dashed: the true curve). Controls: the dropout probability "
                 "and the L2 penalty λ."),
        figsize=(7.0, 4.2),
    )

r"""Learning curves, read against four questions.

A learning curve (loss against epoch, for the training and the validation
data) answers four questions about a run:

1. *Is it learning anything?* The loss at initialization should sit near the
   chance level (:math:`\ln C` for :math:`C` balanced classes) and then fall
   well below it.
2. *Is it still learning?* If the loss is still falling at the end, train
   longer.
3. *Is it overfitting?* If the validation loss turns up while the training
   loss keeps falling, the network is fitting the noise of the training set.
4. *Is the learning rate too low or too high?* Too high: the loss jumps up or
   becomes ``nan``. Too low: it falls steadily but slowly and has not levelled
   off.

:func:`diagnose` answers them from the numbers with simple, stated
thresholds; :func:`learning_curves` draws the curves and, with
``annotate=True``, writes the answers on the figure.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .._display import Table
from .._display import new_figure
from ._common import color

__all__ = ["Finding", "Diagnosis", "diagnose", "learning_curves"]


class Finding(NamedTuple):
    """One answer of :func:`diagnose`."""

    question: str
    answer: str   # "yes", "no", "maybe", "unknown", "too high", "too low"
    detail: str

    def __str__(self):
        return f"{self.question} {self.answer} — {self.detail}"


class Diagnosis(list):
    """The list of :class:`Finding`\\ s; renders as a table in a notebook."""

    def table(self) -> Table:
        return Table(["question", "answer", "why"],
                     [[f.question, f.answer, f.detail] for f in self],
                     title="Learning-curve diagnosis")

    def _repr_html_(self):
        return self.table()._repr_html_()

    def __str__(self):
        return "\n".join(str(f) for f in self)

    def __repr__(self):
        return str(self)

    def __getitem__(self, key):
        if isinstance(key, str):
            for f in self:
                if f.question.lower().startswith(key.lower()):
                    return f
            raise KeyError(key)
        return list.__getitem__(self, key)


def _g(x) -> str:
    return f"{x:.3g}"


def _percent(fraction: float) -> str:
    """``fraction`` as a percentage without a sign, one decimal, more where one decimal
    would round a change that is not total to 100% or a change that is not nil to 0%
    (0.996 is "99.6%", 0.99996 "99.996%", never "100%")."""
    p = 100 * abs(fraction)
    for digits in range(1, 6):
        s = f"{p:.{digits}f}"
        if (float(s) == 100) == (p == 100) and (float(s) == 0) == (p == 0):
            return s + "%"
    return f"{p:.3g}%"


def _moved(drop: float) -> str:
    """A relative decrease ``drop`` = (before − after) / |before| in words: "fell by 99.6%",
    "rose by 26.0%" (a negative decrease is a rise), "did not change"."""
    if drop > 0:
        return f"fell by {_percent(drop)}"
    if drop < 0:
        return f"rose by {_percent(drop)}"
    return "did not change"


def _chance_label(chance: float) -> str:
    c = math.exp(chance)
    if abs(c - round(c)) < 1e-9 and round(c) >= 2:
        return f"chance level ln {round(c)} = {chance:.3f}"
    return f"chance level {chance:.3g}"


def _clip_for_log(y):
    """Hide points beyond 1e12 times the first finite value, which a log axis cannot tick."""
    y = np.asarray(y, dtype=float)
    finite = y[np.isfinite(y) & (y > 0)]
    if finite.size:
        y = np.where(y > 1e12 * finite[0], np.nan, y)
    return y


def diagnose(history, tol: float = 0.01, spike: float = 0.1, window: float = 0.1) -> Diagnosis:
    r"""Answer the four learning-curve questions for a :class:`~nnlearn.train.History`.

    The thresholds are rules of thumb, stated so that a reader can check them:

    Learning anything?
        *yes* when the lowest training loss is below 90% of the chance level
        (``History.chance_loss``; without one, below 90% of the initial
        loss). A loss at initialization more than 1.5 times the chance level
        is flagged too (over-confident initial outputs).
    Still learning?
        the relative decrease of the training (and validation) loss over the
        last ``window`` fraction of the epochs (at least 2 epochs); more than
        ``tol`` (1%) is *yes*.
    Overfitting?
        *yes* when the validation loss has risen more than 2% above its
        minimum while the training loss kept falling; *maybe* when the
        validation loss has not improved for more than the last window while
        the training loss fell by more than 10%.
    Learning rate too low/high?
        *too high* after a non-finite loss, or *maybe too high* when the
        training loss rose by more than ``spike`` (10%) from one epoch to the
        next; *maybe too low* when it is still falling at the end but has not
        yet halved from its initial value.

    Returns
    -------
    Diagnosis
        A list of four :class:`Finding` (``question``, ``answer``, ``detail``);
        ``diagnosis["overfitting"]`` picks one by the start of its question.
    """
    L = [float(v) for v in history["loss"]]
    E = len(L)
    V = [float(v) for v in history.history["val_loss"]] if "val_loss" in history else None
    L0 = history.initial.get("loss", L[0] if E else math.nan)
    chance = history.chance_loss
    diverged = history.diverged
    # a run whose loss blew up (non-finite, or a thousand times the starting level) has no
    # meaningful trend or gap: questions 2 and 3 are then unanswerable
    scale = max(abs(L0) if math.isfinite(L0) else 0.0, chance or 0.0, 1e-12)
    blew_up = bool(diverged) or any(not math.isfinite(v) or v > 1e3 * scale for v in L)
    out = Diagnosis()

    # 1. learning anything?
    q = "Learning anything?"
    if E == 0:
        where = f" (diverged in epoch {diverged['epoch']})" if diverged else ""
        out.append(Finding(q, "unknown", f"no epoch was completed{where}"))
    else:
        lmin = min(L)
        init_note = ""
        if chance is not None and math.isfinite(L0) and L0 > 1.5 * chance:
            init_note = (f"; the loss at initialization ({_g(L0)}) is far above the chance "
                         f"level ({_g(chance)}): the initial outputs are too confident, scale "
                         "down the last layer's initial weights")
        if chance is not None and chance > 0:
            learned = lmin < 0.9 * chance
            ref = f"the chance level {_g(chance)}"
        else:
            learned = math.isfinite(L0) and lmin < 0.9 * L0
            ref = f"its initial value {_g(L0)}"
        if learned:
            out.append(Finding(q, "yes", f"the training loss fell from {_g(L0)} to {_g(lmin)}, "
                                         f"well below {ref}" + init_note))
        else:
            out.append(Finding(q, "no", f"the training loss went from {_g(L0)} to only "
                                        f"{_g(lmin)}, not clearly below {ref}: check the "
                                        "learning rate, the labels and that gradients reach "
                                        "every layer" + init_note))

    # 2. still learning?
    q = "Still learning?"
    k = max(2, math.ceil(window * E))
    if blew_up:
        out.append(Finding(q, "unknown", "the training loss blew up, so its trend means nothing: "
                                         "fix the learning rate first"))
        train_drop = math.nan
    elif E < 3 or E <= k:
        out.append(Finding(q, "unknown", f"too few epochs ({E}) to tell"))
        train_drop = math.nan
    else:
        a, b = L[E - 1 - k], L[E - 1]
        train_drop = (a - b) / abs(a) if a != 0 else 0.0
        span = f"over the last {k} epochs"
        val_drop = None
        if V is not None:
            va, vb = V[E - 1 - k], V[E - 1]
            val_drop = (va - vb) / abs(va) if va != 0 else 0.0
        if train_drop > tol and (val_drop is None or val_drop > tol):
            extra = "" if val_drop is None else f" and the validation loss {_moved(val_drop)}"
            out.append(Finding(q, "yes", f"the training loss {_moved(train_drop)} "
                                         f"{span}{extra}: more epochs should help"))
        elif train_drop > tol:
            out.append(Finding(q, "training loss only",
                               f"the training loss still falls (it {_moved(train_drop)} {span}) "
                               f"but the validation loss does not (it {_moved(val_drop)}): more "
                               "epochs would only fit the training data more closely"))
        else:
            moved = f"fell by only {_percent(train_drop)}" if train_drop > 0 else _moved(train_drop)
            out.append(Finding(q, "no", f"the training loss {moved} {span} (a fall of less than "
                                        f"{100 * tol:g}%): it has levelled off"))

    # 3. overfitting?
    q = "Overfitting?"
    if V is None:
        out.append(Finding(q, "unknown", "no validation data: pass val_data to fit"))
    elif blew_up:
        out.append(Finding(q, "unknown", "the training loss blew up, so the gap between "
                                         "validation and training loss means nothing"))
    elif E == 0:
        out.append(Finding(q, "unknown", "no epoch was completed"))
    else:
        finite = [v if math.isfinite(v) else math.inf for v in V]
        bi = int(np.argmin(finite))
        best_epoch = history.epoch[bi]
        gap_b, gap_e = V[bi] - L[bi], V[-1] - L[-1]
        rise = (V[-1] - V[bi]) / abs(V[bi]) if V[bi] != 0 else 0.0
        if bi < E - 1 and rise > 0.02 and L[-1] < L[bi]:
            out.append(Finding(q, "yes", f"the validation loss was lowest at epoch {best_epoch} "
                                         f"({_g(V[bi])}) and rose to {_g(V[-1])} while the "
                                         f"training loss kept falling ({_g(L[bi])} → {_g(L[-1])}); "
                                         f"the gap grew from {_g(gap_b)} to {_g(gap_e)}. Early "
                                         f"stopping would keep epoch {best_epoch}"))
        elif bi < E - 1 - k and L[-1] < 0.9 * L[bi]:
            out.append(Finding(q, "maybe", f"the validation loss has not improved since epoch "
                                           f"{best_epoch} while the training loss fell from "
                                           f"{_g(L[bi])} to {_g(L[-1])} (gap {_g(gap_b)} → "
                                           f"{_g(gap_e)})"))
        else:
            out.append(Finding(q, "no", f"the validation loss is at or near its lowest "
                                        f"({_g(V[bi])} at epoch {best_epoch}, now {_g(V[-1])}); "
                                        f"gap between validation and training loss {_g(gap_e)}"))

    # 4. learning rate
    q = "Learning rate too low/high?"
    spikes = [history.epoch[i] for i in range(1, E) if L[i] > L[i - 1] * (1 + spike)]
    if E and math.isfinite(L0) and L[0] > L0 * (1 + spike):
        spikes.insert(0, history.epoch[0])
    total_drop = (L0 - L[-1]) / abs(L0) if E and math.isfinite(L0) and L0 != 0 else math.nan
    if blew_up and not diverged:
        out.append(Finding(q, "too high", f"the training loss blew up (up to {_g(max(L))}, from "
                                          f"{_g(L0)}): lower the learning rate"))
    elif diverged:
        out.append(Finding(q, "too high", f"training diverged (non-finite "
                                          f"{'loss' if diverged['reason'] == 'loss' else 'weights'})"
                                          f" in epoch {diverged['epoch']}, batch {diverged['batch']}:"
                                          " lower the learning rate"))
    elif spikes:
        listed = ", ".join(map(str, spikes[:6])) + (", ..." if len(spikes) > 6 else "")
        out.append(Finding(q, "maybe too high", f"the training loss rose by more than "
                                                f"{100 * spike:g}% in epoch{'s' if len(spikes) > 1 else ''} "
                                                f"{listed}: try a smaller learning rate or a schedule"))
    elif E >= 3 and train_drop > tol and total_drop < 0.5:
        where = (f"only {_percent(total_drop)} below" if total_drop > 0
                 else f"{_percent(total_drop)} above" if total_drop < 0 else "still at")
        out.append(Finding(q, "maybe too low", f"the loss falls steadily but slowly: {where} "
                                               f"its initial value after {E} epochs and still "
                                               "falling; try a 3 to 10 times larger learning rate"))
    elif E == 0:
        out.append(Finding(q, "unknown", "no epoch was completed"))
    else:
        out.append(Finding(q, "no sign of either", "no jumps in the training loss, which "
                                                   f"{_moved(total_drop)} from its initial value"))
    return out


def _as_runs(history):
    from ..train.history import History

    if isinstance(history, History):
        return [(None, history)]
    if isinstance(history, dict):
        runs = list(history.items())
    elif isinstance(history, (list, tuple)):
        runs = [(f"run {i + 1}", h) for i, h in enumerate(history)]
    else:
        raise TypeError(f"learning_curves expects a History (or a dict/list of them), got {type(history).__name__}")
    for name, h in runs:
        if not isinstance(h, History):
            raise TypeError(f"learning_curves: {name!r} is a {type(h).__name__}, not a History")
    if not runs:
        raise ValueError("learning_curves: no history given")
    return runs


def _series(h, key):
    """(epochs, values) with epoch 0 prepended when the initial value is known."""
    x, y = list(h.epoch), list(h.history[key])
    if key in h.initial:
        x, y = [0] + x, [h.initial[key]] + y
    return np.array(x), np.array(y, dtype=np.float64)


_PANEL_TITLES = {"loss": "Loss", "accuracy": "Accuracy", "mse": "Mean squared error",
                 "mae": "Mean absolute error"}


def learning_curves(history, *, metrics=None, annotate: bool = False, chance: bool = True,
                    best: bool = True, log_y: bool = False, title: str | None = None,
                    figsize=None):
    """Training and validation loss (and metrics) against epoch.

    Parameters
    ----------
    history : History, or dict of name to History, or list of History
        Several runs are drawn in one color each (training solid, validation
        dashed), e.g. ``{"lr=0.1": h1, "lr=0.001": h2}``.
    metrics : list of str, optional
        Metric panels to add after the loss panel; default: every metric the
        (first) history recorded. ``[]`` draws the loss only.
    annotate : bool
        Write the answers of :func:`diagnose` under the plots (one history only).
    chance : bool
        Draw the chance level (``History.chance_loss``) on the loss panel.
    best : bool
        Mark the best epoch with a vertical line (one history only).
    log_y : bool
        Logarithmic loss axis.

    Returns
    -------
    matplotlib.figure.Figure
        One axes per panel (titles "Loss", "Accuracy", ...; x label "epoch"),
        plus a text-only axes with the findings when ``annotate``.
    """
    runs = _as_runs(history)
    first = runs[0][1]
    if metrics is None:
        metrics = first.metric_names
    elif isinstance(metrics, str):
        metrics = [metrics]
    missing = [m for m in metrics if m not in first.history and f"val_{m}" not in first.history]
    if missing:
        raise KeyError(f"learning_curves: no metric {missing[0]!r} in the history; it has "
                       f"{sorted(first.history)}")
    metrics = [m for m in metrics if m in first.history]
    keys = ["loss", *metrics]
    single = len(runs) == 1
    if annotate and not single:
        raise ValueError("learning_curves: annotate=True needs a single history")
    n = len(keys)
    if figsize is None:
        figsize = (4.6 * n, 3.6 + (1.5 if annotate else 0.0))
    fig = new_figure(figsize=figsize)
    if annotate:
        gs = fig.add_gridspec(2, n, height_ratios=[3.0, 1.3])
        axes = [fig.add_subplot(gs[0, j]) for j in range(n)]
        text_ax = fig.add_subplot(gs[1, :])
    else:
        axes = list(fig.subplots(1, n, squeeze=False)[0])
        text_ax = None
    for j, (key, ax) in enumerate(zip(keys, axes)):
        for r, (name, h) in enumerate(runs):
            c_train = color(0) if single else color(r)
            c_val = color(1) if single else color(r)
            prefix = "" if name is None else f"{name}: "
            x, y = _series(h, key)
            if key == "loss" and log_y:
                y = _clip_for_log(y)
            ax.plot(x, y, color=c_train, lw=1.8, label=f"{prefix}training")
            if "val_" + key in h.history:
                x, y = _series(h, "val_" + key)
                ax.plot(x, y, color=c_val, lw=1.8, ls="-" if single else "--",
                        label=f"{prefix}validation")
        if key == "loss" and chance and first.chance_loss is not None and single:
            ax.axhline(first.chance_loss, color="0.5", ls=":", lw=1.2,
                       label=_chance_label(first.chance_loss))
        if best and single and first.best_epoch is not None:
            ax.axvline(first.best_epoch, color="0.3", ls="--", lw=1.0,
                       label=f"best epoch ({first.best_epoch})" if j == 0 else None)
        if key == "loss" and log_y:
            ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        ax.set_title(_PANEL_TITLES.get(key, key))
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    if text_ax is not None:
        text_ax.axis("off")
        lines = [f"{f.question} {f.answer}: {f.detail}." for f in diagnose(first)]
        text_ax.text(0.0, 1.0, "\n".join(lines), va="top", ha="left", fontsize="small",
                     wrap=True, transform=text_ax.transAxes)
    if title:
        fig.suptitle(title)
    return fig

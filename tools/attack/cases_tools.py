"""Probe cases for the course's tools: train.fit and callbacks, experiment, viz, widgets,
and the exercise checker with hostile answers."""
from __future__ import annotations

import math
import sys
import time

import numpy as np

import nnlearn
import nnlearn.nn as nn
from nnlearn import Tensor, losses, optim
from probe import Silent, case, raises, same, to_np

from nnlearn.train import fit, evaluate, predict  # noqa: E402
from nnlearn.train import callbacks as cb  # noqa: E402
from nnlearn.train.loop import TrainingDiverged  # noqa: E402

_rng = np.random.default_rng(0)
X = _rng.standard_normal((40, 3))
y = (X[:, 0] > 0).astype(np.int64)


def _model(bn=False):
    nnlearn.manual_seed(0)
    layers = [nn.Linear(3, 8)] + ([nn.BatchNorm1d(8)] if bn else []) + [nn.ReLU(), nn.Linear(8, 2)]
    return nn.Sequential(*layers)


def _fit(**kw):
    m = kw.pop("model", None) or _model()
    opt = kw.pop("optimizer", None) or optim.SGD(m.parameters(), lr=0.1)
    data = kw.pop("data", (X, y))
    loss = kw.pop("loss_fn", losses.cross_entropy)
    kw.setdefault("epochs", 2)
    kw.setdefault("batch_size", 8)
    kw.setdefault("progress", False)
    return fit(m, loss, opt, data, **kw)


FIT_BAD = {
    "epochs0": dict(epochs=0),
    "epochs_neg": dict(epochs=-1),
    "epochs_float": dict(epochs=1.5),
    "epochs_none": dict(epochs=None),
    "epochs_str": dict(epochs="3"),
    "bs0": dict(batch_size=0),
    "bs_neg": dict(batch_size=-4),
    "bs_float": dict(batch_size=2.5),
    "mismatch": dict(data=(X, y[:10])),
    "nan_X": dict(data=(np.where(np.arange(40)[:, None] == 3, np.nan, X), y)),
    "empty": dict(data=(X[:0], y[:0])),
    "labels_oob": dict(data=(X, y + 5)),
    "labels_float": dict(data=(X, y + 0.5)),
    "X_str": dict(data=(np.array([["a"] * 3] * 40), y)),
    "X_list_ragged": dict(data=([[1.0, 2.0, 3.0], [1.0]], [0, 1])),
    "X_generator": dict(data=((r for r in X), y)),
    "data_none": dict(data=None),
    "data_triple": dict(data=(X, y, y)),
    "val_mismatch": dict(val_data=(X, y[:3])),
    "val_wrong_features": dict(val_data=(np.ones((5, 4)), y[:5])),
    "model_wrong_features": dict(data=(np.ones((40, 4)), y)),
    "loss_not_callable": dict(loss_fn="cross_entropy"),
    "loss_returns_float": dict(loss_fn=lambda o, t: 1.0),
    "loss_returns_vector": dict(loss_fn=lambda o, t: losses.cross_entropy(o, t, reduction="none")),
    "loss_returns_none": dict(loss_fn=lambda o, t: None),
    "loss_nan": dict(loss_fn=lambda o, t: losses.cross_entropy(o, t) * float("nan")),
    "optimizer_none": dict(optimizer="sgd"),
    "optimizer_other_model": dict(optimizer=optim.SGD(nn.Linear(3, 2).parameters(), lr=0.1)),
    "metrics_bad": dict(metrics=["accurcy"]),
    "metrics_str": dict(metrics="accuracy,mse"),
    "on_div_bad": dict(on_divergence="ignore"),
    "clip_neg": dict(clip_grad_norm=-1.0),
    "clip_nan": dict(clip_grad_norm=float("nan")),
    "callbacks_not_cb": dict(callbacks=[3]),

    "scheduler_bad": dict(scheduler="cosine"),
    "early_bad": dict(early_stopping="yes"),
    "seed_str": dict(seed="s"),
    "model_not_module": dict(model=lambda x: x, optimizer=optim.SGD(nn.Linear(3, 2).parameters(), lr=0.1)),
    "dl_zero_batches": dict(data=nnlearn.data.DataLoader(X, y, batch_size=64, drop_last=True), batch_size=None),
    "dl_plus_bs": dict(data=nnlearn.data.DataLoader(X, y, batch_size=8), batch_size=16),
}
for fn_, kw in FIT_BAD.items():
    case(f"fit.{fn_}", "train", (lambda kw=kw: _fit(**dict(kw))), "error")

case("fit.ok", "train", lambda: _fit(), "ok", check=lambda h: len(h["loss"]) == 2)
case("fit.epochs0_ok_or_error", "train", lambda: len(_fit(epochs=0)["loss"]), "either")


class _RaiseAt(cb.Callback):
    def __init__(self, epoch, exc, hook="on_epoch_end"):
        self.epoch, self.exc = epoch, exc
        setattr(self, hook, self._hook)

    def _hook(self, state):
        if state.epoch >= self.epoch:
            raise self.exc


def _interrupted(exc, hook="on_epoch_end", early=False):
    def fn():
        m = _model()
        kw = dict(epochs=5, callbacks=[_RaiseAt(2, exc, hook)], model=m,
                  val_data=(X[:10], y[:10]))
        if early:
            kw["early_stopping"] = cb.EarlyStopping(patience=10)
        try:
            _fit(**kw)
        except BaseException as e:  # noqa: BLE001
            h = getattr(e, "history", None)
            if h is None:
                raise Silent(f"{type(e).__name__} propagated without the History of the finished epochs")
            done = 2 if hook == "on_epoch_end" else 1  # epochs count from 1; raised in epoch 2
            if len(h["loss"]) < done:
                raise Silent(f"History has {len(h['loss'])} epochs, expected at least {done}")
            if early:
                best = getattr(h, "best_epoch", None)
                if best is None:
                    raise Silent("History.best_epoch not set after an interrupted run with early stopping")
                best = best - 1
                # the best weights must be back: val loss now equals the best one
                v = evaluate(m, losses.cross_entropy, (X[:10], y[:10]))["loss"]
                if not math.isclose(v, h["val_loss"][best], rel_tol=1e-9, abs_tol=1e-12):
                    raise Silent(f"early stopping's best weights not restored after {type(e).__name__}: "
                                 f"val loss {v} vs best {h['val_loss'][best]}")
            if isinstance(e, KeyboardInterrupt):
                raise RuntimeError(f"KeyboardInterrupt re-raised with .history ({len(h['loss'])} epochs)")
            raise
        raise Silent("no exception")
    return fn


for hook in ("on_epoch_end", "on_batch_end", "on_epoch_begin", "on_after_backward", "on_batch_begin"):
    for en, exc in (("kbi", KeyboardInterrupt()), ("valueerror", ValueError("callback broke"))):
        for early in (False, True):
            case(f"fit.interrupt.{hook}.{en}{'.early' if early else ''}", "train",
                 _interrupted(exc, hook, early), "error")


def _train_end_raises():
    class C(cb.Callback):
        def on_train_end(self, state):
            raise ValueError("end hook broke")
    return _fit(callbacks=[C()])


case("fit.on_train_end_raises", "train", _train_end_raises, "error")


def _mode_restored():
    m = _model()
    m.eval()
    try:
        _fit(model=m, callbacks=[_RaiseAt(1, ValueError("x"))])
    except ValueError:
        pass
    return m.training


case("fit.mode_restored_after_error", "train", _mode_restored, "ok", check=lambda r: r is False)


def _guard_bn():
    Xn = X.copy()
    Xn[5, 1] = np.nan
    m = _model(bn=True)
    opt = optim.Adam(m.parameters(), lr=0.01)
    try:
        _fit(model=m, optimizer=opt, data=(Xn, y), shuffle=False, epochs=1)
    except TrainingDiverged:
        pass
    out = predict(m, X[:4])
    if not np.isfinite(out).all():
        raise Silent("after the NaN guard fired, predictions are non-finite")
    h = _fit(model=m, optimizer=opt, epochs=1)
    return h["loss"]


case("fit.guard_restores_bn_and_optimizer", "train", _guard_bn, "ok",
     check=lambda r: bool(np.isfinite(r).all()))


def _guard_stop_then_continue():
    m = _model()
    opt = optim.Adam(m.parameters(), lr=0.01)

    class Poison(cb.Callback):
        def on_after_backward(self, state):
            if state.epoch == 1 and getattr(state, "batch", 0) == 1:
                for p in m.parameters():
                    if p.grad is not None:
                        p.grad = p.grad * float("inf")
    h = _fit(model=m, optimizer=opt, epochs=3, callbacks=[Poison()], on_divergence="stop")
    h2 = _fit(model=m, optimizer=opt, epochs=2)
    if not np.isfinite(h2["loss"]).all():
        raise Silent(f"fit after a stopped divergence gives {h2['loss']}")
    return h2["loss"]


case("fit.guard_stop_then_continue", "train", _guard_stop_then_continue, "ok",
     check=lambda r: bool(np.isfinite(r).all()))

EV = {
    "evaluate_empty": lambda: evaluate(_model(), losses.cross_entropy, (X[:0], y[:0])),
    "evaluate_bs0": lambda: evaluate(_model(), losses.cross_entropy, (X, y), batch_size=0),
    "evaluate_mismatch": lambda: evaluate(_model(), losses.cross_entropy, (X, y[:3])),
    "predict_bs0": lambda: predict(_model(), X, batch_size=0),

    "predict_str": lambda: predict(_model(), "abc"),
    "predict_wrong_features": lambda: predict(_model(), np.ones((3, 5))),
    "clip_grad_neg": lambda: nnlearn.train.clip_grad_norm_(_model().parameters(), -1.0),
    "clip_grad_nan": lambda: nnlearn.train.clip_grad_norm_(_model().parameters(), float("nan")),
    "early_patience_neg": lambda: cb.EarlyStopping(patience=-1),
    "early_mode_bad": lambda: cb.EarlyStopping(mode="biggest"),
    "early_monitor_missing": lambda: _fit(early_stopping=cb.EarlyStopping(monitor="val_acc")),
    "history_missing_key": lambda: _fit()["val_loss"],

    "accuracy_shape": lambda: nnlearn.train.metrics.accuracy(np.ones((3, 2)), np.ones(4)),
    "accuracy_empty": lambda: nnlearn.train.metrics.accuracy(np.ones((0, 2)), np.ones(0)),
    "std_split_bad": lambda: nnlearn.train.standardized_split(X, y, val_size=1.5),
    "batch_dependency_bad_index": lambda: __import__("nnlearn.train.checks").train.checks.batch_dependency(
        _model(), X, index=99),
    "layer_stats_str": lambda: nnlearn.train.layer_statistics(_model(), "X"),
    "grad_norm_rec_no_linear": lambda: _fit(model=nn.Sequential(nn.ReLU()), callbacks=[cb.GradientNormRecorder()]),
}
for en, fn in EV.items():
    case(f"train.{en}", "train", fn, "error")

# ============================================================== experiment
from nnlearn import experiment as ex  # noqa: E402


def _rs(fn, seeds=(0, 1, 2), **kw):
    return lambda: ex.run_seeds(fn, seeds=seeds, n_jobs=1, **kw)


def _raise_at(k, exc):
    def f(s):
        if s == k:
            raise exc
        return {"val_loss": 0.5 + 0.01 * s}
    return f


def _keep_partial(exc):
    def fn():
        try:
            ex.run_seeds(_raise_at(2, exc), seeds=[0, 1, 2, 3], n_jobs=1)
        except BaseException as e:  # noqa: BLE001
            r = getattr(e, "results", None)
            if r is None or list(r.seeds) != [0, 1]:
                raise Silent(f"{type(e).__name__}: the finished seeds are lost (results={r!r})")
            if isinstance(e, KeyboardInterrupt):
                raise RuntimeError("KeyboardInterrupt re-raised with .results") from None
            raise
        raise Silent("no exception")
    return fn


case("experiment.run_seeds.kbi_keeps_results", "experiment", _keep_partial(KeyboardInterrupt()), "error")
case("experiment.run_seeds.error_keeps_results", "experiment", _keep_partial(ValueError("seed broke")), "error")

RS = {
    "returns_none": _rs(lambda s: None),
    "returns_float": _rs(lambda s: 0.5),
    "returns_str_metric": _rs(lambda s: {"val_loss": "0.5"}),
    "returns_list_metric": _rs(lambda s: {"val_loss": [0.5, 0.4]}),
    "metric_keys_differ": _rs(lambda s: {"val_loss": 0.5} if s == 0 else {"loss": 0.5}),
    "seeds_empty": _rs(lambda s: {"val_loss": 0.5}, seeds=()),
    "seeds_str": _rs(lambda s: {"val_loss": 0.5}, seeds="abc"),
    "seeds_dup": _rs(lambda s: {"val_loss": 0.5}, seeds=(1, 1)),
    "seeds_float": _rs(lambda s: {"val_loss": 0.5}, seeds=(1.5,)),
    "not_callable": _rs("train"),
    "returns_empty_dict": _rs(lambda s: {}),

    "returns_complex": _rs(lambda s: {"val_loss": 1j}),
}
for rn, fn in RS.items():
    case(f"experiment.run_seeds.{rn}", "experiment", fn, "error")

case("experiment.run_seeds.nan_seed_warns", "experiment",
     lambda: ex.run_seeds(lambda s: {"val_loss": float("nan") if s == 1 else 0.5}, seeds=[0, 1, 2],
                          n_jobs=1).diverged("val_loss"), "ok", check=lambda r: list(r) == [1])
case("experiment.run_seeds.tensor_metric", "experiment",
     lambda: ex.run_seeds(lambda s: {"val_loss": Tensor(0.5)}, seeds=[0, 1], n_jobs=1).mean("val_loss"),
     "either", check=lambda r: r == 0.5)


def _sr(vals, name="A"):
    return ex.SeedResults(list(range(len(vals))), {"val_loss": list(vals)}, name=name)


def _verdict_ok(c, expect_sig):
    s = str(getattr(c, "verdict", "")) + repr(c)
    sig = getattr(c, "significant", None)
    if expect_sig is False and sig:
        return f"called significant: {s[:200]}"
    if "nan" in s.lower() and "diverged" not in s.lower():
        return f"verdict mentions nan without saying diverged: {s[:200]}"
    return True


CMP = {
    "nan_seed_b": (lambda: ex.compare(_sr([.5, .52, .51]), _sr([.49, float("nan"), .50], "B"), "val_loss"), False),
    "inf_seed_a": (lambda: ex.compare(_sr([.5, float("inf"), .51]), _sr([.49, .48, .50], "B"), "val_loss"), False),
    "all_nan": (lambda: ex.compare(_sr([float("nan")] * 3), _sr([float("nan")] * 3, "B"), "val_loss"), False),
    "one_seed": (lambda: ex.compare(_sr([.5]), _sr([.4], "B"), "val_loss"), False),
    "zero_spread_equal": (lambda: ex.compare(_sr([.5, .5, .5]), _sr([.5, .5, .5], "B"), "val_loss"), False),
    "zero_spread_diff": (lambda: ex.compare(_sr([.5, .5, .5]), _sr([.4, .4, .4], "B"), "val_loss"), None),
}
for cn, (fn, sig) in CMP.items():
    case(f"experiment.compare.{cn}", "experiment", fn, "either",
         check=(lambda c, sig=sig: _verdict_ok(c, sig)))

CMP_BAD = {
    "metric_missing": lambda: ex.compare(_sr([.5, .6]), _sr([.4, .5], "B"), "accuracy"),
    "not_results": lambda: ex.compare({"val_loss": [1.0]}, _sr([.4, .5]), "val_loss"),
    "level_bad": lambda: ex.compare(_sr([.5, .6, .55]), _sr([.4, .5, .45], "B"), "val_loss", level=1.5),
    "paired_mismatch": lambda: ex.compare(_sr([.5, .6, .55]), _sr([.4, .5], "B"), "val_loss", paired=True),
    "welch_empty": lambda: ex.welch([], [1.0, 2.0]),

    "paired_len": lambda: ex.paired([1.0, 2.0], [1.0]),
    "bootstrap_resamples0": lambda: ex.bootstrap_difference([1.0, 2.0], [1.0, 3.0], resamples=0),
    "binomial_bad": lambda: ex.binomial_se(1.5, 10),
    "binomial_n0": lambda: ex.binomial_se(0.5, 0),

    "sign_test_str": lambda: ex.sign_test("abc"),
    "seedresults_len": lambda: ex.SeedResults([0, 1], {"val_loss": [0.5]}),
    "parallel_map_bad": lambda: ex.parallel_map(lambda a: 1 / 0, [1, 2], n_jobs=1),
}
for cn, fn in CMP_BAD.items():
    case(f"experiment.{cn}", "experiment", fn, "error")

# ============================================================== viz and widgets
import matplotlib  # noqa: E402

matplotlib.use("Agg")
from nnlearn import viz, widgets  # noqa: E402
from nnlearn.train import History  # noqa: E402


def _hist(vals, key="loss"):
    h = History()
    for i, v in enumerate(vals):
        h.append(i, {key: v})
    return h


VIZ = {
    "curves_empty": (lambda: viz.learning_curves(History()), "either"),
    "curves_nan": (lambda: viz.learning_curves(_hist([1.0, float("nan"), float("inf")])), "either"),
    "curves_dict": (lambda: viz.learning_curves({"loss": [1.0, 0.5]}), "either"),
    "curves_str": (lambda: viz.learning_curves("history"), "error"),
    "curves_bad_metric": (lambda: viz.learning_curves(_hist([1.0, 0.5]), metrics=["acc"]), "error"),
    "diagnose_empty": (lambda: viz.diagnose(History()), "either"),
    "diagnose_nan": (lambda: viz.diagnose(_hist([float("nan")] * 3)), "either"),
    "diagnose_tol_neg": (lambda: viz.diagnose(_hist([1.0, 0.5]), tol=-1), "either"),
    "boundary_3d": (lambda: viz.decision_boundary(_model(), np.ones((5, 3)), np.zeros(5, int)), "either"),
    "boundary_empty": (lambda: viz.decision_boundary(nn.Linear(2, 2), np.ones((0, 2)), np.zeros(0, int)), "error"),
    "boundary_res0": (lambda: viz.decision_boundary(nn.Linear(2, 2), np.ones((5, 2)), np.zeros(5, int),
                                                    resolution=0), "error"),
    "boundary_nan_X": (lambda: viz.decision_boundary(nn.Linear(2, 2), np.full((5, 2), np.nan),
                                                     np.zeros(5, int)), "error"),
    "regression_fit_2d": (lambda: viz.regression_fit(nn.Linear(1, 1), np.ones((5, 2)), np.ones(5)), "error"),
    "confusion_neg": (lambda: viz.confusion_counts(np.array([-1, 0]), np.array([0, 0])), "error"),
    "confusion_mismatch": (lambda: viz.confusion_counts(np.array([1, 0]), np.array([0])), "error"),
    "confusion_float": (lambda: viz.confusion_counts(np.array([0.5, 1.0]), np.array([0, 1])), "error"),
    "confusion_empty": (lambda: viz.confusion_counts(np.array([], int), np.array([], int)), "either"),
    "confusion_nc_small": (lambda: viz.confusion_counts(np.array([3]), np.array([0]), num_classes=2), "error"),
    "hist_lines_empty": (lambda: viz.histogram_lines([]), "either"),
    "hist_lines_nan": (lambda: viz.histogram_lines([np.array([np.nan, 1.0])]), "either"),
    "hist_lines_bins0": (lambda: viz.histogram_lines([np.ones(3)], bins=0), "error"),
    "gradient_norms_empty": (lambda: viz.gradient_norms({}), "either"),
    "gradient_norms_str": (lambda: viz.gradient_norms("abc"), "error"),
    "loss_surface_bad": (lambda: viz.loss_surface("surface"), "error"),
    "optimizer_path_bad_opt": (lambda: viz.optimizer_path(lambda p: p, (1.0, 1.0), optimizer="Nadam"), "error"),
    "optimizer_path_steps_neg": (lambda: viz.optimizer_path(lambda p: p, (1.0, 1.0), steps=-1), "error"),
    "optimizer_path_nan_grad": (lambda: viz.optimizer_path(lambda p: p * np.nan, (1.0, 1.0), steps=3), "either"),
    "optimizer_path_bad_hparam": (lambda: viz.optimizer_path(lambda p: p, (1.0, 1.0), lr=-1), "error"),
    "optimizer_path_grad_shape": (lambda: viz.optimizer_path(lambda p: np.ones(3), (1.0, 1.0), steps=3), "error"),
}
for vn, (fn, exp) in VIZ.items():
    case(f"viz.{vn}", "viz", fn, exp)

WID = {
    "deep_mlp_neg": lambda: widgets.deep_mlp(-1, 4, 2, 2),
    "deep_mlp_width0": lambda: widgets.deep_mlp(2, 0, 2, 2),
    "deep_mlp_act": lambda: widgets.deep_mlp(2, 4, 2, 2, activation="gelu"),
    "deep_mlp_init": lambda: widgets.deep_mlp(2, 4, 2, 2, init="orthogonal"),
    "deep_mlp_scale_nan": lambda: widgets.deep_mlp(2, 4, 2, 2, scale=float("nan")),
    "deep_mlp_str_depth": lambda: widgets.deep_mlp("2", 4, 2, 2),
    "opt_widget_bad": lambda: widgets.optimizer_widget(optimizer="Nadam"),
    "opt_widget_steps_neg": lambda: widgets.optimizer_widget(steps=-5),
    "opt_widget_lr_neg": lambda: widgets.optimizer_widget(lr=-1.0),
    "opt_widget_start_bad": lambda: widgets.optimizer_widget(start=(1.0,)),
    "init_widget_act": lambda: widgets.initialization_widget(activation="gelu"),
    "init_widget_init": lambda: widgets.initialization_widget(init="orthogonal"),
    "init_widget_depth0": lambda: widgets.initialization_widget(depth=0),
    "init_widget_width_neg": lambda: widgets.initialization_widget(width=-1),
    "reg_widget_dropout": lambda: widgets.regularization_widget(dropout=1.5),
    "reg_widget_wd_neg": lambda: widgets.regularization_widget(weight_decay=-1.0),
    "reg_widget_n0": lambda: widgets.regularization_widget(n=0),
    "reg_widget_steps_neg": lambda: widgets.regularization_widget(steps=-1),
}
for wn, fn in WID.items():
    case(f"widgets.{wn}", "widgets", fn, "error", timeout=40)

# ============================================================== exercise checker
from nnlearn import exercises  # noqa: E402
from nnlearn.exercises import check, get_exercise  # noqa: E402

KINDS = {"number": "1.1", "array": "0.2", "function": "0.3", "choice": "0.4", "table": "3.1"}
KINDS2 = {"number": "2.6", "array": "4.1", "function": "2.2", "choice": "4.5", "table": "7.6"}


class _Raiser:
    def __init__(self, method, exc=RuntimeError):
        self.method, self.exc = method, exc

    def __getattribute__(self, name):
        if name in ("method", "exc", "__class__", "__dict__"):
            return object.__getattribute__(self, name)
        return object.__getattribute__(self, name)


def _hostile_cls(methods, exc=RuntimeError("hostile"), hang=False):
    def bad(*a, **k):
        if hang:
            while True:
                pass
        raise exc
    ns = {m: bad for m in methods}
    return type("Hostile", (), ns)()


_globals_probe = {"x": 1}


def _mutating_fn(*a, **k):
    import builtins
    builtins.print = lambda *a, **k: None  # hostile: break print
    nnlearn.exercises.check = None
    return 0.0


def _exit_fn(*a, **k):
    raise SystemExit(3)


def _kbi_fn(*a, **k):
    raise KeyboardInterrupt


def _loop_fn(*a, **k):
    while True:
        pass


def _sleep_fn(*a, **k):
    time.sleep(10_000)


def _gen_fn(*a, **k):
    yield 1.0


def _recursive_fn(*a, **k):
    return _recursive_fn(*a, **k)


def _returns_hostile(*a, **k):
    return _hostile_cls(["__float__", "__array__", "__len__", "__iter__", "__eq__", "__bool__"])


def _mutates_input(x, *a, **k):
    try:
        x[...] = 0
    except Exception:
        pass
    return x


_recl = [1.0]
_recl.append(_recl)
_recd = {}
_recd["a"] = _recd

HOSTILE = {
    "hugeint": lambda: 10 ** 400,
    "neg_hugeint": lambda: -(10 ** 400),
    "hugeint_list": lambda: [10 ** 400, 1],
    "float_raises": lambda: _hostile_cls(["__float__"]),
    "eq_raises": lambda: _hostile_cls(["__eq__", "__ne__"]),
    "len_raises": lambda: _hostile_cls(["__len__", "__iter__"]),
    "array_raises": lambda: _hostile_cls(["__array__"]),
    "repr_raises": lambda: _hostile_cls(["__repr__", "__str__", "__format__"]),
    "bool_raises": lambda: _hostile_cls(["__bool__"]),
    "hash_raises": lambda: _hostile_cls(["__hash__"]),
    "index_raises": lambda: _hostile_cls(["__index__", "__int__", "__float__"]),
    "all_raise": lambda: _hostile_cls(["__float__", "__eq__", "__len__", "__iter__", "__array__",
                                       "__repr__", "__str__", "__bool__", "__getitem__", "__hash__",
                                       "__int__", "__index__", "__format__"]),
    "float_exits": lambda: _hostile_cls(["__float__", "__array__", "__len__", "__iter__"], SystemExit(2)),
    "float_hangs": lambda: _hostile_cls(["__float__"], hang=True),
    "eq_hangs": lambda: _hostile_cls(["__eq__"], hang=True),
    "repr_hangs": lambda: _hostile_cls(["__repr__", "__str__"], hang=True),
    "len_hangs": lambda: _hostile_cls(["__len__", "__iter__"], hang=True),
    "generator": lambda: (i for i in range(3)),
    "infinite_gen": lambda: __import__("itertools").count(),
    "recursive_list": lambda: _recl,
    "recursive_dict": lambda: _recd,
    "fn_loops": lambda: _loop_fn,
    "fn_sleeps": lambda: _sleep_fn,
    "fn_exits": lambda: _exit_fn,
    "fn_mutates_globals": lambda: _mutating_fn,
    "fn_generator": lambda: _gen_fn,
    "fn_recursion": lambda: _recursive_fn,
    "fn_returns_hostile": lambda: _returns_hostile,
    "fn_mutates_input": lambda: _mutates_input,
    "class_obj": lambda: int,
    "module_obj": lambda: np,
    "none": lambda: None,
    "ellipsis": lambda: ...,
    "nan": lambda: float("nan"),
    "inf": lambda: float("inf"),
    "complex": lambda: 1 + 2j,
    "bytes": lambda: b"6",
    "bytearray": lambda: bytearray(b"b"),
    "long_str": lambda: "x" * 10_000_000,
    "unicode": lambda: "\u202e\x00\ud800",
    "str_array": lambda: np.array(["6"]),
    "str_0d": lambda: np.array("b"),
    "obj_array": lambda: np.array([None, 1], dtype=object),
    "dict_huge_key": lambda: {"k" * 100_000: 1.0},
    "dict_none_keys": lambda: {None: 1.0},
    "set": lambda: {1.0, 2.0},
    "torch_rg": lambda: __import__("torch").ones(2, requires_grad=True),
    "tensor_rg": lambda: Tensor([1.0, 2.0], requires_grad=True),
    "value": lambda: nnlearn.autodiff.Value(1.0),
    "huge_array": lambda: np.zeros(30_000_000),
    "deep_nesting": lambda: __import__("functools").reduce(lambda a, _: [a], range(5000), 1.0),
    "masked": lambda: np.ma.masked_array([1.0], mask=[1]),
    "decimal": lambda: __import__("decimal").Decimal("NaN"),
    "fraction": lambda: __import__("fractions").Fraction(10 ** 400, 3),
    "exception_obj": lambda: ValueError("x"),
    "np_bool": lambda: np.bool_(True),
}


EQUIVALENT = {"bytes", "bytearray", "str_array", "str_0d", "np_bool"}  # encodings of a plain answer


def _check_clean(eid, make, hn=""):
    def fn():
        import builtins
        ans = make()
        real_print = builtins.print
        t0 = time.time()
        r = check(eid, ans)
        dt = time.time() - t0
        builtins.print = real_print
        status = getattr(r, "status", None)
        msg = getattr(r, "message", "")
        if status not in ("correct", "incorrect", "pending", "invalid"):
            raise Silent(f"check returned {r!r}")
        if len(msg) > 2000 or "\n" in msg.strip():
            raise Silent(f"message is not one short line ({len(msg)} chars)")
        if dt > 30:
            raise Silent(f"check took {dt:.0f} s")
        if status == "correct" and hn not in EQUIVALENT:
            raise Silent(f"hostile answer graded correct: {msg[:200]}")
        return status
    return fn


for hn, make in HOSTILE.items():
    for kind, eid in KINDS.items():
        case(f"check.{kind}.{hn}", "exercises", _check_clean(eid, make, hn), "ok",
             check=lambda s: True, timeout=40)

# a second exercise of each kind with a smaller hostile set
for hn in ("hugeint", "all_raise", "float_hangs", "generator", "recursive_list", "fn_loops", "fn_exits",
           "nan", "str_array", "long_str", "dict_huge_key", "tensor_rg", "obj_array", "deep_nesting"):
    for kind, eid in KINDS2.items():
        case(f"check2.{kind}.{hn}", "exercises", _check_clean(eid, HOSTILE[hn], hn), "ok",
             check=lambda s: True, timeout=40)


# equivalent encodings of the right answer grade the same as the plain one
def _equiv(eid, transform):
    def fn():
        ref = get_exercise(eid).reference
        if callable(ref) and not isinstance(ref, dict):
            try:
                ref = ref()
            except TypeError:
                ref = None
        if ref is None:
            return "skip"
        plain = check(eid, ref).status
        other = check(eid, transform(ref)).status
        if plain != other:
            raise Silent(f"the plain answer is {plain}, the {transform.__name__} one {other}")
        return other
    return fn


def as_0d(r):
    return np.array(r) if np.ndim(r) == 0 and not isinstance(r, str) else np.asarray(r)


def as_np_float(r):
    return np.float64(r) if isinstance(r, (int, float)) else r


def as_f32(r):
    return np.float32(r) if isinstance(r, (int, float)) else (np.asarray(r, np.float32) if isinstance(r, np.ndarray) else r)


def as_list(r):
    return np.asarray(r).tolist() if isinstance(r, np.ndarray) else r


def as_tensor(r):
    return Tensor(r) if isinstance(r, (int, float, np.ndarray)) and not isinstance(r, bool) else r


def as_torch(r):
    import torch
    return torch.as_tensor(r) if isinstance(r, (int, float, np.ndarray)) and not isinstance(r, bool) else r


def as_upper(r):
    return r.upper() if isinstance(r, str) else r


def as_spaced(r):
    return f"  {r} " if isinstance(r, str) else r


def as_int_if_integral(r):
    return int(r) if isinstance(r, float) and r.is_integer() else r


def as_tuple(r):
    return tuple(np.asarray(r).tolist()) if isinstance(r, np.ndarray) and r.ndim == 1 else r


def as_values_np(r):
    return {k: (np.float64(v) if isinstance(v, float) else v) for k, v in r.items()} if isinstance(r, dict) else r


for eid in ("1.1", "1.2", "2.6", "0.4", "1.3", "4.5", "3.1", "7.6", "0.2", "4.1", "6.6", "8.1"):
    for tr in (as_0d, as_np_float, as_f32, as_list, as_tensor, as_torch, as_upper, as_spaced,
               as_int_if_integral, as_tuple, as_values_np):
        case(f"check.equiv.{eid}.{tr.__name__}", "exercises", _equiv(eid, tr), "ok", timeout=40)

BAD_IDS = {
    "id_none": lambda: check(None, 1.0),
    "id_float": lambda: check(1.1, 36.0),
    "id_missing": lambda: check("99.9", 1.0),
    "id_empty": lambda: check("", 1.0),
    "id_list": lambda: check(["1.1"], 1.0),
}
for bn, fn in BAD_IDS.items():
    case(f"check.{bn}", "exercises", fn, "either" if bn == "id_float" else "error")

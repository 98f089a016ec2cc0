"""Regression tests for the defects found by the reliability probe (tools/attack/probe.py).

Each test names the probe case(s) it covers; each fails on the code before the fix.
The expected values come from PyTorch where PyTorch has the operation.
"""
import math
import threading
import time

import numpy as np
import pytest
import torch

import nnlearn
import nnlearn.nn as nn
from nnlearn import Tensor, optim


# ---------------------------------------------------------------- creation
@pytest.mark.parametrize("make", [
    lambda m: m.zeros(2, -1), lambda m: m.randn(-1), lambda m: m.full((-2,), 1.0),
    lambda m: m.eye(-1), lambda m: m.randperm(-1),
])
def test_negative_sizes_raise_like_torch(make):  # create.zeros.neg, create.randperm_neg
    with pytest.raises(RuntimeError):
        make(torch)
    with pytest.raises(ValueError, match=r"negative dimension -\d|must be >= 0"):  # not numpy's words
        make(nnlearn)


@pytest.mark.parametrize("args", [(0, 10, 0), (10, 0), (0, float("inf")), (0, float("nan"))])
def test_arange_refuses_what_torch_refuses(args):  # create.arange_*
    with pytest.raises(RuntimeError):
        torch.arange(*args)
    with pytest.raises(ValueError, match="arange: (step must be nonzero|upper bound|end must be finite)"):
        nnlearn.arange(*args)


def test_arange_valid_ranges_match_torch():
    for args in [(5,), (10, 0, -3), (0, 1, 0.25), (2, 7)]:
        np.testing.assert_array_equal(nnlearn.arange(*args).numpy(), torch.arange(*args).numpy())
    assert nnlearn.arange(nnlearn.tensor(3)).dtype == nnlearn.int64


def test_random_floats_in_integer_dtype_raise():  # create.randn.dtype_int, create.rand_like_int
    with pytest.raises(NotImplementedError):
        torch.randn(2, dtype=torch.int64)
    with pytest.raises(TypeError, match="floating-point dtype"):
        nnlearn.randn(2, dtype=nnlearn.int64)
    with pytest.raises(TypeError, match="floating-point dtype"):
        nnlearn.rand_like(nnlearn.tensor([1, 2]))


def test_normal_std_must_be_non_negative():  # create.normal_nanstd, create.normal_negstd
    for std in (-1.0, float("nan")):
        with pytest.raises(RuntimeError):
            torch.normal(0.0, std, size=(2,))
        with pytest.raises(ValueError, match="std >= 0"):
            nnlearn.normal(0.0, std, size=(2,))


def test_randint_low_high_checked():  # create.randint_bad, create.randint_eq, create.randint_float
    with pytest.raises(ValueError, match="low must be smaller than high"):
        nnlearn.randint(5, 1, (3,))
    with pytest.raises(TypeError, match="high must be an int"):
        nnlearn.randint(0, 2.5, (3,))
    assert nnlearn.randint(0, 2, (4,)).shape == (4,)


@pytest.mark.parametrize("data,dtype", [([float("nan")], "int64"), ([300], "int8"), ([float("inf")], "int32")])
def test_tensor_integer_cast_never_wraps(data, dtype):  # create.tensor_nan_to_int, create.tensor_big_to_int8
    with pytest.raises(RuntimeError, match="overflow"):
        torch.tensor(data, dtype=getattr(torch, dtype))
    with pytest.raises(ValueError, match="without overflow"):
        nnlearn.tensor(data, dtype=getattr(nnlearn, dtype))


def test_tensor_integer_cast_truncates_like_torch():
    np.testing.assert_array_equal(nnlearn.tensor([1.7, -1.7], dtype=nnlearn.int64).numpy(),
                                  torch.tensor([1.7, -1.7], dtype=torch.int64).numpy())


def test_ragged_list_message_names_the_problem():  # create.Tensor.ragged
    with pytest.raises(ValueError, match="different lengths"):
        nnlearn.tensor([[1.0, 2.0], [3.0]])


# ---------------------------------------------------------------- tensor ops
@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_divide_by_python_zero_is_inf_as_in_torch(backend):  # ops.float_div0
    with nnlearn.backend.use(backend), np.errstate(divide="ignore", invalid="ignore"):
        x = nnlearn.tensor([1.0, -1.0, 0.0], requires_grad=True)
        y = x / 0.0  # before the fix: ZeroDivisionError
        y.sum().backward()
    tx = torch.tensor([1.0, -1.0, 0.0], dtype=torch.float64, requires_grad=True)
    ty = tx / 0.0
    ty.sum().backward()
    np.testing.assert_array_equal(np.asarray(y.detach().numpy()), ty.detach().numpy())
    np.testing.assert_array_equal(np.asarray(x.grad.numpy()), tx.grad.numpy())


def test_iterating_a_0d_tensor_raises():  # ops.iter_0d
    with pytest.raises(TypeError, match="0-d"):
        list(torch.tensor(1.0))
    with pytest.raises(TypeError, match="0-d"):
        list(nnlearn.tensor(1.0))
    rows = list(nnlearn.tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert [r.tolist() for r in rows] == [[1.0, 2.0], [3.0, 4.0]]


def test_reshape_refuses_invalid_negative_sizes():  # ops.reshape_neg2
    a = nnlearn.ones(2, 3)
    for shape in [(-2, 3), (-1, -1)]:
        with pytest.raises(RuntimeError):
            torch.ones(2, 3).reshape(*shape)
        with pytest.raises(ValueError, match="reshape"):
            a.reshape(*shape)
    assert a.reshape(-1, 2).shape == (3, 2)


def test_sum_with_a_repeated_dim_raises():  # ops.sum_dim_dup
    with pytest.raises(RuntimeError):
        torch.ones(2, 3).sum((0, 0))
    with pytest.raises(ValueError, match="more than once"):
        nnlearn.ones(2, 3).sum((0, 0))


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_argmax_of_empty_raises_clearly(backend):  # ops.argmax_empty
    with nnlearn.backend.use(backend):
        with pytest.raises(ValueError, match="empty"):
            nnlearn.zeros(0).argmax()
        with pytest.raises(ValueError, match="empty along dim 0"):
            nnlearn.zeros(0, 2).argmin(0)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_where_numeric_condition_same_on_both_backends(backend):  # ops.where_cond_float.torch
    with nnlearn.backend.use(backend):
        out = nnlearn.where(nnlearn.tensor([1.0, 0.0, 2.0]), nnlearn.tensor([1.0, 2.0, 3.0]), 0.0)
        assert out.tolist() == [1.0, 0.0, 3.0]
        with pytest.raises(ValueError, match="cannot be broadcast"):
            nnlearn.where(nnlearn.tensor([True, False]), nnlearn.ones(2, 3), nnlearn.ones(1))


# ---------------------------------------------------------------- optimizer state dicts
def _adam():
    p = nn.Parameter(np.array([[1.0, 2.0], [3.0, 4.0]]))
    opt = optim.Adam([p], lr=0.1)
    (p * p).sum().backward()
    opt.step()
    return p, opt


@pytest.mark.parametrize("key,value,match", [
    ("lr", "0.1", "lr"), ("lr", -1.0, "lr"), ("betas", 0.9, "betas"), ("eps", -1.0, "eps"),
])
def test_optimizer_load_state_dict_checks_hyperparameters(key, value, match):  # optim.load_state_dict.lr_*
    p, opt = _adam()
    sd = opt.state_dict()
    sd["param_groups"][0][key] = value
    before = opt.param_groups[0][key]
    with pytest.raises((TypeError, ValueError), match=match):
        opt.load_state_dict(sd)
    assert opt.param_groups[0][key] == before


def test_optimizer_load_state_dict_checks_step():  # optim.load_state_dict.step_neg
    p, opt = _adam()
    sd = opt.state_dict()
    sd["state"][0]["step"] = -5
    with pytest.raises(ValueError, match="step"):
        opt.load_state_dict(sd)
    assert opt.state_dict()["state"][0]["step"] == 1


# ---------------------------------------------------------------- exercise checker
class _LoopsInFloat:
    __array__ = None

    def __float__(self):
        while True:
            pass


def test_check_stops_an_answer_whose_float_never_returns(monkeypatch):  # check.number.float_hangs
    from nnlearn.exercises import check, core
    monkeypatch.setattr(core, "TIME_LIMIT", 0.5)
    t0 = time.time()
    r = check("1.1", _LoopsInFloat())
    assert r.status == "invalid" and "did not finish" in r.message
    assert time.time() - t0 < 10
    assert check("1.1", 36.0).status == "correct"


class _Answer:
    """An answer of the learner's own class whose __float__ never returns."""

    def __float__(self):
        while True:
            pass


def test_check_plain_answers_are_not_time_limited(monkeypatch):
    # A plain answer is never cut off, even when grading takes long (a lazy reference
    # that runs an experiment): only objects of the learner's own classes are bounded.
    from nnlearn.exercises import core
    monkeypatch.setattr(core, "TIME_LIMIT", 0.01)
    ex = core.NumberExercise(id="99.1", reference=lambda: (time.sleep(0.3), 36.0)[1])
    assert ex.evaluate(36.0).status == "correct"
    assert ex.evaluate(_Answer()).status == "invalid"


# ---------------------------------------------------------------- schedulers
def _sched():
    p = nn.Parameter(np.array([1.0]))
    opt = optim.SGD([p], lr=0.1)
    return optim.lr_scheduler.StepLR(opt, 2)


@pytest.mark.parametrize("bad,err", [(None, TypeError), ([1], TypeError), ({"foo": 1}, ValueError),
                                     ({"last_epoch": "three"}, TypeError)])
def test_scheduler_load_state_dict_checked_and_atomic(bad, err):  # sched.load_state_dict.*
    s = _sched()
    s.step()
    before = dict(s.state_dict())
    with pytest.raises(err, match="load_state_dict"):
        s.load_state_dict(bad)
    assert s.state_dict() == before


def test_scheduler_state_dict_round_trip_still_works():
    s = _sched()
    s.step()
    s.step()
    t = _sched()
    t.load_state_dict(s.state_dict())
    assert t.last_epoch == s.last_epoch and t.get_last_lr() == s.get_last_lr()


def test_multisteplr_negative_milestone_raises():  # sched.MultiStepLR.neg (differed from torch)
    p = nn.Parameter(np.array([1.0]))
    with pytest.raises(ValueError, match="milestones"):
        optim.lr_scheduler.MultiStepLR(optim.SGD([p], lr=0.1), milestones=[-1, 2])


def test_plateau_metric_must_be_a_number():  # sched.Plateau.metric_none
    p = nn.Parameter(np.array([1.0]))
    s = optim.lr_scheduler.ReduceLROnPlateau(optim.SGD([p], lr=0.1))
    with pytest.raises(TypeError, match="metrics must be a number"):
        s.step(None)
    s.step(nnlearn.tensor(0.5))  # a 0-d tensor is a number
    assert s.best == 0.5


# ---------------------------------------------------------------- experiment, metrics
def test_run_seeds_refuses_string_metrics():  # experiment.run_seeds.returns_str_metric
    from nnlearn.experiment import run_seeds
    with pytest.raises(TypeError, match="string"):
        run_seeds(lambda s: {"val_loss": "0.5"}, seeds=[0, 1], n_jobs=1)


def test_bootstrap_needs_resamples():  # experiment.bootstrap_resamples0
    from nnlearn.experiment import bootstrap_difference
    with pytest.raises(ValueError, match="resamples"):
        bootstrap_difference([1.0, 2.0], [1.0, 3.0], resamples=0)


@pytest.mark.parametrize("name", ["accuracy", "mse", "mae"])
def test_metrics_of_an_empty_batch_raise(name):  # train.accuracy_empty
    from nnlearn.train import metrics
    with pytest.raises(ValueError, match="empty batch"):
        getattr(metrics, name)(np.ones((0, 2)), np.ones(0) if name == "accuracy" else np.ones((0, 2)))
    assert metrics.accuracy([[2.0, 1.0], [0.0, 3.0]], [0, 0]) == 0.5


def test_split_that_rounds_to_an_empty_part_raises():  # data.split_tiny
    from nnlearn.data import train_val_test_split
    X, y = np.ones((2, 2)), np.array([0, 1])
    with pytest.raises(ValueError, match="rounds to 0 samples"):
        train_val_test_split(X, y)
    s = train_val_test_split(np.ones((10, 2)), np.arange(10) % 2, val_size=0.2, test_size=0.2)
    assert [len(part[0]) for part in s] == [6, 2, 2]


# ---------------------------------------------------------------- viz and widgets
def test_viz_refuses_bad_arguments():  # viz.* probe cases
    import matplotlib
    matplotlib.use("Agg")
    from nnlearn import viz
    from nnlearn.train import History
    h = History()
    h.append(1, {"loss": 1.0})
    with pytest.raises(KeyError, match="no metric 'acc'"):
        viz.learning_curves(h, metrics=["acc"])
    with pytest.raises(ValueError, match="steps"):
        viz.optimizer_path(lambda p: p, (1.0, 1.0), steps=-1)
    with pytest.raises(ValueError, match="num_classes=2"):
        viz.confusion_counts(np.array([3]), np.array([0]), num_classes=2)
    with pytest.raises(ValueError, match="no rows"):
        viz.decision_boundary(nn.Linear(2, 2), np.ones((0, 2)), np.zeros(0, int))
    with pytest.raises(ValueError, match="resolution"):
        viz.decision_boundary(nn.Linear(2, 2), np.ones((5, 2)), np.zeros(5, int), resolution=0)
    with pytest.raises(ValueError, match="NaN"):
        viz.decision_boundary(nn.Linear(2, 2), np.full((5, 2), np.nan), np.zeros(5, int))
    with pytest.raises(ValueError, match="bins"):
        viz.histogram_lines([np.ones(3)], bins=0)
    centres, fr = viz.histogram_lines([np.array([0.0, 1.0, np.nan])], bins=2)
    np.testing.assert_allclose(centres, [0.25, 0.75])
    np.testing.assert_allclose(fr[0], [1 / 3, 1 / 3])


def test_widgets_refuse_bad_arguments():  # widgets.* probe cases
    from nnlearn import widgets
    with pytest.raises(ValueError, match="start"):
        widgets.optimizer_widget(start=(1.0,))
    with pytest.raises(ValueError, match="width"):
        widgets.initialization_widget(width=-1)
    with pytest.raises(ValueError, match="steps"):
        widgets.regularization_widget(steps=-1)


# ---------------------------------------------------------------- nn, functional, save, data, backend
def test_functional_argument_checks():  # functional.linear_bias_shape, softmax_dim, softplus_beta0
    import nnlearn.nn.functional as F
    with pytest.raises(ValueError, match="bias of shape"):
        F.linear(nnlearn.ones(2, 3), nnlearn.ones(4, 3), nnlearn.ones(5))
    with pytest.raises(IndexError):
        torch.nn.functional.softmax(torch.ones(2, 3), dim=4)
    with pytest.raises(IndexError, match="out of range"):
        F.softmax(nnlearn.ones(2, 3), dim=4)
    with pytest.raises(ValueError, match="beta"):
        F.softplus(nnlearn.ones(2), beta=0.0)
    np.testing.assert_allclose(F.softmax(nnlearn.tensor([[0.0, 0.0]]), dim=-1).numpy(), [[0.5, 0.5]])


def test_module_registration_checks_like_torch():  # nn.register_param_dot, nn.add_module_bad
    with pytest.raises(KeyError):
        torch.nn.Module().register_parameter("a.b", torch.nn.Parameter(torch.ones(2)))
    with pytest.raises(KeyError, match="contain"):
        nn.Module().register_parameter("a.b", nn.Parameter(nnlearn.ones(2)))
    with pytest.raises(TypeError, match="not a Module"):
        nn.Module().add_module("x", 3)
    m = nn.Module()
    m.add_module("lin", nn.Linear(1, 1))
    assert list(dict(m.named_parameters())) == ["lin.weight", "lin.bias"]


def test_save_checks_its_file_and_cycles(tmp_path):  # io.save.none_path, io.save.recursive
    with pytest.raises(TypeError, match="file path"):
        nnlearn.save({"a": 1}, None)
    rec = [1.0]
    rec.append(rec)
    with pytest.raises(ValueError, match="contains itself"):
        nnlearn.save(rec, tmp_path / "x.pt")
    nnlearn.save({"a": [1, 2.0]}, tmp_path / "ok.pt")
    assert nnlearn.load(tmp_path / "ok.pt") == {"a": [1, 2.0]}


def test_default_collate_refuses_ragged_and_mixed_batches():  # utils_data.dl_*_collate
    from nnlearn.utils.data import DataLoader
    with pytest.raises(RuntimeError, match="equal size"):
        list(DataLoader([nnlearn.ones(2), nnlearn.ones(3)], batch_size=2))
    with pytest.raises(TypeError, match="one kind"):
        list(DataLoader([nnlearn.ones(2), "a"], batch_size=2))
    (b,) = list(DataLoader([nnlearn.ones(2), nnlearn.zeros(2)], batch_size=2))
    assert b.tolist() == [[1.0, 1.0], [0.0, 0.0]]


def test_backend_setting_checks():  # backend.dtype_none, backend.seed_neg
    with pytest.raises(TypeError):
        torch.set_default_dtype(None)
    with pytest.raises(TypeError, match="not None"):
        nnlearn.set_default_dtype(None)
    assert str(nnlearn.get_default_dtype()) == "float64"
    torch.manual_seed(-1)  # torch accepts negative seeds, and so does nnlearn now
    a = nnlearn.manual_seed(-1) and nnlearn.randn(3).tolist()
    b = nnlearn.manual_seed(2 ** 64 - 1) and nnlearn.randn(3).tolist()
    assert a == b


def test_optimizer_params_none_is_a_clear_error():  # optim.params.none
    with pytest.raises(TypeError, match="iterable of Parameters"):
        optim.SGD(None, lr=0.1)


def test_flatten_module_on_0d_raises_like_torch():  # nn.flatten_0d
    with pytest.raises(IndexError):
        torch.nn.Flatten()(torch.tensor(1.0))
    with pytest.raises(IndexError, match="out of range"):
        nn.Flatten()(nnlearn.tensor(1.0))
    assert nnlearn.tensor(1.0).flatten().shape == torch.tensor(1.0).flatten().shape == (1,)


def test_one_hot_of_empty_needs_num_classes():  # functional.one_hot_empty_auto
    import nnlearn.nn.functional as F
    with pytest.raises(RuntimeError):
        torch.nn.functional.one_hot(torch.tensor([], dtype=torch.int64))
    with pytest.raises(RuntimeError, match="num_classes"):
        F.one_hot(nnlearn.tensor([], dtype=nnlearn.int64))
    assert F.one_hot(nnlearn.tensor([], dtype=nnlearn.int64), 3).shape == (0, 3)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_bce_targets_checked_and_bool_targets_work(backend):  # loss.bce_t_2, loss.bce_t_bool.torch
    from nnlearn import losses
    with pytest.raises(RuntimeError):
        torch.nn.functional.binary_cross_entropy(torch.tensor([0.5]), torch.tensor([2.0]))
    ref = torch.nn.functional.binary_cross_entropy(torch.tensor([0.5, 0.2], dtype=torch.float64),
                                                   torch.tensor([1.0, 0.0], dtype=torch.float64))
    with nnlearn.backend.use(backend):
        with pytest.raises(ValueError, match="between 0 and 1"):
            losses.binary_cross_entropy(nnlearn.tensor([0.5]), nnlearn.tensor([2.0]))
        got = losses.binary_cross_entropy(nnlearn.tensor([0.5, 0.2]), nnlearn.tensor([True, False]))
    np.testing.assert_allclose(float(got.item()), float(ref), rtol=1e-12)


def test_autodiff_modes_argument_checks():  # autodiff.modes.vjp_bad, jac_fwd_str, graph_size_bad
    from nnlearn import autodiff
    with pytest.raises(TypeError, match="seed"):
        autodiff.vjp(lambda a: a * 2, [1.0], "x")
    with pytest.raises(TypeError, match="inputs must be a sequence of numbers"):
        autodiff.jacobian_forward(lambda a: a * 2, ["a"])
    with pytest.raises(TypeError, match="f must be a function"):
        autodiff.graph_size(None, [1.0])
    assert autodiff.vjp(lambda a, b: a * b, [2.0, 3.0], 1.0).values == [3.0, 2.0]


def test_gradient_norms_refuses_empty_and_unreadable():  # viz.gradient_norms_empty, _str
    import matplotlib
    matplotlib.use("Agg")
    from nnlearn import viz
    with pytest.raises(ValueError, match="empty"):
        viz.gradient_norms({})
    with pytest.raises(TypeError, match="cannot read norms"):
        viz.gradient_norms("abc")


def test_optimizer_load_state_dict_refuses_a_none_buffer():  # optim.load_state_dict.buffer_none
    p, opt = _adam()
    sd = opt.state_dict()
    sd["state"][0]["exp_avg_sq"] = None
    with pytest.raises(ValueError, match="exp_avg_sq"):
        opt.load_state_dict(sd)
    assert opt.state_dict()["state"][0]["exp_avg_sq"] is not None
    q = nn.Parameter(np.array([1.0]))  # SGD's momentum_buffer may be None, as in torch
    sgd = optim.SGD([q], lr=0.1, momentum=0.9)
    sgd.load_state_dict({"state": {0: {"momentum_buffer": None}}, "param_groups": sgd.state_dict()["param_groups"]})


# Tensor // Tensor was missing (an obscure TypeError from Python); now torch.floor_divide's rules.
@pytest.mark.parametrize("name", ["numpy", "torch"])
def test_floor_divide_matches_torch(name):
    with nnlearn.backend.use(name):
        cases = [([5., -7., 7.5], 2), ([5, -7, 9], 2), ([5, -7, 9], 2.5)]
        for data, d in cases:
            got = (nnlearn.tensor(data) // d).numpy()
            want = (torch.tensor(data) // d).numpy()
            np.testing.assert_array_equal(got, want)
            assert got.dtype == want.dtype or (want.dtype == np.float32 and got.dtype == np.float64)
        got = 7 // nnlearn.tensor([2., -3.])
        np.testing.assert_array_equal(got.numpy(), (7 // torch.tensor([2., -3.])).numpy())
        a = nnlearn.tensor([5, -7]); b = nnlearn.tensor([2, 2])
        np.testing.assert_array_equal((a // b).numpy(), [2, -4])
        assert (a // b).dtype == nnlearn.int64
        x = nnlearn.tensor([5., -7.], requires_grad=True)
        y = x // 2
        assert y.requires_grad
        with pytest.raises(RuntimeError, match="derivative for floor_divide is not implemented"):
            y.sum().backward()
        with pytest.raises(ZeroDivisionError, match="integer division by zero"):
            nnlearn.tensor([5, 4]) // nnlearn.tensor([0, 2])
        with pytest.raises(ZeroDivisionError):
            7 // nnlearn.tensor([0, 1])

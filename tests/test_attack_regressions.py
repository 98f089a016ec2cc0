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
    with pytest.raises(ValueError, match="negative|>= 0"):
        make(nnlearn)


@pytest.mark.parametrize("args", [(0, 10, 0), (10, 0), (0, float("inf")), (0, float("nan"))])
def test_arange_refuses_what_torch_refuses(args):  # create.arange_*
    with pytest.raises(RuntimeError):
        torch.arange(*args)
    with pytest.raises(ValueError, match="arange"):
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

"""Probe cases for the engine: Tensor, creation, in-place ops, nn, functional, losses, optim,
schedulers, save/load, utils.data, gradcheck, autodiff, backends and threads."""
from __future__ import annotations

import fractions
import decimal
import math
import os
import pickle
import tempfile
import threading

import numpy as np
import torch

import nnlearn
import nnlearn.nn as nn
import nnlearn.nn.functional as F
from nnlearn import Tensor, backend, losses, optim
from nnlearn.optim import lr_scheduler
from probe import Silent, case, raises, same, to_np

BACKENDS = ("numpy", "torch")


# ============================================================== tensor creation from odd data
class _Hostile:
    def __float__(self):
        raise RuntimeError("hostile __float__")

    def __len__(self):
        raise RuntimeError("hostile __len__")

    def __array__(self, *a, **k):
        raise RuntimeError("hostile __array__")


def _gen():
    yield 1.0
    yield 2.0


_rec = [1.0]
_rec.append(_rec)

DATA = {
    "none": lambda: None,
    "str": lambda: "abc",
    "numstr": lambda: "1.5",
    "bytes": lambda: b"12",
    "ragged": lambda: [[1.0, 2.0], [3.0]],
    "ragged_deep": lambda: [1.0, [2.0, 3.0]],
    "empty_list": lambda: [],
    "empty_nested": lambda: [[]],
    "complex_scalar": lambda: 1 + 2j,
    "complex_list": lambda: [1 + 2j, 3.0],
    "complex_ndarray": lambda: np.array([1 + 2j]),
    "bool": lambda: True,
    "bool_list": lambda: [True, False],
    "nan": lambda: float("nan"),
    "inf_list": lambda: [float("inf"), -float("inf")],
    "bigint": lambda: 10 ** 20,
    "hugeint": lambda: 10 ** 400,
    "neg_hugeint": lambda: [-(10 ** 400)],
    "object": lambda: object(),
    "dict": lambda: {1: 2.0},
    "set": lambda: {1.0, 2.0},
    "tuple": lambda: (1.0, 2.0),
    "range": lambda: range(3),
    "str_array": lambda: np.array(["a", "b"]),
    "numstr_array": lambda: np.array(["1", "2"]),
    "object_array": lambda: np.array([1.0, None], dtype=object),
    "datetime": lambda: np.array(["2020-01-01"], dtype="datetime64[D]"),
    "generator": lambda: _gen(),
    "f16": lambda: np.array([1.5, 2.5], np.float16),
    "i8": lambda: np.array([1, -2], np.int8),
    "u64max": lambda: np.array([2 ** 64 - 1], np.uint64),
    "decimal": lambda: decimal.Decimal("1.5"),
    "fraction": lambda: fractions.Fraction(1, 3),
    "masked": lambda: np.ma.masked_array([1.0, 2.0], mask=[0, 1]),
    "zero_d": lambda: np.array(3.0),
    "empty_2d": lambda: np.zeros((0, 3)),
    "hostile": lambda: _Hostile(),
    "recursive": lambda: _rec,
    "list_of_tensors": lambda: [Tensor(1.0), Tensor(2.0)],
    "list_of_arrays": lambda: [np.array([1.0, 2.0]), np.array([3.0, 4.0])],
    "mixed_str": lambda: [1.0, "a"],
    "nested_none": lambda: [[1.0, None]],
    "bool_array": lambda: np.array([True, False]),
    "i64min": lambda: np.array([np.iinfo(np.int64).min]),
    "float_subnormal": lambda: [5e-324, 1e308],
}
# torch's verdict on these: each torch call below is the oracle
TORCH_DATA = {
    "list_of_tensors": lambda: [torch.tensor(1.0), torch.tensor(2.0)],
}


def _torch_equiv(name):
    v = TORCH_DATA.get(name, DATA[name])()
    return torch.tensor(v)


for bk in BACKENDS:
    for name in DATA:
        for ctor in ("Tensor", "tensor"):
            if ctor == "Tensor":
                fn = (lambda n=name: Tensor(DATA[n]()))
            else:
                fn = (lambda n=name, c=ctor: getattr(nnlearn, c)(DATA[n]()))
            case(f"create.{ctor}.{name}.{bk}", "create", fn, "torch",
                 oracle=(lambda n=name: _torch_equiv(n)), backend=bk)

# creation functions with odd sizes and arguments (oracle: torch)
SIZE_ARGS = {
    "neg": ((-1,), {}), "neg2": ((2, -1), {}), "float": ((2.5,), {}), "str": (("3",), {}),
    "none": ((None,), {}), "empty": ((), {}), "zero": ((0,), {}), "list": (([2, 3],), {}),
    "np_int": ((np.int64(3),), {}), "bool": ((True,), {}), "tuple_float": (((2, 1.0),), {}),
    "nested": (((2, (3,)),), {}), "tensor_size": ((torch.tensor(3),), {}),
    "dtype_str": ((2,), {"dtype": "float32"}), "dtype_bad": ((2,), {"dtype": "quaternion"}),
    "dtype_int": ((2,), {"dtype": int}), "device_bad": ((2,), {"device": "tpu"}),
    "rg_int": ((2,), {"dtype": "int64", "requires_grad": True}),
}


def _tdtype(kw):
    kw = dict(kw)
    d = kw.get("dtype")
    if isinstance(d, str):
        kw["dtype"] = getattr(torch, d, d)
    return kw


for fname in ("zeros", "randn"):
    for an, (a, kw) in SIZE_ARGS.items():
        nn_args = tuple(np.int64(3) if isinstance(x, torch.Tensor) else x for x in a)

        def fn(f=fname, a=nn_args, kw=kw):
            t = getattr(nnlearn, f)(*a, **kw)
            if f in ("empty", "rand", "randn"):
                return tuple(t.shape)  # values are random: compare the shape
            return t

        def orc(f=fname, a=a, kw=kw):
            t = getattr(torch, f)(*a, **_tdtype(kw))
            return tuple(t.shape) if f in ("empty", "rand", "randn") else t
        case(f"create.{fname}.{an}", "create", fn, "torch", oracle=orc)

OTHER_CREATE = {
    "full_str": (lambda m: m.full((2,), "x")),
    "full_none": (lambda m: m.full((2,), None)),
    "full_neg": (lambda m: m.full((-2,), 1.0)),
    "eye_neg": (lambda m: m.eye(-1)),
    "eye_float": (lambda m: m.eye(2.5)),
    "eye_0": (lambda m: m.eye(0)),
    "arange_step0": (lambda m: m.arange(0, 10, 0)),
    "arange_inf": (lambda m: m.arange(0, float("inf"))),
    "arange_nan": (lambda m: m.arange(0, float("nan"))),
    "arange_backwards": (lambda m: m.arange(10, 0)),
    "arange_neg_step": (lambda m: m.arange(10, 0, -3)),
    "arange_str": (lambda m: m.arange("5")),
    "linspace_neg": (lambda m: m.linspace(0, 1, -1)),
    "linspace_0": (lambda m: m.linspace(0, 1, 0)),
    "linspace_1": (lambda m: m.linspace(0, 1, 1)),
    "linspace_float_steps": (lambda m: m.linspace(0, 1, 2.5)),
    "linspace_nan": (lambda m: m.linspace(0, float("nan"), 3)),
    "randint_bad": (lambda m: tuple(m.randint(5, 1, (3,)).shape)),
    "randint_eq": (lambda m: tuple(m.randint(1, 1, (3,)).shape)),
    "randint_nosize": (lambda m: m.randint(5)),
    "randint_float": (lambda m: tuple(m.randint(0, 2.5, (3,)).shape)),
    "randperm_neg": (lambda m: m.randperm(-1)),
    "randperm_0": (lambda m: m.randperm(0)),
    "randperm_float": (lambda m: m.randperm(2.5)),
    "normal_negstd": (lambda m: tuple(m.normal(0.0, -1.0, size=(2,)).shape)),
    "normal_nanstd": (lambda m: tuple(m.normal(0.0, float("nan"), size=(2,)).shape)),
    "zeros_like_str": (lambda m: m.zeros_like("abc")),
    "zeros_like_list": (lambda m: m.zeros_like([1.0, 2.0])),
    "full_like_none": (lambda m: m.full_like(None, 1.0)),
    "ones_like_int": (lambda m: m.ones_like(m.tensor([1, 2]))),
    "rand_like_int": (lambda m: tuple(m.rand_like(m.tensor([1, 2])).shape)),
    "from_numpy_list": (lambda m: m.from_numpy([1.0, 2.0])),
    "from_numpy_str": (lambda m: m.from_numpy(np.array(["a"]))),
    "from_numpy_obj": (lambda m: m.from_numpy(np.array([1, None], dtype=object))),
    "tensor_dtype_bad": (lambda m: m.tensor([1.0], dtype="bogus")),
    "tensor_float_to_int": (lambda m: m.tensor([1.7, -1.7], dtype=m.int64)),
    "tensor_nan_to_int": (lambda m: m.tensor([float("nan")], dtype=m.int64)),
    "tensor_big_to_int8": (lambda m: m.tensor([300], dtype=m.int8)),
    "tensor_rg_int": (lambda m: m.tensor([1, 2], requires_grad=True)),
    "tensor_rg_str": (lambda m: m.tensor([1.0], requires_grad="yes")),
    "tensor_bool_arith": (lambda m: m.tensor([True, False]) + m.tensor([True, True])),
    "tensor_bool_sub": (lambda m: m.tensor([True, False]) - m.tensor([True, True])),
}
for bk in BACKENDS:
    for an, fn in OTHER_CREATE.items():
        case(f"create.{an}.{bk}", "create", (lambda f=fn: f(nnlearn)), "torch",
             oracle=(lambda f=fn: f(torch)), backend=bk)


# ============================================================== tensor ops (oracle: torch)
def _pair(m, x, **kw):
    return m.tensor(np.asarray(x, dtype=np.float64), **kw)


def _A(m):
    return _pair(m, np.arange(6.0).reshape(2, 3))


OPS = {
    "add_mismatch": lambda m: _A(m) + _pair(m, [1.0, 2.0]),
    "matmul_mismatch": lambda m: _A(m) @ _A(m),
    "matmul_0d": lambda m: _pair(m, 2.0) @ _pair(m, 3.0),
    "matmul_1d": lambda m: _pair(m, [1.0, 2.0]) @ _pair(m, [3.0, 4.0]),
    "matmul_empty": lambda m: _pair(m, np.zeros((2, 0))) @ _pair(m, np.zeros((0, 3))),
    "reshape_bad": lambda m: _A(m).reshape(5),
    "reshape_two_neg": lambda m: _A(m).reshape(-1, -1),
    "reshape_neg2": lambda m: _A(m).reshape(-2, 3),
    "reshape_float": lambda m: _A(m).reshape(2.0, 3),
    "reshape_str": lambda m: _A(m).reshape("6"),
    "sum_dim_oob": lambda m: _A(m).sum(5),
    "sum_dim_float": lambda m: _A(m).sum(1.0),
    "sum_dim_str": lambda m: _A(m).sum("a"),
    "sum_dim_dup": lambda m: _A(m).sum((0, 0)),
    "sum_dim_neg": lambda m: _A(m).sum(-1),
    "sum_dim_neg_oob": lambda m: _A(m).sum(-3),
    "mean_empty": lambda m: _pair(m, np.zeros((0,))).mean(),
    "mean_int": lambda m: m.tensor([1, 2]).mean(),
    "max_empty": lambda m: _pair(m, np.zeros((0,))).max(),
    "max_dim_empty": lambda m: _pair(m, np.zeros((0, 2))).max(0),
    "argmax_empty": lambda m: _pair(m, np.zeros((0,))).argmax(),
    "transpose_1d": lambda m: _pair(m, [1.0, 2.0]).transpose(0, 1),
    "transpose_oob": lambda m: _A(m).transpose(0, 5),
    "T_1d": lambda m: _pair(m, [1.0, 2.0]).T,
    "T_0d": lambda m: _pair(m, 1.0).T,
    "permute_bad": lambda m: _A(m).permute(0, 0),
    "permute_short": lambda m: _A(m).permute(0),
    "squeeze_oob": lambda m: _A(m).squeeze(3),
    "squeeze_non1": lambda m: _A(m).squeeze(0),
    "unsqueeze_oob": lambda m: _A(m).unsqueeze(10),
    "unsqueeze_end": lambda m: _A(m).unsqueeze(2),
    "flatten_0d": lambda m: _pair(m, 1.0).flatten(),
    "index_oob": lambda m: _A(m)[5],
    "index_neg_oob": lambda m: _A(m)[-3],
    "index_float": lambda m: _A(m)[1.5],
    "index_str": lambda m: _A(m)["a"],
    "index_none": lambda m: _A(m)[None],
    "index_too_many": lambda m: _A(m)[0, 0, 0],
    "index_mask_shape": lambda m: _A(m)[m.tensor([True, False, True])],
    "index_list_oob": lambda m: _A(m)[[0, 7]],
    "index_tensor_float": lambda m: _A(m)[_pair(m, [0.0, 1.0])],
    "index_uint8": lambda m: _A(m)[m.tensor(np.array([1, 0], np.uint8))],
    "index_empty_list": lambda m: _A(m)[[]],
    "index_ellipsis": lambda m: _A(m)[..., 1],
    "index_step_neg": lambda m: _A(m)[::-1],
    "index_step0": lambda m: _A(m)[::0],
    "cat_mismatch": lambda m: m.cat([_A(m), _pair(m, [[1.0, 2.0]])]),
    "cat_empty": lambda m: m.cat([]),
    "cat_dim_oob": lambda m: m.cat([_A(m), _A(m)], 5),
    "cat_not_list": lambda m: m.cat(_A(m)),
    "stack_mismatch": lambda m: m.stack([_A(m), _pair(m, [1.0])]),
    "stack_empty": lambda m: m.stack([]),
    "where_cond_float": lambda m: m.where(_pair(m, [1.0, 0.0]), _pair(m, [1.0, 2.0]), _pair(m, [3.0, 4.0])),
    "where_shape": lambda m: m.where(m.tensor([True, False]), _A(m), _pair(m, [1.0])),
    "int_div": lambda m: m.tensor([1, 2]) / m.tensor([2, 4]),
    "int_div0": lambda m: m.tensor([1, 2]) / m.tensor([0, 0]),
    "int_floordiv0": lambda m: m.tensor([1, 2]) // m.tensor([0, 1]),
    "int_pow_neg": lambda m: m.tensor([2, 4]) ** -1,
    "int_pow_float": lambda m: m.tensor([2, 4]) ** 0.5,
    "float_div0": lambda m: _pair(m, [1.0, -1.0, 0.0]) / 0.0,
    "pow_nan": lambda m: _pair(m, [1.0, 2.0]) ** float("nan"),
    "neg_pow_frac": lambda m: _pair(m, [-8.0]) ** (1 / 3),
    "log_neg": lambda m: _pair(m, [-1.0, 0.0]).log(),
    "sqrt_neg": lambda m: m.sqrt(_pair(m, [-1.0])),
    "clamp_min_gt_max": lambda m: m.clamp(_pair(m, [0.0, 5.0]), min=3.0, max=1.0),
    "clamp_none": lambda m: m.clamp(_pair(m, [1.0]), min=None, max=None),
    "add_str": lambda m: _A(m) + "a",
    "add_none": lambda m: _A(m) + None,
    "add_list": lambda m: _A(m) + [1.0, 2.0, 3.0],
    "add_complex": lambda m: _A(m) + 1j,
    "mul_bool": lambda m: _A(m) * True,
    "lt_str": lambda m: _A(m) < "a",
    "eq_none": lambda m: _A(m) == None,  # noqa: E711
    "bool_multi": lambda m: bool(_A(m)),
    "bool_empty": lambda m: bool(_pair(m, np.zeros(0))),
    "float_multi": lambda m: float(_A(m)),
    "int_multi": lambda m: int(_A(m)),
    "item_multi": lambda m: _A(m).item(),
    "item_empty": lambda m: _pair(m, np.zeros(0)).item(),
    "len_0d": lambda m: len(_pair(m, 1.0)),
    "iter_0d": lambda m: list(_pair(m, 1.0)),
    "norm_p_str": lambda m: m.norm(_A(m), p="fro2"),
    "var_one": lambda m: _pair(m, [1.0]).var(),
    "std_empty": lambda m: _pair(m, np.zeros(0)).std(),
    "logsumexp_empty": lambda m: m.logsumexp(_pair(m, np.zeros((0,))), 0),
    "logsumexp_ninf": lambda m: m.logsumexp(_pair(m, [-np.inf, -np.inf]), 0),
    "dot_mismatch": lambda m: m.dot(_pair(m, [1.0, 2.0]), _pair(m, [1.0])),
    "dot_2d": lambda m: m.dot(_A(m), _A(m)),
    "mv_bad": lambda m: m.mv(_A(m), _pair(m, [1.0, 2.0])),
    "mm_1d": lambda m: m.mm(_pair(m, [1.0]), _pair(m, [1.0])),
    "expand_neg": lambda m: _pair(m, [1.0]).expand(-2),
    "view_bad": lambda m: _A(m).view(4),
    "allclose_shape": lambda m: m.allclose(_A(m), _pair(m, [1.0])),
    "equal_shape": lambda m: m.equal(_A(m), _pair(m, [1.0])),
    "numel_list": lambda m: m.numel([1, 2]),
}
for bk in BACKENDS:
    for on, fn in OPS.items():
        case(f"ops.{on}.{bk}", "ops", (lambda f=fn: f(nnlearn)), "torch",
             oracle=(lambda f=fn: f(torch)), backend=bk)


# backward in odd situations (oracle torch)
def _bw(m, what):
    x = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
    if what == "nonscalar":
        (x * 2).backward()
    elif what == "no_grad_out":
        m.tensor([1.0]).sum().backward()
    elif what == "twice":
        y = (x * x).sum()
        y.backward()
        y.backward()
    elif what == "grad_shape":
        (x * 2).backward(m.tensor([1.0, 1.0]))
    elif what == "grad_ok":
        (x * 2).backward(m.tensor([1.0, 2.0, 3.0]))
    elif what == "int_leaf":
        m.tensor([1, 2], requires_grad=True)
    elif what == "nan_grad":
        (x * float("nan")).sum().backward()
    elif what == "detach_bw":
        (x.detach() * 2).sum().backward()
    elif what == "no_grad_bw":
        with m.no_grad():
            y = (x * 2).sum()
        y.backward()
    elif what == "leaf_inplace":
        x.add_(1.0)
    elif what == "leaf_setitem":
        x[0] = 5.0
    elif what == "rg_nonleaf":
        (x * 2).requires_grad_(False)
    elif what == "grad_str":
        (x * 2).sum().backward("a")
    elif what == "retain_nonleaf":
        y = x * 2
        y.sum().backward()
        return y.grad
    elif what == "inplace_after_fwd":
        y = (x * x).sum()
        with m.no_grad():
            x.mul_(2)
        y.backward()
    elif what == "inplace_saved_nonleaf":
        a = x * 1.0
        b = a.exp()
        a.add_(1.0)
        b.sum().backward()
    elif what == "inplace_ok_unsaved":
        a = x * 2.0
        b = a + 1.0
        a.add_(1.0)
        b.sum().backward()
    elif what == "inplace_broadcast_grow":
        a = m.tensor([1.0])
        a.add_(m.tensor([1.0, 2.0]))
        return a
    elif what == "inplace_int_float":
        a = m.tensor([1, 2])
        a.add_(0.5)
        return a
    elif what == "inplace_view_base":
        a = x * 1.0
        v = a[0:2]
        b = (v * v).sum()
        a.mul_(3.0)
        b.backward()
    elif what == "exp_then_inplace_out":
        b = x.exp()
        b.add_(1.0)
        b.sum().backward()
    elif what == "sigmoid_then_inplace_out":
        b = x.sigmoid()
        b.mul_(2.0)
        b.sum().backward()
    elif what == "tanh_then_inplace_out":
        b = x.tanh()
        b.zero_()
        b.sum().backward()
    elif what == "data_assign_shape":
        x.data = m.zeros(5)
        return x
    elif what == "grad_assign_shape":
        x.grad = m.zeros(5)
        return x
    elif what == "grad_assign_str":
        x.grad = "abc"
    return x.grad


BW = ["nonscalar", "no_grad_out", "twice", "grad_shape", "grad_ok", "int_leaf", "nan_grad",
      "detach_bw", "no_grad_bw", "leaf_inplace", "leaf_setitem", "rg_nonleaf", "grad_str",
      "retain_nonleaf", "inplace_after_fwd", "inplace_saved_nonleaf", "inplace_ok_unsaved",
      "inplace_broadcast_grow", "inplace_int_float", "inplace_view_base", "exp_then_inplace_out",
      "sigmoid_then_inplace_out", "tanh_then_inplace_out", "data_assign_shape",
      "grad_assign_shape", "grad_assign_str"]
for bk in BACKENDS:
    for w in BW:
        case(f"inplace.{w}.{bk}", "inplace", (lambda w=w: _bw(nnlearn, w)), "torch",
             oracle=(lambda w=w: _bw(torch, w)), backend=bk)


# ============================================================== nn modules (oracle torch)
def _mod_case(build, x=None):
    def fn(m):
        mod = build(m)
        if x is None:
            return [to_np(p).shape for p in mod.parameters()]
        return mod(x(m))
    return fn


MODS = {
    "linear_neg": _mod_case(lambda m: m.nn.Linear(-1, 3)),
    "linear_float": _mod_case(lambda m: m.nn.Linear(2.5, 3)),
    "linear_str": _mod_case(lambda m: m.nn.Linear("2", 3)),
    "linear_none": _mod_case(lambda m: m.nn.Linear(None, 3)),
    "linear_zero_in": _mod_case(lambda m: m.nn.Linear(0, 3)),
    "linear_bool": _mod_case(lambda m: m.nn.Linear(True, 3)),
    "linear_wrong_in": _mod_case(lambda m: m.nn.Linear(3, 2), lambda m: m.ones(4, 5)),
    "linear_1d_wrong": _mod_case(lambda m: m.nn.Linear(3, 2), lambda m: m.ones(4)),
    "linear_0d": _mod_case(lambda m: m.nn.Linear(3, 2), lambda m: m.tensor(1.0)),
    "linear_int_input": _mod_case(lambda m: m.nn.Linear(2, 2), lambda m: m.tensor([[1, 2]])),
    "linear_list_input": _mod_case(lambda m: m.nn.Linear(2, 2), lambda m: [[1.0, 2.0]]),
    "linear_str_input": _mod_case(lambda m: m.nn.Linear(2, 2), lambda m: "x"),
    "dropout_neg": _mod_case(lambda m: m.nn.Dropout(-0.1)),
    "dropout_big": _mod_case(lambda m: m.nn.Dropout(1.5)),
    "dropout_str": _mod_case(lambda m: m.nn.Dropout("0.5")),
    "dropout_none": _mod_case(lambda m: m.nn.Dropout(None)),
    "dropout_nan": _mod_case(lambda m: m.nn.Dropout(float("nan"))),
    "dropout_one": _mod_case(lambda m: m.nn.Dropout(1.0), lambda m: m.ones(3)),
    "bn_zero": _mod_case(lambda m: m.nn.BatchNorm1d(0)),
    "bn_neg": _mod_case(lambda m: m.nn.BatchNorm1d(-3)),
    "bn_str": _mod_case(lambda m: m.nn.BatchNorm1d("4")),
    "bn_eps_neg": _mod_case(lambda m: m.nn.BatchNorm1d(3, eps=-1.0)),
    "bn_mom_big": _mod_case(lambda m: m.nn.BatchNorm1d(3, momentum=5.0)),
    "bn_batch1": _mod_case(lambda m: m.nn.BatchNorm1d(3), lambda m: m.ones(1, 3)),
    "bn_wrong_feat": _mod_case(lambda m: m.nn.BatchNorm1d(3), lambda m: m.ones(4, 5)),
    "bn_1d_input": _mod_case(lambda m: m.nn.BatchNorm1d(3), lambda m: m.ones(3)),
    "bn_empty": _mod_case(lambda m: m.nn.BatchNorm1d(3), lambda m: m.ones(0, 3)),
    "ln_neg": _mod_case(lambda m: m.nn.LayerNorm(-2)),
    "ln_wrong": _mod_case(lambda m: m.nn.LayerNorm(3), lambda m: m.ones(2, 4)),
    "emb_neg": _mod_case(lambda m: m.nn.Embedding(-1, 3)),
    "emb_oob": _mod_case(lambda m: m.nn.Embedding(4, 2), lambda m: m.tensor([4])),
    "emb_negidx": _mod_case(lambda m: m.nn.Embedding(4, 2), lambda m: m.tensor([-1])),
    "emb_float_idx": _mod_case(lambda m: m.nn.Embedding(4, 2), lambda m: m.tensor([1.0])),
    "softmax_dim_oob": _mod_case(lambda m: m.nn.Softmax(dim=5), lambda m: m.ones(2, 3)),
    "leaky_str": _mod_case(lambda m: m.nn.LeakyReLU("x"), lambda m: m.ones(2)),
    "gelu_bad": _mod_case(lambda m: m.nn.GELU(approximate="fast"), lambda m: m.ones(2)),
    "seq_nonmodule": _mod_case(lambda m: m.nn.Sequential(m.nn.Linear(2, 2), lambda x: x)),
    "seq_none": _mod_case(lambda m: m.nn.Sequential(None)),
    "seq_empty_call": _mod_case(lambda m: m.nn.Sequential(), lambda m: m.ones(2)),
    "seq_index_oob": lambda m: m.nn.Sequential(m.nn.ReLU())[3],
    "flatten_0d": _mod_case(lambda m: m.nn.Flatten(), lambda m: m.tensor(1.0)),
    "modulelist_bad": _mod_case(lambda m: m.nn.ModuleList([1, 2])),
    "mse_module_reduction": _mod_case(lambda m: m.nn.MSELoss(reduction="avg")),
    "ce_module_reduction": _mod_case(lambda m: m.nn.CrossEntropyLoss(reduction=None)),
    "module_to_bad": lambda m: m.nn.Linear(2, 2).to("tpu"),
    "module_to_int": lambda m: [str(p.dtype) for p in m.nn.Linear(2, 2).to(m.int64).parameters()],
    "param_str": lambda m: m.nn.Parameter("abc"),
    "param_int": lambda m: m.nn.Parameter(m.tensor([1, 2])),
    "register_param_bad": lambda m: m.nn.Module().register_parameter("w", m.ones(2)),
    "register_param_dot": lambda m: m.nn.Module().register_parameter("a.b", m.nn.Parameter(m.ones(2))),
    "register_buffer_bad": lambda m: m.nn.Module().register_buffer("b", [1, 2]),
    "add_module_bad": lambda m: m.nn.Module().add_module("x", 3),
    "module_call_noforward": lambda m: m.nn.Module()(1),
}
for bk in BACKENDS:
    for mn, fn in MODS.items():
        def f(fn=fn):
            nnlearn.manual_seed(0)
            out = fn(nnlearn)
            return to_np(out) if isinstance(out, Tensor) and mn in ("bn_batch1",) else out
        case(f"nn.{mn}.{bk}", "nn", (lambda fn=fn: fn(nnlearn)), "torch",
             oracle=(lambda fn=fn: fn(torch)), backend=bk)


# load_state_dict of the wrong thing: must raise and leave the model exactly as before
def _lsd(bad):
    def fn():
        nnlearn.manual_seed(0)
        m = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.Linear(3, 1))
        before = {k: np.array(to_np(v), copy=True) for k, v in m.state_dict().items()}
        sd = {k: np.array(to_np(v), copy=True) + 1.0 for k, v in m.state_dict().items()}
        sd = bad(sd)
        e = raises(lambda: m.load_state_dict(sd))
        after = {k: to_np(v) for k, v in m.state_dict().items()}
        for k in before:
            if not np.array_equal(before[k], after[k]):
                raise Silent(f"model changed at {k} after a failed load ({type(e).__name__}: {e})")
        raise e
    return fn


def _sd_set(key, value):
    def f(sd):
        sd[key] = value
        return sd
    return f


LSD = {
    "none": lambda sd: None,
    "list": lambda sd: list(sd.values()),
    "str": lambda sd: "weights.pt",
    "missing_last": lambda sd: {k: v for k, v in list(sd.items())[:-1]},
    "extra": lambda sd: {**sd, "9.weight": np.zeros(1)},
    "shape_last": _sd_set("2.weight", np.zeros((1, 4))),
    "shape_bn": _sd_set("1.running_mean", np.zeros(4)),
    "str_value": _sd_set("2.bias", "abc"),
    "none_value": _sd_set("2.bias", None),
    "complex_value": _sd_set("2.bias", np.array([1 + 1j])),
    "ragged_value": _sd_set("2.weight", [[1.0, 2.0], [3.0]]),
    "dict_value": _sd_set("2.bias", {"a": 1}),
    "int_key": lambda sd: {**sd, 0: np.zeros(1)},
    "module_value": _sd_set("2.bias", nn.Linear(1, 1)),

    "bn_tracked_str": _sd_set("1.num_batches_tracked", "x"),
    "scalar_for_vector": _sd_set("2.bias", 1.0),
}
for ln, bad in LSD.items():
    case(f"nn.load_state_dict.{ln}", "nn", _lsd(bad), "error")


def _lsd_ok_nan():
    m = nn.Linear(2, 1)
    sd = {k: np.full(to_np(v).shape, np.nan) for k, v in m.state_dict().items()}
    m.load_state_dict(sd)
    return to_np(m.weight)


case("nn.load_state_dict.nan_values_loaded", "nn", _lsd_ok_nan, "ok",
     check=lambda w: bool(np.isnan(w).all()))


def _lsd_torch_tensor_values():
    m = nn.Linear(2, 1)
    t = torch.nn.Linear(2, 1)
    m.load_state_dict(t.state_dict())
    return same(m.weight, t.weight)


case("nn.load_state_dict.from_torch_module", "nn", _lsd_torch_tensor_values, "ok",
     check=lambda r: r is True)


def _lsd_nonstrict():
    m = nn.Linear(2, 1)
    r = m.load_state_dict({"weight": np.ones((1, 2))}, strict=False)
    return (to_np(m.weight).tolist(), list(r.missing_keys))


case("nn.load_state_dict.nonstrict_missing", "nn", _lsd_nonstrict, "ok",
     check=lambda r: r == ([[1.0, 1.0]], ["bias"]))


# ============================================================== functional (oracle torch)
def _tF(m):
    return torch.nn.functional if m is torch else F


FUNC = {
    "linear_shape": lambda m: _tF(m).linear(m.ones(2, 3), m.ones(4, 5)),
    "linear_bias_shape": lambda m: _tF(m).linear(m.ones(2, 3), m.ones(4, 3), m.ones(5)),
    "dropout_p2": lambda m: _tF(m).dropout(m.ones(3), p=2.0),
    "dropout_pneg": lambda m: _tF(m).dropout(m.ones(3), p=-0.5),
    "dropout_eval": lambda m: _tF(m).dropout(m.ones(3), p=0.5, training=False),
    "relu_str": lambda m: _tF(m).relu("abc"),
    "relu_list": lambda m: _tF(m).relu([1.0, -1.0]),
    "softmax_dim": lambda m: _tF(m).softmax(m.ones(2, 3), dim=4),
    "log_softmax_dim": lambda m: _tF(m).log_softmax(m.ones(2, 3), dim=-4),
    "one_hot_neg": lambda m: _tF(m).one_hot(m.tensor([-1, 0]), 3),
    "one_hot_oob": lambda m: _tF(m).one_hot(m.tensor([3, 0]), 3),
    "one_hot_float": lambda m: _tF(m).one_hot(m.tensor([1.0]), 3),
    "one_hot_auto": lambda m: _tF(m).one_hot(m.tensor([2, 0])),
    "one_hot_empty_auto": lambda m: _tF(m).one_hot(m.tensor(np.zeros(0, np.int64))),
    "layer_norm_shape": lambda m: _tF(m).layer_norm(m.ones(2, 3), (4,)),
    "layer_norm_int": lambda m: _tF(m).layer_norm(m.ones(2, 3), 3),
    "leaky_relu_str": lambda m: _tF(m).leaky_relu(m.ones(2), "x"),
    "gelu_bad": lambda m: _tF(m).gelu(m.ones(2), approximate="x"),
    "softplus_beta0": lambda m: _tF(m).softplus(m.ones(2), beta=0.0),
    "mse_fn_shape": lambda m: _tF(m).mse_loss(m.ones(2, 3), m.ones(3, 2)),
    "ce_fn_prob_targets": lambda m: _tF(m).cross_entropy(m.ones(2, 3), m.ones(2, 3) / 3),
    "nll_fn_oob": lambda m: _tF(m).nll_loss(m.ones(2, 3), m.tensor([0, 3])),
}
for bk in BACKENDS:
    for fnm, fn in FUNC.items():
        case(f"functional.{fnm}.{bk}", "functional", (lambda fn=fn: fn(nnlearn)), "torch",
             oracle=(lambda fn=fn: fn(torch)), backend=bk)


# ============================================================== losses (oracle torch)
def _logits(m):
    return m.tensor(np.array([[1.0, 2.0, 0.5], [0.1, -1.0, 3.0]]), requires_grad=True)


def _tl(m, name):
    if m is torch:
        return getattr(torch.nn.functional, name)
    return getattr(losses, name)


def _loss_grad(m, name, inp, tgt, **kw):
    x = inp(m)
    out = _tl(m, name)(x, tgt(m), **kw)
    if getattr(out, "requires_grad", False) and out.ndim == 0:
        out.backward()
        return [out.detach(), x.grad]
    return out


LABELS = {
    "float": lambda m: m.tensor([1.0, 2.0]),
    "float_frac": lambda m: m.tensor([0.5, 1.0]),
    "neg": lambda m: m.tensor([-1, 0]),
    "oob": lambda m: m.tensor([3, 0]),
    "uint8": lambda m: m.tensor(np.array([1, 2], np.uint8)),
    "int8": lambda m: m.tensor(np.array([1, 2], np.int8)),
    "int16": lambda m: m.tensor(np.array([1, 2], np.int16)),
    "int32": lambda m: m.tensor(np.array([1, 2], np.int32)),
    "bool": lambda m: m.tensor([True, False]),
    "wrong_len": lambda m: m.tensor([1, 2, 0]),
    "2d": lambda m: m.tensor([[1], [2]]),
    "probs": lambda m: m.tensor([[0.2, 0.3, 0.5], [0.0, 1.0, 0.0]]),
    "probs_wrong_shape": lambda m: m.tensor([[0.5, 0.5], [0.5, 0.5]]),
    "0d": lambda m: m.tensor(1),
    "list": lambda m: [1, 2],
    "np_int": lambda m: np.array([1, 2]),
    "str": lambda m: "ab",
    "none": lambda m: None,
}
for bk in BACKENDS:
    for ln, lab in LABELS.items():
        for lossname in ("cross_entropy", "nll_loss"):
            def fn(ln=ln, lossname=lossname, lab=lab, mm=None):
                return _loss_grad(nnlearn, lossname, _logits, lab)

            def orc(lab=lab, lossname=lossname):
                lt = lab(torch)
                if isinstance(lt, (list, np.ndarray)):
                    lt = torch.as_tensor(lt)
                return _loss_grad(torch, lossname, _logits, lambda m: lt)
            case(f"loss.{lossname}.{ln}.{bk}", "losses", fn, "torch", oracle=orc, backend=bk)

LOSS_MISC = {
    "ce_empty": lambda m: _tl(m, "cross_entropy")(m.ones(0, 3), m.tensor(np.zeros(0, np.int64))),
    "ce_empty_sum": lambda m: _tl(m, "cross_entropy")(m.ones(0, 3), m.tensor(np.zeros(0, np.int64)),
                                                      reduction="sum"),
    "ce_nan_logits": lambda m: _tl(m, "cross_entropy")(m.tensor([[np.nan, 1.0]]), m.tensor([0])),
    "ce_inf_logits": lambda m: _tl(m, "cross_entropy")(m.tensor([[np.inf, 1.0]]), m.tensor([0])),
    "ce_1d_logits": lambda m: _tl(m, "cross_entropy")(m.tensor([1.0, 2.0, 3.0]), m.tensor(1)),
    "ce_reduction_bad": lambda m: _tl(m, "cross_entropy")(m.ones(2, 3), m.tensor([0, 1]),
                                                          reduction="avg"),
    "ce_reduction_none": lambda m: _tl(m, "cross_entropy")(m.ones(2, 3), m.tensor([0, 1]),
                                                           reduction="none"),
    "mse_shape": lambda m: _tl(m, "mse_loss")(m.ones(3, 1), m.ones(3)),
    "mse_shape2": lambda m: _tl(m, "mse_loss")(m.ones(3), m.ones(2)),
    "mse_empty": lambda m: _tl(m, "mse_loss")(m.ones(0), m.ones(0)),
    "mse_int_target": lambda m: _tl(m, "mse_loss")(m.ones(3), m.tensor([1, 2, 3])),
    "mse_list_target": lambda m: _tl(m, "mse_loss")(m.ones(3), [1.0, 2.0, 3.0]),
    "mse_nan": lambda m: _tl(m, "mse_loss")(m.tensor([np.nan]), m.tensor([1.0])),
    "mse_inf_inf": lambda m: _tl(m, "mse_loss")(m.tensor([np.inf]), m.tensor([np.inf])),
    "l1_shape": lambda m: _tl(m, "l1_loss")(m.ones(3), m.ones(2)),
    "bce_p_gt1": lambda m: _tl(m, "binary_cross_entropy")(m.tensor([1.5]), m.tensor([1.0])),
    "bce_p_neg": lambda m: _tl(m, "binary_cross_entropy")(m.tensor([-0.1]), m.tensor([1.0])),
    "bce_p_nan": lambda m: _tl(m, "binary_cross_entropy")(m.tensor([np.nan]), m.tensor([1.0])),
    "bce_p_0_t_1": lambda m: _tl(m, "binary_cross_entropy")(m.tensor([0.0]), m.tensor([1.0])),
    "bce_t_2": lambda m: _tl(m, "binary_cross_entropy")(m.tensor([0.5]), m.tensor([2.0])),
    "bce_t_int": lambda m: _tl(m, "binary_cross_entropy")(m.tensor([0.5]), m.tensor([1])),
    "bce_t_bool": lambda m: _tl(m, "binary_cross_entropy")(m.tensor([0.5]), m.tensor([True])),
    "bce_shape": lambda m: _tl(m, "binary_cross_entropy")(m.tensor([0.5, 0.5]), m.tensor([[1.0], [0.0]])),
    "bce_empty": lambda m: _tl(m, "binary_cross_entropy")(m.ones(0) / 2, m.ones(0)),
    "bcel_nan": lambda m: _tl(m, "binary_cross_entropy_with_logits")(m.tensor([np.nan]), m.tensor([1.0])),
    "bcel_inf": lambda m: _tl(m, "binary_cross_entropy_with_logits")(m.tensor([np.inf, -np.inf]),
                                                                       m.tensor([1.0, 0.0])),
    "bcel_t_nan": lambda m: _tl(m, "binary_cross_entropy_with_logits")(m.tensor([1.0]), m.tensor([np.nan])),
    "bcel_shape": lambda m: _tl(m, "binary_cross_entropy_with_logits")(m.ones(3), m.ones(3, 1)),
    "bcel_t_int": lambda m: _tl(m, "binary_cross_entropy_with_logits")(m.ones(2), m.tensor([1, 0])),
    "bcel_t_2": lambda m: _tl(m, "binary_cross_entropy_with_logits")(m.ones(1), m.tensor([2.0])),
}
for bk in BACKENDS:
    for ln, fn in LOSS_MISC.items():
        case(f"loss.{ln}.{bk}", "losses", (lambda fn=fn: fn(nnlearn)), "torch",
             oracle=(lambda fn=fn: fn(torch)), backend=bk)


# ============================================================== optimizers (oracle torch)
OPTS = ("SGD", "Adam", "AdamW", "Adagrad", "RMSprop", "Adadelta")
OPT_KW = {
    "lr_neg": {"lr": -1.0}, "lr_nan": {"lr": float("nan")}, "lr_inf": {"lr": float("inf")},
    "lr_str": {"lr": "0.1"}, "lr_none": {"lr": None}, "lr_zero": {"lr": 0.0},
    "lr_list": {"lr": [0.1]}, "lr_tensor": {"lr": "TENSOR"}, "lr_complex": {"lr": 0.1j},
    "eps_neg": {"eps": -1.0}, "wd_neg": {"weight_decay": -1.0}, "wd_nan": {"weight_decay": float("nan")},
    "wd_str": {"weight_decay": "0"},
}
EXTRA = {
    "SGD": {"mom_neg": {"momentum": -0.5}, "mom_str": {"momentum": "0.9"},
            "nesterov_nomom": {"nesterov": True}, "nesterov_damp": {"nesterov": True, "momentum": 0.9,
                                                                    "dampening": 0.5},
            "mom_nan": {"momentum": float("nan")}},
    "Adam": {"betas_float": {"betas": 0.9}, "betas_big": {"betas": (1.0, 0.999)},
             "betas_neg": {"betas": (-0.1, 0.999)}, "betas_three": {"betas": (0.9, 0.99, 0.9)},
             "betas_str": {"betas": "ab"}, "betas_none": {"betas": None},
             "betas_nan": {"betas": (float("nan"), 0.999)}, "amsgrad_str": {"amsgrad": "yes"}},
    "AdamW": {"betas_big2": {"betas": (0.9, 1.5)}},
    "RMSprop": {"alpha_neg": {"alpha": -0.1}, "alpha_big": {"alpha": 1.5}, "mom_neg": {"momentum": -1.0}},
    "Adagrad": {"lr_decay_neg": {"lr_decay": -1.0}, "iav_neg": {"initial_accumulator_value": -1.0}},
    "Adadelta": {"rho_big": {"rho": 1.5}, "rho_neg": {"rho": -0.5}},
}


def _mk_opt(m, name, kw, params=None):
    kw = dict(kw)
    if kw.get("lr") == "TENSOR":
        kw["lr"] = m.tensor(0.1)
    if params is None:
        p = m.nn.Parameter(m.tensor([1.0, -2.0]))
        params = [p]
    opt = getattr(m.optim, name)(params, **kw)
    loss = (params[0] ** 2).sum() if isinstance(params, list) and params and not isinstance(params[0], dict) else None
    if loss is not None:
        loss.backward()
        opt.step()
        return params[0].detach()
    return opt


for oname in OPTS:
    kws = dict(OPT_KW)
    kws.update(EXTRA.get(oname, {}))
    for kn, kw in kws.items():
        if oname == "SGD" and "lr" not in kw:
            kw = {"lr": 0.1, **kw}
        case(f"optim.{oname}.{kn}", "optim", (lambda o=oname, kw=kw: _mk_opt(nnlearn, o, kw)), "torch",
             oracle=(lambda o=oname, kw=kw: _mk_opt(torch, o, kw)))

PARAMS = {
    "empty": lambda m: [],
    "tensor_not_list": lambda m: m.nn.Parameter(m.ones(2)),
    "dup": lambda m: (lambda p: [p, p])(m.nn.Parameter(m.ones(2))),
    "dup_groups": lambda m: (lambda p: [{"params": [p]}, {"params": [p]}])(m.nn.Parameter(m.ones(2))),
    "nonleaf": lambda m: [m.nn.Parameter(m.ones(2)) * 2.0],
    "no_rg": lambda m: [m.ones(2)],
    "int_param": lambda m: [m.tensor([1, 2])],
    "str": lambda m: "weights",
    "list_of_str": lambda m: ["w"],
    "none": lambda m: None,
    "ndarray": lambda m: [np.ones(2)],
    "group_no_params": lambda m: [{"lr": 0.1}],
    "group_bad_key": lambda m: [{"params": [m.nn.Parameter(m.ones(2))], "lrr": 0.1}],
    "generator_of_params": lambda m: (p for p in [m.nn.Parameter(m.ones(2))]),
    "dict_params": lambda m: {"w": m.nn.Parameter(m.ones(2))},
}
for pn, pf in PARAMS.items():
    for oname in ("SGD", "Adam"):
        def fn(m, pf=pf, oname=oname):
            ps = pf(m)
            return [type(getattr(m.optim, oname)(ps, lr=0.1)).__name__]
        case(f"optim.params.{pn}.{oname}", "optim", (lambda fn=fn: fn(nnlearn)), "torch",
             oracle=(lambda fn=fn: fn(torch)))


# duplicate params: stepping twice per step would be silent
def _dup_step(m):
    p = m.nn.Parameter(m.tensor([1.0]))
    try:
        opt = m.optim.SGD([p, p], lr=0.1)
    except Exception:
        raise
    (p * p).sum().backward()
    opt.step()
    return p.detach()


case("optim.dup_params_step", "optim", lambda: _dup_step(nnlearn), "torch", oracle=lambda: _dup_step(torch))


# optimizer.load_state_dict of the wrong thing: raise and keep the current state
def _olsd(bad, oname="Adam"):
    def fn():
        p = nn.Parameter(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
        q = nn.Parameter(np.array([1.0]))
        opt = getattr(optim, oname)([p, q], lr=0.1)
        ((p * p).sum() + (q * q).sum()).backward()
        opt.step()
        before = opt.state_dict()
        snap = pickle.dumps({"s": {k: {kk: to_np(vv) for kk, vv in v.items()} for k, v in before["state"].items()},
                             "g": [dict(g) for g in before["param_groups"]]})
        sd = bad(opt.state_dict(), p)
        e = raises(lambda: opt.load_state_dict(sd))
        after = opt.state_dict()
        snap2 = pickle.dumps({"s": {k: {kk: to_np(vv) for kk, vv in v.items()} for k, v in after["state"].items()},
                              "g": [dict(g) for g in after["param_groups"]]})
        if snap != snap2:
            raise Silent(f"optimizer state changed after a failed load ({type(e).__name__}: {e})")
        raise e
    return fn


def _osd_del_state(sd, p):
    del sd["state"]
    return sd


def _osd_state(key, sub, value):
    def f(sd, p):
        sd["state"][key][sub] = value
        return sd
    return f


def _osd_group(key, value):
    def f(sd, p):
        sd["param_groups"][0][key] = value
        return sd
    return f


OLSD = {
    "none": lambda sd, p: None,
    "list": lambda sd, p: [sd],
    "str": lambda sd, p: "opt.pt",
    "model_sd": lambda sd, p: nn.Linear(2, 3).state_dict(),
    "no_state": _osd_del_state,
    "no_groups": lambda sd, p: {"state": sd["state"]},
    "groups_empty": lambda sd, p: {**sd, "param_groups": []},
    "bad_index": lambda sd, p: {**sd, "state": {99: sd["state"][0]}},
    "str_index": lambda sd, p: {**sd, "state": {"zero": sd["state"][0]}},
    "buffer_shape": _osd_state(0, "exp_avg", np.zeros(1)),
    "buffer_str": _osd_state(0, "exp_avg", "abc"),
    "buffer_none": _osd_state(0, "exp_avg_sq", None),
    "buffer_complex": _osd_state(0, "exp_avg", np.zeros((3, 2), complex)),
    "step_str": _osd_state(0, "step", "one"),
    "step_neg": _osd_state(0, "step", -5),
    "lr_str": _osd_group("lr", "0.1"),
    "lr_neg": _osd_group("lr", -1.0),
    "betas_bad": _osd_group("betas", 0.9),
    "params_count": _osd_group("params", [0]),
    "params_str": _osd_group("params", "all"),
    "groups_two": lambda sd, p: {**sd, "param_groups": sd["param_groups"] * 2},
    "state_list": lambda sd, p: {**sd, "state": [sd["state"][0]]},
}
for on, bad in OLSD.items():
    case(f"optim.load_state_dict.{on}", "optim", _olsd(bad), "error")


def _sgd_json_state():
    import json
    p = nn.Parameter(np.array([1.0, 2.0]))
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    (p * p).sum().backward()
    opt.step()
    sd = opt.state_dict()
    js = json.loads(json.dumps({"state": {str(k): {kk: np.asarray(to_np(vv)).tolist() for kk, vv in v.items()}
                                          for k, v in sd["state"].items()},
                                "param_groups": sd["param_groups"]}))
    opt2 = optim.SGD([p], lr=0.1, momentum=0.9)
    opt2.load_state_dict(js)
    p.grad = None
    (p * p).sum().backward()
    opt2.step()
    return to_np(p)


def _sgd_json_ref():
    p = torch.nn.Parameter(torch.tensor([1.0, 2.0], dtype=torch.float64))
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.9)
    (p * p).sum().backward()
    opt.step()
    p.grad = None
    (p * p).sum().backward()
    opt.step()
    return p.detach()


case("optim.load_state_dict.json_roundtrip", "optim", _sgd_json_state, "either",
     check=lambda r: same(r, _sgd_json_ref()))


def _step_no_grad():
    p = nn.Parameter(np.array([1.0, 2.0]))
    opt = optim.Adam([p], lr=0.1)
    opt.step()
    return to_np(p)


case("optim.step_without_grad", "optim", _step_no_grad, "ok", check=lambda r: r.tolist() == [1.0, 2.0])


def _nan_grad_step(name):
    def fn(m):
        p = m.nn.Parameter(m.tensor([1.0, 2.0]))
        opt = getattr(m.optim, name)([p], lr=0.1)
        (p * float("nan")).sum().backward()
        opt.step()
        return p.detach()
    return fn


for oname in OPTS:
    case(f"optim.nan_grad.{oname}", "optim", (lambda o=oname: _nan_grad_step(o)(nnlearn)), "torch",
         oracle=(lambda o=oname: _nan_grad_step(o)(torch)))


def _closure_bad(m):
    p = m.nn.Parameter(m.tensor([1.0]))
    opt = m.optim.SGD([p], lr=0.1)
    return opt.step(closure="x")


case("optim.closure_str", "optim", lambda: _closure_bad(nnlearn), "torch", oracle=lambda: _closure_bad(torch))


def _add_group_dup(m):
    p = m.nn.Parameter(m.tensor([1.0]))
    opt = m.optim.SGD([p], lr=0.1)
    opt.add_param_group({"params": [p]})
    return opt


case("optim.add_param_group_dup", "optim", lambda: _add_group_dup(nnlearn), "torch",
     oracle=lambda: _add_group_dup(torch))


def _zero_grad_str(m):
    p = m.nn.Parameter(m.tensor([1.0]))
    opt = m.optim.SGD([p], lr=0.1)
    opt.zero_grad(set_to_none="maybe")
    return p.grad


case("optim.zero_grad_str", "optim", lambda: _zero_grad_str(nnlearn), "either")


# ============================================================== schedulers (oracle torch)
def _sched(m, cls, kw, steps=3, lam=None):
    p = m.nn.Parameter(m.tensor([1.0]))
    opt = m.optim.SGD([p], lr=0.1)
    if lam is not None:
        kw = {**kw, "lr_lambda": lam}
    s = getattr(m.optim.lr_scheduler, cls)(opt, **kw)
    out = []
    for _ in range(steps):
        opt.step()
        s.step()
        out.append(opt.param_groups[0]["lr"])
    return out


SCHED = {
    "StepLR.size0": ("StepLR", {"step_size": 0}),
    "StepLR.size_neg": ("StepLR", {"step_size": -1}),
    "StepLR.size_float": ("StepLR", {"step_size": 1.5}),
    "StepLR.size_str": ("StepLR", {"step_size": "2"}),
    "StepLR.gamma_nan": ("StepLR", {"step_size": 1, "gamma": float("nan")}),
    "StepLR.gamma_str": ("StepLR", {"step_size": 1, "gamma": "0.1"}),
    "MultiStepLR.int": ("MultiStepLR", {"milestones": 5}),
    "MultiStepLR.decreasing": ("MultiStepLR", {"milestones": [3, 1]}),
    "MultiStepLR.neg": ("MultiStepLR", {"milestones": [-1, 2]}),
    "MultiStepLR.str": ("MultiStepLR", {"milestones": "12"}),
    "MultiStepLR.dup": ("MultiStepLR", {"milestones": [1, 1]}),
    "ExponentialLR.neg": ("ExponentialLR", {"gamma": -1.0}),
    "ExponentialLR.str": ("ExponentialLR", {"gamma": "0.9"}),
    "ExponentialLR.none": ("ExponentialLR", {"gamma": None}),
    "Cosine.T0": ("CosineAnnealingLR", {"T_max": 0}),
    "Cosine.Tneg": ("CosineAnnealingLR", {"T_max": -1}),
    "Cosine.Tstr": ("CosineAnnealingLR", {"T_max": "10"}),
    "Cosine.eta_neg": ("CosineAnnealingLR", {"T_max": 2, "eta_min": -1.0}),
    "LinearLR.start0": ("LinearLR", {"start_factor": 0.0}),
    "LinearLR.start_big": ("LinearLR", {"start_factor": 2.0}),
    "LinearLR.iters0": ("LinearLR", {"total_iters": 0}),
    "LinearLR.iters_neg": ("LinearLR", {"total_iters": -2}),
    "OneCycle.total0": ("OneCycleLR", {"max_lr": 0.1, "total_steps": 0}),
    "OneCycle.none": ("OneCycleLR", {"max_lr": 0.1}),
    "OneCycle.overstep": ("OneCycleLR", {"max_lr": 0.1, "total_steps": 2}),
    "OneCycle.pct_big": ("OneCycleLR", {"max_lr": 0.1, "total_steps": 10, "pct_start": 1.5}),
    "OneCycle.anneal_bad": ("OneCycleLR", {"max_lr": 0.1, "total_steps": 10, "anneal_strategy": "x"}),
    "WarmRestarts.T0": ("CosineAnnealingWarmRestarts", {"T_0": 0}),
    "WarmRestarts.Tmult": ("CosineAnnealingWarmRestarts", {"T_0": 2, "T_mult": 0}),
    "WarmRestarts.Tfloat": ("CosineAnnealingWarmRestarts", {"T_0": 2.5}),
}
for sn, (cls, kw) in SCHED.items():
    case(f"sched.{sn}", "sched", (lambda c=cls, kw=kw: _sched(nnlearn, c, kw)), "torch",
         oracle=(lambda c=cls, kw=kw: _sched(torch, c, kw)))

LAMBDAS = {
    "none": lambda e: None, "str": lambda e: "0.5", "nan": lambda e: float("nan"),
    "neg": lambda e: -1.0, "raises": lambda e: 1 / 0, "list": lambda e: [1.0],
    "tensor": lambda e: np.float64(0.5), "complex": lambda e: 1j,
}
for ln, lam in LAMBDAS.items():
    case(f"sched.LambdaLR.{ln}", "sched", (lambda lam=lam: _sched(nnlearn, "LambdaLR", {}, lam=lam)),
         "torch", oracle=(lambda lam=lam: _sched(torch, "LambdaLR", {}, lam=lam)))
case("sched.LambdaLR.notcallable", "sched", lambda: _sched(nnlearn, "LambdaLR", {"lr_lambda": 0.5}),
     "torch", oracle=lambda: _sched(torch, "LambdaLR", {"lr_lambda": 0.5}))
case("sched.not_optimizer", "sched", lambda: lr_scheduler.StepLR("opt", 1), "torch",
     oracle=lambda: torch.optim.lr_scheduler.StepLR("opt", 1))


def _plateau(m, kw, metrics):
    p = m.nn.Parameter(m.tensor([1.0]))
    opt = m.optim.SGD([p], lr=0.1)
    s = m.optim.lr_scheduler.ReduceLROnPlateau(opt, **kw)
    for v in metrics:
        s.step(v)
    return opt.param_groups[0]["lr"]


PLAT = {
    "mode_bad": ({"mode": "bigger"}, [1.0]),
    "factor_one": ({"factor": 1.0}, [1.0]),
    "factor_neg": ({"factor": -0.5}, [1.0]),
    "patience_neg": ({"patience": -1}, [1.0, 1.0]),
    "threshold_mode_bad": ({"threshold_mode": "x"}, [1.0]),
    "metric_nan": ({"patience": 0}, [1.0, float("nan"), float("nan")]),
    "metric_str": ({}, ["0.5"]),
    "metric_none": ({}, [None]),
    "metric_tensor": ({"patience": 0}, ["T1", "T2", "T2"]),
    "min_lr_list_len": ({"min_lr": [0.0, 0.0]}, [1.0]),
}
for pn, (kw, ms) in PLAT.items():
    def fn(m, kw=kw, ms=ms):
        ms = [m.tensor(1.0) if v == "T1" else m.tensor(2.0) if v == "T2" else v for v in ms]
        return _plateau(m, kw, ms)
    case(f"sched.Plateau.{pn}", "sched", (lambda fn=fn: fn(nnlearn)), "torch", oracle=(lambda fn=fn: fn(torch)))


def _sched_lsd(bad):
    def fn():
        p = nn.Parameter(np.array([1.0]))
        opt = optim.SGD([p], lr=0.1)
        s = lr_scheduler.StepLR(opt, 2)
        s.step()
        before = dict(s.state_dict())
        e = raises(lambda: s.load_state_dict(bad))
        if s.state_dict() != before:
            raise Silent(f"scheduler changed after a failed load: {e}")
        raise e
    return fn


for sn, bad in {"none": None, "list": [1], "str": "x", "wrong_keys": {"foo": 1},
                "epoch_str": {"last_epoch": "three"}}.items():
    case(f"sched.load_state_dict.{sn}", "sched", _sched_lsd(bad), "error")


# ============================================================== save / load
def _tmp(data: bytes | None = None, suffix=".pt"):
    fd, path = tempfile.mkstemp(suffix=suffix)
    os.close(fd)
    if data is not None:
        with open(path, "wb") as fh:
            fh.write(data)
    return path


CANARY = os.path.join(tempfile.gettempdir(), "nnlearn_probe_canary")


class _Evil:
    def __reduce__(self):
        return (os.system, (f"touch {CANARY}",))


def _good_file():
    path = _tmp()
    nnlearn.save({"w": Tensor([1.0, 2.0]), "n": 3}, path)
    return path


def _load_expect_error(make):
    def fn():
        if os.path.exists(CANARY):
            os.remove(CANARY)
        path = make()
        try:
            nnlearn.load(path)
        finally:
            if os.path.exists(CANARY):
                raise Silent("a hostile pickle executed code during load")
    return fn


def _trunc(n):
    def make():
        p = _good_file()
        data = open(p, "rb").read()
        open(p, "wb").write(data[:n] if n >= 0 else data[:len(data) + n])
        return p
    return make


LOADS = {
    "empty_file": lambda: _tmp(b""),
    "random_bytes": lambda: _tmp(os.urandom(256)),
    "text": lambda: _tmp(b"hello world\n"),
    "truncated_10": _trunc(10),
    "truncated_half": lambda: _trunc(len(open(_good_file(), "rb").read()) // 2)(),
    "truncated_minus1": _trunc(-1),
    "evil_pickle": lambda: _tmp(pickle.dumps(_Evil())),
    "evil_pickle_in_dict": lambda: _tmp(pickle.dumps({"state": _Evil()})),
    "torch_save_evil": lambda: (lambda p: (torch.save({"x": _Evil()}, p), p)[1])(_tmp()),
    "zip_garbage": lambda: _tmp(b"PK\x03\x04" + os.urandom(100)),
    "directory": lambda: tempfile.mkdtemp(),
    "missing": lambda: "/nonexistent/dir/file.pt",
    "npz": lambda: (lambda p: (np.savez(p, a=np.ones(2)), p)[1])(_tmp(suffix=".npz")),
}
for ln, make in LOADS.items():
    case(f"io.load.{ln}", "io", _load_expect_error(make), "error")


def _torch_saved_plain():
    p = _tmp()
    torch.save({"w": torch.ones(2)}, p)
    return nnlearn.load(p)


case("io.load.torch_plain_dict", "io", _torch_saved_plain, "either",
     check=lambda r: same(r["w"], np.ones(2)))

SAVES = {
    "lambda": lambda p: nnlearn.save({"f": lambda x: x}, p),
    "open_file_obj": lambda p: nnlearn.save({"f": open(p + ".x", "w")}, p),
    "none_path": lambda p: nnlearn.save({"a": 1}, None),
    "int_path": lambda p: nnlearn.save({"a": 1}, 3.5),
    "dir_path": lambda p: nnlearn.save({"a": 1}, tempfile.mkdtemp()),
    "missing_dir": lambda p: nnlearn.save({"a": 1}, "/nonexistent/dir/x.pt"),
    "recursive": lambda p: nnlearn.save(_rec, p),
    "generator": lambda p: nnlearn.save(_gen(), p),
}
for sn, fn in SAVES.items():
    case(f"io.save.{sn}", "io", (lambda fn=fn: fn(_tmp())), "error")


def _roundtrip(obj, cmp):
    def fn():
        p = _tmp()
        nnlearn.save(obj(), p)
        return nnlearn.load(p)
    return fn


RT = {
    "module_sd": (lambda: nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2)).state_dict(), None),
    "opt_sd": (lambda: (lambda p: (optim.Adam([p]).state_dict()))(nn.Parameter(np.ones(2))), None),
    "nested": (lambda: {"a": [1, (2.0, "x")], "b": {"c": None, "t": Tensor([1.0])}}, None),
    "f32": (lambda: nnlearn.tensor([1.0], dtype=nnlearn.float32), None),
    "int_tensor": (lambda: nnlearn.tensor([1, 2]), None),
    "nan_tensor": (lambda: Tensor([np.nan, np.inf]), None),
    "empty_tensor": (lambda: Tensor(np.zeros((0, 3))), None),
    "numpy_array": (lambda: np.arange(3), None),
    "bigint": (lambda: {"n": 10 ** 30}, None),
    "rg_tensor": (lambda: nnlearn.tensor([1.0], requires_grad=True), None),
}


def _rt_check(name, obj):
    def check(r):
        o = obj()
        if name == "module_sd":
            return list(r) == list(o) and all(np.shape(to_np(r[k])) == np.shape(to_np(o[k])) for k in o)
        if name == "opt_sd":
            return r["param_groups"] == o["param_groups"]
        if name == "nested":
            return r["a"] == [1, (2.0, "x")] and r["b"]["c"] is None and same(r["b"]["t"], np.array([1.0]))
        if name == "rg_tensor":
            return same(r, o) and r.requires_grad
        if name == "f32":
            return same(r, o) and str(r.dtype) == str(o.dtype)
        if name == "bigint":
            return r == o
        if name == "numpy_array":
            return isinstance(r, np.ndarray) and r.tolist() == [0, 1, 2]
        return same(r, o)
    return check


for rn, (obj, _) in RT.items():
    case(f"io.roundtrip.{rn}", "io", _roundtrip(obj, None), "ok", check=_rt_check(rn, obj))


# ============================================================== utils.data and nnlearn.data
from nnlearn.utils import data as ud  # noqa: E402
from nnlearn import data as nd  # noqa: E402


def _ud(fn):
    return lambda m: fn(m, ud if m is nnlearn else torch.utils.data)


UD = {
    "td_mismatch": _ud(lambda m, D: D.TensorDataset(m.ones(3, 2), m.ones(4))),
    "td_empty": _ud(lambda m, D: len(D.TensorDataset())),
    "td_0d": _ud(lambda m, D: D.TensorDataset(m.tensor(1.0))),
    "td_list": _ud(lambda m, D: D.TensorDataset([1, 2, 3])),
    "td_index_oob": _ud(lambda m, D: D.TensorDataset(m.ones(3, 2))[5]),
    "dl_bs0": _ud(lambda m, D: D.DataLoader(D.TensorDataset(m.ones(3, 2)), batch_size=0)),
    "dl_bsneg": _ud(lambda m, D: D.DataLoader(D.TensorDataset(m.ones(3, 2)), batch_size=-1)),
    "dl_bsfloat": _ud(lambda m, D: D.DataLoader(D.TensorDataset(m.ones(3, 2)), batch_size=1.5)),
    "dl_bsstr": _ud(lambda m, D: D.DataLoader(D.TensorDataset(m.ones(3, 2)), batch_size="2")),
    "dl_bs_none_iter": _ud(lambda m, D: [b[0].shape for b in D.DataLoader(D.TensorDataset(m.ones(3, 2)),
                                                                           batch_size=None)]),
    "dl_empty_iter": _ud(lambda m, D: list(D.DataLoader(D.TensorDataset(m.ones(0, 2)), batch_size=2))),
    "dl_len_droplast": _ud(lambda m, D: len(D.DataLoader(D.TensorDataset(m.ones(3, 2)), batch_size=5,
                                                         drop_last=True))),
    "dl_not_dataset": _ud(lambda m, D: list(D.DataLoader(5, batch_size=2))),
    "dl_list_dataset": _ud(lambda m, D: [b.shape for b in D.DataLoader([m.ones(2), m.ones(2)], batch_size=2)]),
    "dl_ragged_collate": _ud(lambda m, D: list(D.DataLoader([m.ones(2), m.ones(3)], batch_size=2))),
    "dl_mixed_collate": _ud(lambda m, D: list(D.DataLoader([m.ones(2), "a"], batch_size=2))),
    "dl_none_collate": _ud(lambda m, D: list(D.DataLoader([None, None], batch_size=2))),
    "dl_dict_collate": _ud(lambda m, D: [b["a"] for b in D.DataLoader([{"a": 1.0}, {"a": 2.0}], batch_size=2)]),
    "dl_sampler_and_shuffle": _ud(lambda m, D: D.DataLoader([1, 2], batch_size=1, shuffle=True,
                                                            sampler=[0, 1])),
    "random_split_bad": _ud(lambda m, D: D.random_split(D.TensorDataset(m.ones(4, 1)), [3, 3])),
    "random_split_neg": _ud(lambda m, D: D.random_split(D.TensorDataset(m.ones(4, 1)), [5, -1])),
    "subset_oob": _ud(lambda m, D: D.Subset(D.TensorDataset(m.ones(3, 1)), [7])[0]),
}
for un, fn in UD.items():
    if not all(hasattr(ud, n) for n in ("random_split", "Subset")) and un.startswith(("random_split", "subset")):
        continue  # not part of nnlearn's API
    case(f"utils_data.{un}", "data", (lambda fn=fn: fn(nnlearn)), "torch", oracle=(lambda fn=fn: fn(torch)))

_X = np.random.default_rng(0).standard_normal((10, 2))
_y = (np.arange(10) % 2)
ND = {
    "dl_bs0": lambda: nd.DataLoader(_X, _y, batch_size=0),
    "dl_mismatch": lambda: nd.DataLoader(_X, _y[:5], batch_size=2),

    "dl_str": lambda: nd.DataLoader("abc", batch_size=2),
    "dl_none_X": lambda: nd.DataLoader(None, batch_size=2),
    "dl_ragged": lambda: nd.DataLoader([[1.0, 2.0], [3.0]], batch_size=2),

    "split_sizes_big": lambda: nd.train_val_test_split(_X, _y, val_size=0.6, test_size=0.6),
    "split_neg": lambda: nd.train_val_test_split(_X, _y, val_size=-0.1),
    "split_mismatch": lambda: nd.train_val_test_split(_X, _y[:3]),
    "split_tiny": lambda: nd.train_val_test_split(_X[:2], _y[:2]),
    "split_stratify_bad": lambda: nd.train_val_test_split(_X, _y, stratify=np.arange(3)),
    "scaler_nan": lambda: nd.StandardScaler().fit(np.array([[1.0], [np.nan], [3.0]])),
    "scaler_inf": lambda: nd.StandardScaler().fit(np.array([[1.0], [np.inf]])),
    "scaler_empty": lambda: nd.StandardScaler().fit(np.zeros((0, 2))),
    "scaler_unfitted": lambda: nd.StandardScaler().transform(_X),
    "scaler_wrong_cols": lambda: nd.StandardScaler().fit(_X).transform(np.ones((3, 5))),
    "scaler_1d": lambda: nd.StandardScaler().fit(np.array([1.0, 2.0, 3.0])),
    "scaler_str": lambda: nd.StandardScaler().fit([["a"]]),
    "whitener_one_row": lambda: nd.Whitener().fit(np.ones((1, 3))),
    "one_hot_neg": lambda: nd.one_hot(np.array([-1, 0])),
    "one_hot_float": lambda: nd.one_hot(np.array([0.5, 1.0])),
    "one_hot_small_nc": lambda: nd.one_hot(np.array([0, 5]), num_classes=3),
    "one_hot_empty": lambda: nd.one_hot(np.array([], dtype=int)),
    "one_hot_str": lambda: nd.one_hot(np.array(["a", "b"])),
    "moons_n0": lambda: nd.two_moons(n=0),
    "moons_noise_inf": lambda: nd.two_moons(noise=float("inf")),
    "moons_noise_neg": lambda: nd.two_moons(noise=-1.0),
    "moons_seed_str": lambda: nd.two_moons(seed="a"),
    "spirals_classes0": lambda: nd.spirals(classes=0),
    "spirals_n_float": lambda: nd.spirals(n=10.5),
    "blobs_std_nan": lambda: nd.blobs(std=float("nan")),
    "blobs_centers_neg": lambda: nd.blobs(centers=-1),
    "sinusoid_n_neg": lambda: nd.sinusoid(n=-5),
    "xor_n_str": lambda: nd.xor(n="10"),
    "hastie_features0": lambda: nd.hastie_10_2(n_features=0),
    "gabor_n0": lambda: nd.gabor_data(n=0),

    "pixel_shifts_shape": lambda: nd.augment.pixel_shifts(np.ones((2, 10)), np.zeros(2), shape=(8, 8))
    if hasattr(nd, "augment") else (_ for _ in ()).throw(ValueError("no augment")),
}
for dn, fn in ND.items():
    case(f"data.{dn}", "data", fn, "error")

case("data.scaler_const_column", "data",
     lambda: nd.StandardScaler().fit_transform(np.array([[1.0, 2.0], [1.0, 3.0]])), "ok",
     check=lambda r: bool(np.isfinite(np.asarray(r)).all()))
case("data.dl_len", "data", lambda: len(nd.DataLoader(_X, _y, batch_size=3)), "ok", check=lambda r: r == 4)


# ============================================================== gradcheck
from nnlearn import gradcheck as gc  # noqa: E402


def _gc(f, *inputs, **kw):
    return lambda: gc.gradcheck(f, *inputs, **kw)


def _x(v=(1.0, 2.0), rg=True):
    return Tensor(np.array(v), requires_grad=rg)


GC = {
    "nonscalar_out": (_gc(lambda x: x * 2, _x()), "either"),
    "non_tensor_out": (_gc(lambda x: 3.0, _x()), "error"),
    "none_out": (_gc(lambda x: None, _x()), "error"),
    "no_rg_input": (_gc(lambda x: (x * x).sum(), _x(rg=False)), "either"),
    "int_input": (_gc(lambda x: (x * x).sum(), nnlearn.tensor([1, 2])), "error"),
    "eps0": (_gc(lambda x: (x * x).sum(), _x(), eps=0.0), "error"),
    "eps_neg": (_gc(lambda x: (x * x).sum(), _x(), eps=-1e-6), "error"),
    "eps_str": (_gc(lambda x: (x * x).sum(), _x(), eps="1e-6"), "error"),
    "nan_input": (_gc(lambda x: (x * x).sum(), _x((np.nan, 1.0))), "nan"),
    "no_dependency": (_gc(lambda x: Tensor(1.0, requires_grad=True) * 1.0, _x()), "either"),
    "no_inputs": (_gc(lambda: Tensor(1.0)), "error"),
    "list_input": (_gc(lambda x: (x * x).sum(), [1.0, 2.0]), "error"),
    "f_raises": (_gc(lambda x: 1 / 0, _x()), "error"),
    "wrong_grad": (lambda: gc.assert_gradients_close(
        lambda x: nnlearn.autograd.Function and _wrong_grad(x), _x()), "error"),
    "nan_first": (_gc(lambda y, x: (y.abs() ** 0.5).sum() + x.sum(), _x((0.0,)), _x()), "nan"),
    "nan_second_gc": (_gc(lambda x, y: x.sum() + (y.abs() ** 0.5).sum(), _x(), _x((0.0,))), "nan"),
    "nan_second": (lambda: gc.assert_gradients_close(lambda x, y: x.sum() + (y.abs() ** 0.5).sum(),
                                                     _x(), _x((0.0,))), "error"),
    "empty_input": (_gc(lambda x: x.sum(), Tensor(np.zeros(0), requires_grad=True)), "either"),
    "f32_input": (_gc(lambda x: (x * x).sum(), nnlearn.tensor([1.0, 2.0], dtype=nnlearn.float32,
                                                             requires_grad=True)), "either"),
    "not_callable": (_gc("x**2", _x()), "error"),
    "huge_output": (_gc(lambda x: (x * 1e300).sum() * 1e300, _x()), "nan"),
}


def _wrong_grad(x):
    class Bad(nnlearn.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return g * a * 3.0
    return Bad.apply(x).sum()


for gn, (fn, exp) in GC.items():
    if exp == "nan":  # gradcheck returns the error; with a NaN it must be NaN (never a pass)
        case(f"gradcheck.{gn}", "gradcheck", fn, "either", check=lambda r: not (float(r) < 1e-3))
    elif exp == "either":
        case(f"gradcheck.{gn}", "gradcheck", fn, "either")
    else:
        case(f"gradcheck.{gn}", "gradcheck", fn, "error")


def _gc_ok():
    return gc.gradcheck(lambda x: (x * x).sum(), _x())


case("gradcheck.ok_small", "gradcheck", _gc_ok, "ok", check=lambda r: float(r) < 1e-6)


# ============================================================== autodiff Value / trace
from nnlearn.autodiff import Value, trace  # noqa: E402
from nnlearn.autodiff import path_products  # noqa: E402


def _vbw(expr):
    def fn():
        x = Value(2.0)
        y = expr(x)
        y.backward()
        return (y.data, x.grad)
    return fn


VAL = {
    "str": lambda: Value("a"),
    "none": lambda: Value(None),
    "list": lambda: Value([1.0, 2.0]),
    "complex": lambda: Value(1j),
    "tensor": lambda: Value(Tensor([1.0, 2.0])),
    "ndarray2": lambda: Value(np.array([1.0, 2.0])),
    "bool_ok": lambda: Value(True) + 1,
    "div0": lambda: Value(1.0) / 0,
    "div0_value": lambda: Value(1.0) / Value(0.0),
    "log_neg": lambda: Value(-1.0).log(),
    "log0": lambda: Value(0.0).log(),
    "pow_value": lambda: Value(2.0) ** Value(3.0),
    "pow_str": lambda: Value(2.0) ** "3",
    "neg_pow_frac": lambda: Value(-8.0) ** (1 / 3),

    "overflow_pow": lambda: Value(1e200) ** 2,
    "overflow_exp": lambda: Value(1000.0).exp(),
    "add_str": lambda: Value(1.0) + "a",
    "add_tensor": lambda: Value(1.0) + Tensor([1.0]),
    "tensor_add_value": lambda: Tensor([1.0]) + Value(1.0),
    "lt_str": lambda: Value(1.0) < "a",
    "bw_twice": lambda: (lambda y: (y.backward(), y.backward()))(Value(2.0) * Value(3.0)),
    "nan_data": lambda: Value(float("nan")).tanh().data,
    "hugeint": lambda: Value(10 ** 400),
}
for vn, fn in VAL.items():
    case(f"autodiff.value.{vn}", "autodiff", fn, "either" if vn in ("bool_ok", "nan_data") else "error")

VBW = {
    "sqrt0": lambda x: (x - 2.0) ** 0.5,
    "pow0_0": lambda x: (x - 2.0) ** 0,
    "log0": lambda x: (x - 2.0).log(),
    "div_by0": lambda x: 1.0 / (x - 2.0),
    "exp_big": lambda x: (x * 1000).exp(),
    "relu_kink": lambda x: (x - 2.0).relu(),
}
for vn, ex in VBW.items():
    case(f"autodiff.backward.{vn}", "autodiff", _vbw(ex), "either",
         check=lambda r: isinstance(r, tuple))

TR = {
    "no_inputs": lambda: trace(lambda: Value(1.0)),
    "str_input": lambda: trace(lambda x: x * 2, x="a"),
    "none_input": lambda: trace(lambda x: x * 2, x=None),
    "list_input": lambda: trace(lambda x: x * 2, x=[1.0, 2.0]),
    "returns_float": lambda: trace(lambda x: 3.0, x=1.0),
    "returns_none": lambda: trace(lambda x: None, x=1.0),
    "returns_tuple": lambda: trace(lambda x: (x, x), x=1.0),
    "f_raises": lambda: trace(lambda x: x / 0, x=1.0),
    "not_callable": lambda: trace("x*2", x=1.0),
    "unused_input": lambda: trace(lambda x, y: x * 2, x=1.0, y=2.0).gradients,
    "extra_kw": lambda: trace(lambda x: x * 2, x=1.0, y=2.0),
    "missing_kw": lambda: trace(lambda x, y: x * y, x=1.0),
    "tangent_bad_wrt": lambda: trace(lambda x: x * 2, x=1.0).tangent_table(wrt="nope"),
    "numbering_bad": lambda: trace(lambda x: x * 2, numbering="weird", x=1.0),
    "nan_input": lambda: trace(lambda x: x * 2, x=float("nan")).output,
    "f_returns_input": lambda: trace(lambda x: x, x=1.0).gradients,
    "path_products_big": lambda: path_products(*_squarings(40)),
    "path_products_not_value": lambda: path_products(1.0, 2.0),
    "path_products_unrelated": lambda: path_products(Value(1.0) * 2, Value(3.0)),
    "finite_diff_h0": lambda: nnlearn.autodiff.finite_difference(lambda x: x * x, "x", h=0.0, x=1.0),
    "finite_diff_wrt_bad": lambda: nnlearn.autodiff.finite_difference(lambda x: x * x, "y", x=1.0),
}


def _squarings(n):
    x = Value(1.0001)
    y = x
    for _ in range(n):
        y = y * y
    return y, x


for tn, fn in TR.items():
    exp = "either" if tn in ("unused_input", "nan_input", "f_returns_input", "path_products_unrelated",
                             "path_products_big") else "error"
    case(f"autodiff.trace.{tn}", "autodiff", fn, exp)


def _deep_chain():
    x = Value(1.0)
    y = x
    for _ in range(200_000):
        y = y + 1.0
    y.backward()
    return x.grad


case("autodiff.deep_chain", "autodiff", _deep_chain, "ok", check=lambda r: r == 1.0, timeout=60)

MODES = {
    "jvp_len": lambda: nnlearn.autodiff.jvp(lambda a, b: a * b, [1.0, 2.0], [1.0]),
    "vjp_bad": lambda: nnlearn.autodiff.vjp(lambda a: a * 2, [1.0], "x"),
    "jac_fwd_str": lambda: nnlearn.autodiff.jacobian_forward(lambda a: a * 2, ["a"]),
    "jac_rev_empty": lambda: nnlearn.autodiff.jacobian_reverse(lambda: Value(1.0), []),
    "graph_size_bad": lambda: nnlearn.autodiff.graph_size(None, [1.0]),
    "dual_str": lambda: nnlearn.autodiff.dual.Dual("a", 1.0) * 2,
    "draw_not_value": lambda: nnlearn.autodiff.graph.draw(3.0),
}
for mn, fn in MODES.items():
    case(f"autodiff.modes.{mn}", "autodiff", fn, "error")


# ============================================================== backends and threads
def _thread_no_grad():
    ev1, ev2 = threading.Event(), threading.Event()

    def other():
        with nnlearn.no_grad():
            ev1.set()
            ev2.wait(5)
    t = threading.Thread(target=other)
    t.start()
    ev1.wait(5)
    x = Tensor([1.0], requires_grad=True)
    y = (x * 2).sum()
    ev2.set()
    t.join()
    y.backward()
    return np.asarray(x.grad).tolist()


case("backend.thread_no_grad", "backend", _thread_no_grad, "ok", check=lambda r: r == [2.0])


def _thread_backend():
    ev1, ev2 = threading.Event(), threading.Event()

    def other():
        with backend.use("torch"):
            ev1.set()
            ev2.wait(5)
    t = threading.Thread(target=other)
    t.start()
    ev1.wait(5)
    name = backend.current().name
    x = Tensor([1.0])
    ev2.set()
    t.join()
    return (name, type(x.data).__module__.split(".")[0])


case("backend.thread_use", "backend", _thread_backend, "ok", check=lambda r: r[0] == "numpy")


def _thread_dtype():
    ev1, ev2 = threading.Event(), threading.Event()

    def other():
        nnlearn.set_default_dtype(nnlearn.float32)
        ev1.set()
        ev2.wait(5)
    t = threading.Thread(target=other)
    t.start()
    ev1.wait(5)
    d = str(Tensor([1.0]).dtype)
    ev2.set()
    t.join()
    return d


case("backend.thread_default_dtype", "backend", _thread_dtype, "either")


def _many_threads():
    errs = []

    def work(i):
        try:
            name = "torch" if i % 2 else "numpy"
            with backend.use(name):
                for _ in range(20):
                    x = nnlearn.tensor([1.0, 2.0], requires_grad=True)
                    (x * x).sum().backward()
                    if backend.current().name != name:
                        errs.append(f"thread {i} saw {backend.current().name}")
                    if not same(x.grad, [2.0, 4.0]):
                        errs.append("bad grad")
        except Exception as e:  # noqa: BLE001
            errs.append(repr(e))
    ts = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    return errs


case("backend.many_threads", "backend", _many_threads, "ok", check=lambda r: r == [], timeout=60)

BK = {
    "use_bad": lambda: backend.use("tpu"),
    "use_none": lambda: backend.use(None),
    "use_int": lambda: backend.use(3),
    "use_cuda_nogpu": lambda: backend.use("cuda"),
    "dtype_bad": lambda: nnlearn.set_default_dtype("int64"),
    "dtype_str_bad": lambda: nnlearn.set_default_dtype("float128x"),
    "dtype_none": lambda: nnlearn.set_default_dtype(None),
    "seed_neg": lambda: nnlearn.manual_seed(-1),
    "seed_float": lambda: nnlearn.manual_seed(1.5),
    "seed_str": lambda: nnlearn.manual_seed("abc"),
    "seed_huge": lambda: nnlearn.manual_seed(2 ** 70),
    "mix_add": lambda: Tensor([1.0]) + _torch_tensor(),
    "mix_lt": lambda: Tensor([1.0]) < _torch_tensor(),
    "mix_matmul": lambda: Tensor([[1.0]]) @ _torch_tensor2(),
    "mix_cat": lambda: nnlearn.cat([Tensor([1.0]), _torch_tensor()]),
    "mix_loss": lambda: losses.cross_entropy(Tensor([[1.0, 2.0]]), _torch_label()),
    "mix_linear": lambda: nn.Linear(1, 1)(_torch_tensor2()),
    "raw_torch_in_numpy": lambda: (nn.Linear(2, 1)(torch.ones(3, 2))).shape,
    "to_numpy_rg": lambda: Tensor([1.0], requires_grad=True).numpy(),
}


def _torch_tensor():
    with backend.use("torch"):
        return Tensor([1.0])


def _torch_tensor2():
    with backend.use("torch"):
        return Tensor([[1.0]])


def _torch_label():
    with backend.use("torch"):
        return nnlearn.tensor([1])


for bn, fn in BK.items():
    exp = "either" if bn in ("seed_huge", "seed_neg", "raw_torch_in_numpy", "to_numpy_rg") else "error"
    case(f"backend.{bn}", "backend", fn, exp)


def _default_dtype_restored():
    try:
        with backend.use("torch"):
            nnlearn.set_default_dtype(nnlearn.float32)
            raise RuntimeError("x")
    except RuntimeError:
        pass
    return (str(nnlearn.get_default_dtype()), str(Tensor([1.0]).dtype))


case("backend.dtype_in_with", "backend", _default_dtype_restored, "ok",
     check=lambda r: ("float32" in r[0]) == ("float32" in r[1]))

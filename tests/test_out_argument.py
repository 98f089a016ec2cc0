"""``nnlearn.matmul(a, b, out=t)`` and the other function forms with ``out=``,
against PyTorch."""

import numpy as np
import pytest
import torch

import nnlearn

from conftest import as_numpy

A = np.arange(6.0, dtype=np.float32).reshape(2, 3)


@pytest.mark.parametrize("name, args", [
    ("matmul", lambda m, a: (a, a.T)),
    ("mul", lambda m, a: (a, a)),
    ("add", lambda m, a: (a, 1.5)),
    ("exp", lambda m, a: (a,)),
])
def test_out_writes_the_result_in_place_as_pytorch(backend_name, name, args):
    results = []
    for m in (nnlearn, torch):
        a = m.tensor(A)
        shape = tuple(getattr(m, name)(*args(m, a)).shape)
        if name == "matmul":   # matrix products want out's dtype to be the result's
            with pytest.raises(RuntimeError, match="(?i)expected out tensor to have dtype"):
                getattr(m, name)(*args(m, a), out=m.zeros(shape, dtype=m.float64))
            wide = m.float32
        else:                  # elementwise ones cast to a wider out tensor
            wide = m.float64
        out = m.zeros(shape, dtype=wide)
        ret = getattr(m, name)(*args(m, a), out=out)
        assert ret is out
        assert str(out.dtype).replace("torch.", "") == str(wide).replace("torch.", "")
        results.append(as_numpy(out))
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6)
    assert np.abs(results[0]).sum() > 0


def test_out_rules_raise_as_pytorch(backend_name):
    a = nnlearn.tensor(A)
    for m, x, msg in ((torch, torch.tensor(A), "can't be cast"), (nnlearn, a, "can't be cast")):
        with pytest.raises(RuntimeError, match=msg):
            m.mul(x, x, out=m.zeros(2, 3, dtype=m.int64))
    w = nnlearn.tensor(A, requires_grad=True)
    tw = torch.tensor(A, requires_grad=True)
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        torch.mul(tw, tw, out=torch.zeros(2, 3))
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        nnlearn.mul(w, w, out=nnlearn.zeros(2, 3))
    with nnlearn.no_grad():
        out = nnlearn.mul(w, w, out=nnlearn.zeros(2, 3))
    np.testing.assert_allclose(as_numpy(out), A * A)
    with pytest.raises(RuntimeError, match="does not resize"):
        nnlearn.mul(a, a, out=nnlearn.zeros(3, 2))
    empty = nnlearn.zeros(0)
    assert nnlearn.mul(a, a, out=empty).shape == (2, 3)        # an empty out is resized
    np.testing.assert_allclose(as_numpy(empty), A * A)

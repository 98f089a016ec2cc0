"""nnlearn.save / nnlearn.load: round trips on both backends, and files that must not run code."""

import io
import os
import pickle

import numpy as np
import pytest
import torch

import nnlearn
from nnlearn import Tensor, backend, nn, optim
from nnlearn.serialization import load, save

from conftest import as_numpy


def make():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
    return model, optim.Adam(model.parameters(), lr=0.01, betas=(0.8, 0.9))


def train(model, opt, steps, seed):
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        x, y = rng.standard_normal((8, 3)), rng.integers(0, 2, 8)
        with backend.use(model[0].weight.backend.name):
            xb = Tensor(x)
        opt.zero_grad()
        nnlearn.losses.cross_entropy(model(xb), y).backward()
        opt.step()


@pytest.mark.parametrize("to_file", [False, True])
def test_checkpoint_round_trip_resumes_training_identically(backend_name, tmp_path, to_file):
    nnlearn.manual_seed(0)
    model, opt = make()
    train(model, opt, 5, seed=1)
    checkpoint = {"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 5,
                  "note": "after warm-up", "history": [0.5, float("nan"), None, True]}
    target = tmp_path / "checkpoint.pt" if to_file else io.BytesIO()
    save(checkpoint, target)
    if to_file:
        assert os.listdir(tmp_path) == ["checkpoint.pt"]        # no .npz appended
    else:
        target.seek(0)
    train(model, opt, 5, seed=2)
    expected = {k: as_numpy(v) for k, v in model.state_dict().items()}

    loaded = load(target)
    assert loaded["epoch"] == 5 and loaded["note"] == "after warm-up"
    assert loaded["history"][0] == 0.5 and np.isnan(loaded["history"][1]) and loaded["history"][2:] == [None, True]
    assert list(loaded["model"]) == list(checkpoint["model"])
    assert backend.backend_of(loaded["model"]["0.weight"]) == backend_name
    nnlearn.manual_seed(7)
    model2, opt2 = make()
    model2.load_state_dict(loaded["model"])
    opt2.load_state_dict(loaded["optimizer"])
    assert opt2.param_groups[0]["betas"] == (0.8, 0.9)
    train(model2, opt2, 5, seed=2)
    for k, v in model2.state_dict().items():
        np.testing.assert_array_equal(as_numpy(v), expected[k], err_msg=k)


def test_tensors_keep_dtype_backend_and_kind():
    with backend.use("torch"):
        t = Tensor(np.arange(3.0), requires_grad=True)
    p = nn.Parameter(np.ones(2))
    obj = {"t": t, "p": p, "ints": np.arange(4, dtype=np.int32), "f32": np.ones(2, np.float32),
           3: "int key", (1, 2): "tuple key"}
    buf = io.BytesIO()
    save(obj, buf)
    buf.seek(0)
    out = load(buf)
    assert out["t"].backend.name == "torch" and out["t"].requires_grad
    assert isinstance(out["p"], nn.Parameter) and out["p"].requires_grad
    assert out["ints"].dtype == np.int32 and out["f32"].dtype == np.float32
    assert out[3] == "int key" and out[(1, 2)] == "tuple key"
    buf.seek(0)
    moved = load(buf, map_location="numpy")
    assert moved["t"].backend.name == "numpy"
    np.testing.assert_array_equal(as_numpy(moved["t"]), [0, 1, 2])


def test_unsupported_objects_are_refused():
    with pytest.raises(TypeError, match="Save model.state_dict\\(\\) rather than the model itself"):
        save(nn.Linear(2, 2), io.BytesIO())
    with pytest.raises(TypeError, match="not object"):
        save({"x": object()}, io.BytesIO())


class Exploit:
    """Unpickling this writes a marker file: the classic pickle attack."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_a_malicious_pickle_is_refused_without_running(tmp_path):
    marker = tmp_path / "pwned"
    evil = tmp_path / "model.pt"
    evil.write_bytes(pickle.dumps({"0.weight": Exploit(str(marker))}))
    pickle.loads(evil.read_bytes())                       # the control: unpickling does run it
    assert marker.exists()
    marker.unlink()
    with pytest.raises(ValueError, match="not an nnlearn file.*never unpickles"):
        load(evil)
    assert not marker.exists()


def test_a_torch_save_file_with_an_exploit_is_refused_without_running(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "torch.pt"
    torch.save({"w": torch.zeros(2), "x": Exploit(str(marker))}, path)
    with pytest.raises(ValueError, match="not an nnlearn file.*torch.load"):
        load(path)
    assert not marker.exists()


def test_an_npz_with_a_pickled_member_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "x.npz"
    structure = np.frombuffer(b'{"format": "nnlearn-npz-1", "object": {"__array__": 0}}', dtype=np.uint8)
    with open(path, "wb") as fh:
        np.savez(fh, structure=structure, a0=np.array([Exploit(str(marker))], dtype=object))
    with pytest.raises(ValueError, match="pickled array"):
        load(path)
    assert not marker.exists()
    with open(path, "wb") as fh:
        np.savez(fh, structure=np.array([Exploit(str(marker))], dtype=object))
    with pytest.raises(ValueError, match="pickled 'structure'"):
        load(path)
    assert not marker.exists()
    with open(path, "wb") as fh:
        np.savez(fh, structure=np.frombuffer(b"not json", dtype=np.uint8))
    with pytest.raises(ValueError, match="not valid JSON"):
        load(path)

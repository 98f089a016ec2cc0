"""nnlearn.backend: selection, errors, conversion and the shared random generator."""

import os

import numpy as np
import pytest

import nnlearn
from nnlearn import backend


def test_use_as_call_and_context_manager():
    before = backend.current().name
    with backend.use("torch") as b:
        assert backend.current().name == "torch" == b.name
        assert backend.backend_of(b.asarray([1.0, 2.0])) == "torch"
    assert backend.current().name == before


def test_unknown_backend_lists_the_valid_names():
    with pytest.raises(backend.BackendError, match="Valid names are: 'numpy', 'torch', 'cuda'"):
        backend.use("tpu")


@pytest.mark.skipif(backend.cuda_is_available(), reason="this machine has a GPU")
def test_cuda_without_a_gpu_says_so_and_names_the_alternatives():
    with pytest.raises(backend.BackendError, match="needs a CUDA GPU.*'torch'.*numpy, torch"):
        backend.use("cuda")


@pytest.mark.gpu
@pytest.mark.skipif(not backend.cuda_is_available(), reason="needs a CUDA device")
def test_cuda_backend_puts_arrays_on_the_gpu():
    with backend.use("cuda") as b:
        a = b.asarray([1.0, 2.0])
        assert a.device.type == "cuda"
        np.testing.assert_array_equal(backend.to_numpy(a), [1.0, 2.0])


def test_integer_arrays_stay_integer_and_floats_take_the_default_dtype():
    b = backend.current()
    assert b.asarray(np.arange(3)).dtype.kind == "i"
    assert b.asarray([1, 2.5]).dtype == np.float64


def test_manual_seed_gives_the_same_numbers_on_every_backend():
    nnlearn.manual_seed(3)
    a = backend.rng().standard_normal(4)
    nnlearn.manual_seed(3)
    b = backend.rng().standard_normal(4)
    np.testing.assert_array_equal(a, b)


def test_fork_rng_leaves_the_callers_generator_untouched():
    nnlearn.manual_seed(5)
    expected = np.random.default_rng(5).standard_normal(3)
    with backend.fork_rng(0) as g:
        inside = g.standard_normal(2)
    np.testing.assert_array_equal(backend.rng().standard_normal(3), expected)
    np.testing.assert_array_equal(inside, np.random.default_rng(0).standard_normal(2))


def test_mixed_backends_are_a_clear_error():
    import torch

    with pytest.raises(backend.BackendError, match="different backends"):
        backend.namespace_of(np.ones(2), torch.ones(2))


@pytest.mark.parametrize("value, expected", [("torch", "torch"), (" NumPy ", "numpy"), ("", "numpy")])
def test_environment_variable_chooses_the_backend_at_import(value, expected):
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", "import nnlearn; print(nnlearn.backend.current().name)"],
        env={**os.environ, "NNLEARN_BACKEND": value}, capture_output=True, text=True, check=True,
    )
    assert out.stdout.strip() == expected


@pytest.mark.parametrize("value, message", [
    ("tpu", "NNLEARN_BACKEND='tpu': unknown backend 'tpu'. Valid names are: 'numpy', 'torch', 'cuda'"),
    pytest.param("cuda", "NNLEARN_BACKEND='cuda': backend 'cuda' needs a CUDA GPU",
                 marks=pytest.mark.skipif(backend.cuda_is_available(), reason="this machine has a GPU")),
])
def test_environment_variable_with_a_bad_name_fails_at_import(value, message):
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", "import nnlearn"],
                         env={**os.environ, "NNLEARN_BACKEND": value}, capture_output=True, text=True)
    assert out.returncode != 0 and message in out.stderr

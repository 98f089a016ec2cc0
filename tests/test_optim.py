"""nnlearn.optim against torch.optim: same hyperparameters, same problem, same trajectory."""

import numpy as np
import pytest
import torch

from nnlearn import backend, optim
from nnlearn.nn import Parameter

BACKENDS = ["numpy", "torch"]

# ---------------------------------------------------------------------------
# The problem: four parameter arrays (the shapes of a 3-5-2 MLP's weights) and a
# smooth non-quadratic objective with coupled coordinates,
#   f(θ) = Σ_k [½ Σ A_k (θ_k − C_k)² + 0.025 Σ θ_k⁴] + ½ (0.3 Σ_k Σ θ_k)²,
# whose gradient is fed to nnlearn and to torch alike, each at its own point.
# ---------------------------------------------------------------------------

_rng = np.random.default_rng(0)
SHAPES = [(5, 3), (5,), (2, 5), (2,)]
INIT = [_rng.normal(size=s) * 0.5 for s in SHAPES]
A = [_rng.uniform(0.1, 3.0, size=s) for s in SHAPES]
C = [_rng.normal(size=s) for s in SHAPES]


def gradients(values):
    s = 0.3 * sum(v.sum() for v in values)
    return [a * (v - c) + 0.1 * v**3 + 0.3 * s for v, a, c in zip(values, A, C)]


def make_params(name):
    with backend.use(name):
        return [Parameter(v.copy()) for v in INIT]


def feed(params, sign=1):
    """Set p.grad (a backend array) to the gradient of sign·f at p."""
    for p, g in zip(params, gradients([backend.to_numpy(p.data) for p in params])):
        p.grad = backend.asarray(sign * g, backend=_backend_of(p))


_BACKENDS = {}


def _backend_of(p):
    name = backend.backend_of(p.data)
    if name not in _BACKENDS:
        with backend.use(name) as b:
            _BACKENDS[name] = b
    return _BACKENDS[name]


def torch_step(tparams, topt, sign=1):
    for t, g in zip(tparams, gradients([t.detach().numpy() for t in tparams])):
        t.grad = torch.from_numpy(sign * g)
    topt.step()


def assert_same(params, tparams, step, tol=1e-10):
    for i, (p, t) in enumerate(zip(params, tparams)):
        np.testing.assert_allclose(
            backend.to_numpy(p.data), t.detach().numpy(), rtol=tol, atol=tol,
            err_msg=f"parameter {i} after step {step}",
        )


CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.5)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.05, momentum=0.8, weight_decay=0.01)),
    ("SGD", dict(lr=0.01, momentum=0.5, weight_decay=0.1, maximize=True)),
    ("Adagrad", dict()),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.01, initial_accumulator_value=0.1)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.005, centered=True)),
    ("RMSprop", dict(lr=0.005, momentum=0.9)),
    ("RMSprop", dict(lr=0.002, alpha=0.95, momentum=0.5, centered=True, weight_decay=0.01)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.01)),
    ("Adadelta", dict(maximize=True)),
    ("Adam", dict()),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), amsgrad=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.05)),
    ("Adam", dict(lr=0.01, weight_decay=0.05, amsgrad=True, eps=1e-6)),
    ("Adam", dict(lr=0.01, maximize=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
]


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("cls,kwargs", CASES, ids=[f"{c}-{k}" for c, k in CASES])
def test_trajectory_matches_torch(cls, kwargs, name):
    params = make_params(name)
    tparams = [torch.tensor(v.copy(), requires_grad=True) for v in INIT]
    opt = getattr(optim, cls)(params, **kwargs)
    topt = getattr(torch.optim, cls)(tparams, **kwargs)
    start = [backend.to_numpy(p.data).copy() for p in params]
    sign = -1 if kwargs.get("maximize") else 1  # maximize -f: a bounded problem
    for step in range(60):
        feed(params, sign)
        opt.step()
        torch_step(tparams, topt, sign)
        assert_same(params, tparams, step)
    # the parameters moved (a test that cannot fail is a defect)
    moved = max(np.abs(backend.to_numpy(p.data) - s).max() for p, s in zip(params, start))
    assert moved > 1e-3


@pytest.mark.parametrize("name", BACKENDS)
def test_updates_in_place_on_backend(name):
    params = make_params(name)
    arrays = [p._data for p in params]
    opt = optim.Adam(params, lr=0.1)
    feed(params)
    opt.step()
    for p, a in zip(params, arrays):
        assert p._data is a
        assert backend.backend_of(p.data) == name


def test_param_groups_match_torch():
    params = make_params("numpy")
    tparams = [torch.tensor(v.copy(), requires_grad=True) for v in INIT]
    groups = lambda ps: [{"params": ps[:2], "lr": 0.1}, {"params": ps[2:], "momentum": 0.5}]
    opt = optim.SGD(groups(params), lr=0.02, momentum=0.9)
    topt = torch.optim.SGD(groups(tparams), lr=0.02, momentum=0.9)
    assert opt.param_groups[0]["momentum"] == 0.9 and opt.param_groups[1]["lr"] == 0.02
    for step in range(50):
        feed(params)
        opt.step()
        torch_step(tparams, topt)
    assert_same(params, tparams, 50)


def test_add_param_group_and_duplicates():
    params = make_params("numpy")
    opt = optim.SGD(params[:2], lr=0.1)
    opt.add_param_group({"params": params[2:], "lr": 0.01})
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.01]
    with pytest.raises(ValueError, match="more than once"):
        opt.add_param_group({"params": params[:1]})
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="Wrap it in a list"):
        optim.SGD(params[0], lr=0.1)
    with pytest.raises(TypeError, match="only optimize Tensors"):
        optim.SGD([np.zeros(3)], lr=0.1)


def test_params_without_grad_are_skipped():
    params = make_params("numpy")
    opt = optim.Adam(params, lr=0.1)
    feed(params)
    params[1].grad = None
    before = np.array(params[1].data)
    opt.step()
    np.testing.assert_array_equal(params[1].data, before)
    assert params[1] not in opt.state and params[0] in opt.state
    assert not np.allclose(params[0].data, INIT[0])


def test_zero_grad():
    params = make_params("numpy")
    opt = optim.SGD(params, lr=0.1)
    feed(params)
    grad_array = params[0].grad
    opt.zero_grad(set_to_none=False)
    assert params[0].grad is grad_array and np.all(grad_array == 0)
    opt.zero_grad()
    assert all(p.grad is None for p in params)


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("cls,kwargs", [
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("RMSprop", dict(lr=0.005, momentum=0.9, centered=True)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adadelta", dict(rho=0.5)),
])
def test_state_dict_round_trip_resumes_identically(cls, kwargs, name):
    params = make_params(name)
    opt = getattr(optim, cls)(params, **kwargs)
    for _ in range(20):
        feed(params)
        opt.step()
    checkpoint = [backend.to_numpy(p.data).copy() for p in params]
    saved = opt.state_dict()
    for _ in range(30):
        feed(params)
        opt.step()
    reference = [backend.to_numpy(p.data).copy() for p in params]

    # the saved state did not change while training went on
    with backend.use(name):
        fresh = [Parameter(c.copy()) for c in checkpoint]
    opt2 = getattr(optim, cls)(fresh, **kwargs)
    opt2.load_state_dict(saved)
    for _ in range(30):
        feed(fresh)
        opt2.step()
    for p, r in zip(fresh, reference):
        np.testing.assert_array_equal(backend.to_numpy(p.data), r)

    # without the state, the resumed run differs (the test can fail)
    with backend.use(name):
        cold = [Parameter(c.copy()) for c in checkpoint]
    opt3 = getattr(optim, cls)(cold, **kwargs)
    for _ in range(30):
        feed(cold)
        opt3.step()
    assert max(np.abs(backend.to_numpy(p.data) - r).max() for p, r in zip(cold, reference)) > 1e-6


def test_state_dict_layout_and_mismatch():
    params = make_params("numpy")
    opt = optim.SGD(params, lr=0.1, momentum=0.9)
    feed(params)
    opt.step()
    sd = opt.state_dict()
    assert sd["param_groups"][0]["params"] == [0, 1, 2, 3]
    assert set(sd["state"]) == {0, 1, 2, 3}
    assert set(sd["state"][0]) == {"momentum_buffer"}
    with pytest.raises(ValueError, match="parameters"):
        optim.SGD(params[:2], lr=0.1).load_state_dict(sd)


@pytest.mark.parametrize("make,match", [
    (lambda p: optim.SGD(p, lr=-0.1), "learning rate"),
    (lambda p: optim.SGD(p, lr=0.1, momentum=-0.5), "momentum"),
    (lambda p: optim.SGD(p, lr=0.1, weight_decay=-1), "weight_decay"),
    (lambda p: optim.SGD(p, lr=0.1, nesterov=True), "Nesterov"),
    (lambda p: optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "Nesterov"),
    (lambda p: optim.Adam(p, betas=(1.0, 0.999)), "index 0"),
    (lambda p: optim.Adam(p, betas=(0.9, -0.1)), "index 1"),
    (lambda p: optim.Adam(p, eps=-1e-8), "eps"),
    (lambda p: optim.AdamW(p, lr=-1), "learning rate"),
    (lambda p: optim.RMSprop(p, alpha=-0.1), "alpha"),
    (lambda p: optim.RMSprop(p, momentum=-0.1), "momentum"),
    (lambda p: optim.Adagrad(p, lr_decay=-0.1), "lr_decay"),
    (lambda p: optim.Adagrad(p, initial_accumulator_value=-1), "initial_accumulator_value"),
    (lambda p: optim.Adadelta(p, rho=1.5), "rho"),
])
def test_invalid_arguments_raise_like_torch(make, match):
    with pytest.raises(ValueError, match=match):
        make(make_params("numpy"))


# ---------------------------------------------------------------------------
# The two momentum conventions of the slides
# ---------------------------------------------------------------------------

def slide004_momentum(w0, grads_fn, eps, mu, steps):
    """w_{t+1} = w_t - ε ∇E_t + μ v_t with v_t = w_t - w_{t-1} (v = 0 at the start)."""
    w_prev, w = w0.copy(), w0.copy()
    path = []
    for _ in range(steps):
        w_next = w - eps * grads_fn(w) + mu * (w - w_prev)
        w_prev, w = w, w_next
        path.append(w.copy())
    return path


def slide001_momentum(w0, grads_fn, eta, mu, steps):
    """v ← μ v + (1 - μ) η g;  w ← w - v (v = 0 at the start)."""
    w, v = w0.copy(), np.zeros_like(w0)
    path = []
    for _ in range(steps):
        v = mu * v + (1 - mu) * eta * grads_fn(w)
        w = w - v
        path.append(w.copy())
    return path


def rosenbrock_grad(w):
    x, y = w
    return np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])


def nnlearn_path(w0, grads_fn, steps, **kwargs):
    p = Parameter(w0.copy())
    opt = optim.SGD([p], **kwargs)
    path = []
    for _ in range(steps):
        p.grad = grads_fn(np.asarray(p))
        opt.step()
        path.append(np.array(p))
    return path


def test_slide004_momentum_is_pytorch_momentum():
    w0, eps, mu = np.array([-1.0, 1.5]), 1e-4, 0.9
    slide = slide004_momentum(w0, rosenbrock_grad, eps, mu, 200)
    ours = nnlearn_path(w0, rosenbrock_grad, 200, lr=eps, momentum=mu)
    np.testing.assert_allclose(ours, slide, rtol=1e-10, atol=1e-12)
    plain = nnlearn_path(w0, rosenbrock_grad, 200, lr=eps)
    assert np.abs(np.array(plain) - np.array(slide)).max() > 1e-2


def test_slide001_momentum_is_pytorch_momentum_with_rescaled_lr():
    w0, eta, mu = np.array([-1.0, 1.5]), 1e-3, 0.9
    slide = slide001_momentum(w0, rosenbrock_grad, eta, mu, 200)
    ours = nnlearn_path(w0, rosenbrock_grad, 200, lr=(1 - mu) * eta, momentum=mu)
    np.testing.assert_allclose(ours, slide, rtol=1e-10, atol=1e-12)


def test_slide001_vs_dampening_differs_by_the_undamped_first_step():
    # with gradients that do not depend on w, PyTorch's dampening=μ run and the
    # slide-001 run differ in position by -η g_1 (μ + μ² + ... + μ^t)
    rng = np.random.default_rng(1)
    gs = rng.normal(size=(40, 3))
    counter = iter(range(40))
    w0, eta, mu = np.zeros(3), 0.1, 0.8
    seq = lambda w: gs[next(counter)]
    slide = slide001_momentum(w0, seq, eta, mu, 40)
    counter = iter(range(40))
    damp = nnlearn_path(w0, seq, 40, lr=eta, momentum=mu, dampening=mu)
    for t in range(1, 41):
        expected = -eta * gs[0] * sum(mu**s for s in range(1, t + 1))
        np.testing.assert_allclose(damp[t - 1] - slide[t - 1], expected, rtol=1e-10, atol=1e-14)
    # and torch agrees with nnlearn on the dampened run
    tw = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    topt = torch.optim.SGD([tw], lr=eta, momentum=mu, dampening=mu)
    for t in range(40):
        tw.grad = torch.tensor(gs[t])
        topt.step()
    np.testing.assert_allclose(tw.detach().numpy(), damp[-1], rtol=1e-12)


def test_lr_outside_the_buffer_agrees_with_lr_inside_only_for_a_constant_rate():
    """PyTorch's b <- mu b + g, p <- p - lr b against the slides' v <- mu v + lr g,
    p <- p - v: the same path for a constant lr; under StepLR (lr x 0.1 after 10
    steps) the slides' form keeps the old velocity at the old rate, so the paths
    part (and nnlearn follows PyTorch's, number for number)."""
    w0, mu = np.array([-1.0, 1.5]), 0.9

    def slides_form(lrs):
        w, v, path = w0.copy(), np.zeros(2), []
        for lr in lrs:
            v = mu * v + lr * rosenbrock_grad(w)
            w = w - v
            path.append(w.copy())
        return np.array(path)

    def library_path(lib, schedule):
        if lib == "torch":
            p = torch.tensor(w0, requires_grad=True)
            opt = torch.optim.SGD([p], lr=1e-4, momentum=mu)
            sched = torch.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.1)
        else:
            p = Parameter(w0.copy())
            opt = optim.SGD([p], lr=1e-4, momentum=mu)
            sched = optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.1)
        path, lrs = [], []
        for _ in range(30):
            lrs.append(opt.param_groups[0]["lr"])
            p.grad = (torch.tensor if lib == "torch" else np.asarray)(rosenbrock_grad(p.detach().numpy().copy()))
            opt.step()
            if schedule:
                sched.step()
            path.append(p.detach().numpy().copy())
        return np.array(path), lrs

    const, lrs = library_path("nnlearn", schedule=False)
    assert lrs == [1e-4] * 30
    np.testing.assert_allclose(const, slides_form(lrs), rtol=1e-12, atol=1e-15)

    ours, lrs = library_path("nnlearn", schedule=True)
    assert lrs[9] == pytest.approx(1e-4) and lrs[10] == pytest.approx(1e-5)
    theirs, _ = library_path("torch", schedule=True)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)
    slides = slides_form(lrs)
    np.testing.assert_allclose(ours[:10], slides[:10], rtol=1e-12, atol=1e-15)   # same until the drop
    step_ours = ours[10] - ours[9]
    step_slides = slides[10] - slides[9]
    # after the drop PyTorch's whole step shrinks tenfold; the slides' keeps mu v (old rate)
    assert np.linalg.norm(step_slides) > 5 * np.linalg.norm(step_ours)


def test_closure_is_called_and_returned():
    params = make_params("numpy")
    opt = optim.SGD(params, lr=0.1)
    calls = []

    def closure():
        calls.append(1)
        feed(params)
        return 3.5

    assert opt.step(closure) == 3.5 and calls == [1]
    assert not np.allclose(params[0].data, INIT[0])


# ---------------------------------------------------------------------------
# Malformed arguments and state (reliability defects 7, 12, 22)
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda p, o: o.SGD(p, lr="0.1"),
    lambda p, o: o.SGD(p, lr=None),
    lambda p, o: o.Adam(p, betas=0.9),
    lambda p, o: o.Adam(p, eps="1e-8"),
    lambda p, o: o.RMSprop(p, alpha=None),
], ids=["lr-str", "lr-None", "betas-float", "eps-str", "alpha-None"])
def test_malformed_arguments_raise_typeerror_like_torch(make):
    with pytest.raises(TypeError):
        make([torch.zeros(2, requires_grad=True)], torch.optim)
    with pytest.raises(TypeError, match=r"must be (a real number|a pair)"):
        make(make_params("numpy"), optim)


def test_non_leaf_parameter_raises_like_torch():
    """Defect 12: a computed tensor was accepted and silently never updated."""
    w = Parameter(np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        torch.optim.SGD([torch.ones(2, requires_grad=True) * 2.0], lr=0.1)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([w * 2.0], lr=0.1)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.Adam([{"params": [w * 2.0]}])
    optim.SGD([w], lr=0.1)  # the leaf itself is fine


def trained_sgd(name="numpy", steps=3):
    params = make_params(name)
    opt = optim.SGD(params, lr=0.05, momentum=0.9)
    for _ in range(steps):
        feed(params)
        opt.step()
    return params, opt


def state_arrays(opt):
    return {i: {k: np.array(backend.to_numpy(v)) for k, v in s.items()} for i, s in opt.state_dict()["state"].items()}


def bad_state_dicts(sd):
    import copy as _copy
    cases = {}
    cases["no state"] = ({"param_groups": sd["param_groups"]}, KeyError, "'state'")
    cases["no param_groups"] = ({"state": sd["state"]}, KeyError, "'param_groups'")
    bad = _copy.deepcopy(sd); bad["state"][99] = bad["state"].pop(3)
    cases["bad index"] = (bad, ValueError, "parameter index 99")
    bad = _copy.deepcopy(sd); bad["state"][1]["momentum_buffer"] = np.zeros(1)
    cases["buffer shape"] = (bad, ValueError, r"'momentum_buffer' has shape \(1,\), but the parameter has shape \(5,\)")
    bad = _copy.deepcopy(sd); bad["state"][3]["momentum_buffer"] = np.zeros(2, dtype=complex)
    cases["complex"] = (bad, ValueError, "expected real numbers")
    bad = _copy.deepcopy(sd); bad["state"][2]["momentum_buffer"] = "fast"
    cases["string"] = (bad, ValueError, "not a number or an array")
    bad = _copy.deepcopy(sd); bad["param_groups"][0]["params"] = [0, 1]
    cases["group size"] = (bad, ValueError, "has 2 parameters, this optimizer has 4")
    cases["None"] = (None, TypeError, "expects a dict")
    return cases


@pytest.mark.parametrize("case", ["no state", "no param_groups", "bad index", "buffer shape", "complex",
                                  "string", "group size", "None"])
def test_load_state_dict_failure_leaves_the_optimizer_unchanged(case):
    """Defect 7: the state used to be wiped before the new one was checked."""
    params, opt = trained_sgd()
    before, groups = state_arrays(opt), [dict(g) for g in opt.param_groups]
    sd = opt.state_dict()
    sd["param_groups"][0]["lr"] = 123.0  # would change the groups if loaded
    value, error, match = bad_state_dicts(sd)[case]
    with pytest.raises(error, match=match):
        opt.load_state_dict(value)
    after = state_arrays(opt)
    assert after.keys() == before.keys()
    for i in before:
        np.testing.assert_array_equal(after[i]["momentum_buffer"], before[i]["momentum_buffer"])
    assert [dict(g) for g in opt.param_groups] == groups


def test_state_dict_through_json_resumes_identically():
    """JSON turns indices into strings, arrays into lists and betas into a list."""
    import json

    params, opt = trained_sgd()
    aparams = make_params("numpy")
    adam = optim.Adam(aparams, lr=0.01)
    for _ in range(3):
        feed(aparams)
        adam.step()
    for ps, o, make in ((params, opt, lambda q: optim.SGD(q, lr=0.05, momentum=0.9)),
                        (aparams, adam, lambda q: optim.Adam(q, lr=0.01))):
        sd = o.state_dict()
        text = json.dumps({"state": {k: {n: (np.asarray(v).tolist() if not isinstance(v, (int, float)) else v)
                                         for n, v in s.items()} for k, s in sd["state"].items()},
                           "param_groups": sd["param_groups"]})
        copies = [Parameter(np.array(backend.to_numpy(p.data))) for p in ps]
        o2 = make(copies)
        o2.load_state_dict(json.loads(text))
        assert o2.param_groups[0].get("betas", (0, 0)) == o.param_groups[0].get("betas", (0, 0))
        for _ in range(5):
            feed(ps)
            o.step()
            feed(copies)
            o2.step()
        for p, c in zip(ps, copies):
            np.testing.assert_array_equal(backend.to_numpy(p.data), backend.to_numpy(c.data))


def test_torch_optimizer_state_dict_loads():
    """torch's own state dict (step as a tensor) continues torch's trajectory."""
    tparams = [torch.tensor(v.copy(), requires_grad=True) for v in INIT]
    topt = torch.optim.Adam(tparams, lr=0.01)
    for _ in range(4):
        torch_step(tparams, topt)
    params = [Parameter(t.detach().numpy().copy()) for t in tparams]
    opt = optim.Adam(params, lr=0.01)
    opt.load_state_dict(topt.state_dict())
    assert opt.state[params[0]]["step"] == 4
    for step in range(10):
        feed(params)
        opt.step()
        torch_step(tparams, topt)
        assert_same(params, tparams, step)


@pytest.mark.parametrize("cls,kwargs", [("SGD", dict(lr=0.05, momentum=0.9)), ("Adam", dict(lr=0.01)),
                                        ("RMSprop", dict(lr=0.01, centered=True)), ("Adagrad", dict())])
def test_state_follows_the_parameters_after_module_to(cls, kwargs):
    """Defect 22: model.to("torch") after the optimizer had state broke the next step."""
    from nnlearn import nn

    paths = {}
    for move in (False, True):
        model = nn.Sequential(nn.Linear(3, 2))
        model.load_state_dict({"0.weight": INIT[0][:2], "0.bias": INIT[1][:2]})
        ps = list(model.parameters())
        opt = getattr(optim, cls)(ps, **kwargs)
        for step in range(6):
            if move and step == 3:
                model.to("torch")
            for p in ps:
                x = backend.to_numpy(p.data)
                p.grad = p.backend.asarray(np.sin(3 * x) + x)
            opt.step()
        assert all(backend.backend_of(v) == ("torch" if move else "numpy")
                   for s in opt.state.values() for v in s.values() if not isinstance(v, (int, float)))
        paths[move] = [np.array(backend.to_numpy(p.data)) for p in ps]
    for a, b in zip(paths[False], paths[True]):
        np.testing.assert_allclose(b, a, rtol=1e-13)

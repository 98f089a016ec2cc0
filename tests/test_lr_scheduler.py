"""nnlearn.optim.lr_scheduler against torch.optim.lr_scheduler: the same lr sequences."""

import math

import numpy as np
import pytest
import torch

from nnlearn import optim
from nnlearn.nn import Parameter
from nnlearn.optim import lr_scheduler

EPOCHS = 120


def pair(lr=0.1, groups=False):
    """An nnlearn SGD and a torch SGD with the same groups."""
    ps = [Parameter(np.zeros(2)), Parameter(np.zeros(3))]
    ts = [torch.zeros(2, requires_grad=True), torch.zeros(3, requires_grad=True)]
    if groups:
        mk = lambda a: [{"params": a[:1]}, {"params": a[1:], "lr": lr / 4}]
        return optim.SGD(mk(ps), lr=lr, momentum=0.9), torch.optim.SGD(mk(ts), lr=lr, momentum=0.9)
    return optim.SGD(ps, lr=lr, momentum=0.9), torch.optim.SGD(ts, lr=lr, momentum=0.9)


def lr_sequences(make, groups=False, epochs=EPOCHS):
    opt, topt = pair(groups=groups)
    sched, tsched = make(lr_scheduler, opt), make(torch.optim.lr_scheduler, topt)
    ours, theirs = [sched.get_last_lr()], [tsched.get_last_lr()]
    for _ in range(epochs):
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
        ours.append(sched.get_last_lr())
        theirs.append(tsched.get_last_lr())
        assert [g["lr"] for g in opt.param_groups] == ours[-1]
    return np.array(ours), np.array(theirs)


SCHEDULES = {
    "StepLR": lambda m, o: m.StepLR(o, step_size=7, gamma=0.5),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, milestones=[10, 30, 30, 75], gamma=0.3),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, gamma=0.97),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, T_max=50, eta_min=1e-3),
    "CosineAnnealingLR-default": lambda m, o: m.CosineAnnealingLR(o, T_max=33),
    "LambdaLR": lambda m, o: m.LambdaLR(o, lambda e: 1.0 / (1 + 0.1 * e)),
    "LinearLR": lambda m, o: m.LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=12),
    "LinearLR-decay": lambda m, o: m.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=40),
    "LinearLR-default": lambda m, o: m.LinearLR(o),
    "OneCycleLR": lambda m, o: m.OneCycleLR(o, max_lr=0.5, total_steps=EPOCHS),
    "OneCycleLR-linear-3phase": lambda m, o: m.OneCycleLR(o, max_lr=[0.5, 0.2][:len(o.param_groups)], epochs=12, steps_per_epoch=10,
                                                          anneal_strategy="linear", three_phase=True,
                                                          pct_start=0.25),
    "OneCycleLR-no-momentum": lambda m, o: m.OneCycleLR(o, max_lr=1.0, total_steps=EPOCHS + 5,
                                                        cycle_momentum=False, div_factor=10.0,
                                                        final_div_factor=100.0),
    "CosineAnnealingWarmRestarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=10),
    "CosineAnnealingWarmRestarts-mult": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2,
                                                                                   eta_min=1e-3),
}


@pytest.mark.parametrize("groups", [False, True])
@pytest.mark.parametrize("name", list(SCHEDULES))
def test_lr_sequence_matches_torch(name, groups):
    ours, theirs = lr_sequences(SCHEDULES[name], groups)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)
    assert len(np.unique(np.round(ours[:, 0], 12))) > 2  # the schedule did change the rate


def test_values_by_hand():
    opt, _ = pair(lr=0.1)
    s = lr_scheduler.StepLR(opt, step_size=30, gamma=0.1)
    seen = []
    for _ in range(90):
        seen.append(s.get_last_lr()[0])
        s.step()
    assert seen[29] == pytest.approx(0.1) and seen[30] == pytest.approx(0.01)
    assert seen[60] == pytest.approx(0.001)
    opt, _ = pair(lr=1.0)
    c = lr_scheduler.CosineAnnealingLR(opt, T_max=10)
    for _ in range(5):
        c.step()
    assert c.get_last_lr()[0] == pytest.approx(0.5)  # half-way down the cosine
    for _ in range(5):
        c.step()
    assert c.get_last_lr()[0] == pytest.approx(0.0, abs=1e-15)


def test_initial_lr_recorded_and_resume():
    opt, _ = pair(lr=0.2)
    s = lr_scheduler.ExponentialLR(opt, gamma=0.5)
    assert opt.param_groups[0]["initial_lr"] == 0.2
    for _ in range(3):
        s.step()
    assert s.last_epoch == 3 and opt.param_groups[0]["lr"] == pytest.approx(0.025)
    state = s.state_dict()
    assert "optimizer" not in state
    s2 = lr_scheduler.ExponentialLR(opt, gamma=0.5, last_epoch=2)  # resumes: steps to epoch 3
    s2.load_state_dict(state)
    s2.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.2 * 0.5**4)
    opt2, _ = pair()
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(opt2, step_size=2, last_epoch=4)
    with pytest.raises(TypeError, match="nnlearn optimizer"):
        lr_scheduler.StepLR(torch.optim.SGD([torch.zeros(1, requires_grad=True)]), step_size=2)


def test_scheduled_training_matches_torch():
    """A scheduler changes group['lr'], and step() reads it each time."""
    rng = np.random.default_rng(0)
    A = rng.normal(size=(4, 4))
    Q = A @ A.T + np.eye(4)
    p = Parameter(np.ones(4))
    t = torch.ones(4, dtype=torch.float64, requires_grad=True)
    opt, topt = optim.Adam([p], lr=0.05), torch.optim.Adam([t], lr=0.05)
    s = lr_scheduler.CosineAnnealingLR(opt, T_max=40)
    ts = torch.optim.lr_scheduler.CosineAnnealingLR(topt, T_max=40)
    for _ in range(60):
        p.grad = Q @ p.data
        opt.step()
        s.step()
        topt.zero_grad()
        (0.5 * t @ torch.tensor(Q) @ t).backward()
        topt.step()
        ts.step()
    np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=1e-10, atol=1e-12)


def plateau_metrics():
    rng = np.random.default_rng(3)
    # improves, then plateaus with noise, improves again, then rises
    m = list(np.linspace(1.0, 0.5, 20)) + list(0.5 + 0.01 * rng.random(40))
    m += list(np.linspace(0.49, 0.2, 20)) + list(np.linspace(0.2, 0.6, 40))
    return m


@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(patience=3),
    dict(mode="max", patience=4, factor=0.5),
    dict(patience=2, cooldown=3, threshold=0.01, threshold_mode="abs", min_lr=[0.005, 0.02]),
    dict(patience=1, factor=0.2, min_lr=1e-3, threshold_mode="rel", threshold=0.05),
    dict(patience=0, factor=0.9, eps=1e-3),
])
def test_reduce_on_plateau_matches_torch(kwargs):
    opt, topt = pair(lr=0.1, groups=True)
    s = lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
    ts = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kwargs)
    ours, theirs = [], []
    for m in plateau_metrics():
        s.step(m)
        ts.step(m)
        ours.append(s.get_last_lr())
        theirs.append(ts.get_last_lr())
    np.testing.assert_allclose(ours, theirs, rtol=1e-14)
    assert np.array(ours).min() < 0.1  # it did reduce


def test_reduce_on_plateau_errors():
    opt, _ = pair()
    with pytest.raises(ValueError, match="factor"):
        lr_scheduler.ReduceLROnPlateau(opt, factor=1.5)
    with pytest.raises(ValueError, match="mode"):
        lr_scheduler.ReduceLROnPlateau(opt, mode="lowest")
    with pytest.raises(ValueError, match="min_lrs"):
        lr_scheduler.ReduceLROnPlateau(opt, min_lr=[0.1, 0.2])


def test_bad_schedule_arguments():
    opt, _ = pair()
    with pytest.raises(ValueError, match="step_size"):
        lr_scheduler.StepLR(opt, step_size=0)
    with pytest.raises(ValueError, match="T_max"):
        lr_scheduler.CosineAnnealingLR(opt, T_max=0)
    with pytest.raises(ValueError, match="start_factor"):
        lr_scheduler.LinearLR(opt, start_factor=0)
    with pytest.raises(ValueError, match="lr_lambdas"):
        lr_scheduler.LambdaLR(opt, [lambda e: 1.0, lambda e: 2.0])
    assert math.isclose(opt.param_groups[0]["lr"], 0.1)


def test_one_cycle_cycles_momentum_and_beta1_like_torch():
    for cls, key in ((("SGD", dict(lr=0.1, momentum=0.9)), "momentum"), (("Adam", dict()), "betas")):
        name, kw = cls
        ps, ts = [Parameter(np.zeros(2))], [torch.zeros(2, requires_grad=True)]
        opt, topt = getattr(optim, name)(ps, **kw), getattr(torch.optim, name)(ts, **kw)
        s = lr_scheduler.OneCycleLR(opt, max_lr=0.3, total_steps=50)
        ts_ = torch.optim.lr_scheduler.OneCycleLR(topt, max_lr=0.3, total_steps=50)
        for _ in range(49):
            np.testing.assert_allclose(opt.param_groups[0][key], topt.param_groups[0][key], rtol=1e-12)
            opt.step()
            topt.step()
            s.step()
            ts_.step()
        with pytest.raises(ValueError, match="Tried to step 51 times"):
            s.step(), s.step()
    with pytest.raises(ValueError, match="must support momentum or beta1"):
        lr_scheduler.OneCycleLR(optim.Adagrad([Parameter(np.zeros(1))]), max_lr=0.1, total_steps=5)


def test_warm_restarts_with_fractional_epochs_match_torch():
    opt, topt = pair()
    s = lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=4, T_mult=2, eta_min=0.01)
    t = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(topt, T_0=4, T_mult=2, eta_min=0.01)
    iters = 7
    for epoch in range(30):
        for i in range(iters):
            s.step(epoch + i / iters)
            t.step(epoch + i / iters)
            np.testing.assert_allclose(s.get_last_lr(), t.get_last_lr(), rtol=1e-12)
    s.step()
    t.step()
    np.testing.assert_allclose(s.get_last_lr(), t.get_last_lr(), rtol=1e-12)


@pytest.mark.parametrize("make, error, match", [
    (lambda o: lr_scheduler.LinearLR(o, total_iters=0), ValueError, "total_iters must be a positive integer"),
    (lambda o: lr_scheduler.MultiStepLR(o, milestones=5), TypeError, "milestones must be a list"),
    (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max="10"), TypeError, "T_max must be a number"),
    (lambda o: lr_scheduler.LambdaLR(o, lambda e: None), TypeError, r"lr_lambda\(0\) returned NoneType"),
    (lambda o: lr_scheduler.LambdaLR(o, 0.5), TypeError, "must be a function"),
    (lambda o: lr_scheduler.StepLR(o, step_size=2.5), TypeError, "step_size must be a positive integer"),
    (lambda o: lr_scheduler.ExponentialLR(o, gamma="0.9"), TypeError, "gamma must be a number"),
    (lambda o: lr_scheduler.OneCycleLR(o, max_lr=0.1), ValueError, "total_steps or both epochs"),
    (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=0), ValueError, "T_0 must be a positive"),
], ids=["LinearLR-0", "MultiStep-int", "Cosine-str", "Lambda-None", "Lambda-float", "Step-float",
        "Exp-str", "OneCycle-no-steps", "Warm-T0"])
def test_malformed_schedule_arguments_have_clear_messages(make, error, match):
    opt, _ = pair()
    with pytest.raises(error, match=match):
        make(opt)
    assert opt.param_groups[0]["lr"] == 0.1

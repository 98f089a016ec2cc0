"""PyTorch: Tensors and autograd -- the cubic fit with gradients from backward().

Source: PyTorch tutorials, "Learning PyTorch with Examples",
beginner_source/examples_autograd/polynomial_autograd.py (https://github.com/pytorch/tutorials).
Licence: BSD 3-Clause, Copyright (c) 2017-, PyTorch contributors.
Rewritten for nnlearn's test suite following the tutorial step by step. The
current tutorial picks ``torch.accelerator.current_accelerator()`` and calls
``torch.set_default_device``; this copy keeps the device line of the tutorial's
earlier versions, ``device = torch.device("cpu")``, as the other examples do.
The import block is the only other difference from PyTorch code.
"""
# --- imports ---
import nnlearn as torch
# --- end imports ---
import math

dtype = torch.float
device = torch.device("cpu")

x = torch.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
y = torch.sin(x)

a = torch.randn((), device=device, dtype=dtype, requires_grad=True)
b = torch.randn((), device=device, dtype=dtype, requires_grad=True)
c = torch.randn((), device=device, dtype=dtype, requires_grad=True)
d = torch.randn((), device=device, dtype=dtype, requires_grad=True)

learning_rate = 1e-6
for t in range(2000):
    y_pred = a + b * x + c * x ** 2 + d * x ** 3

    loss = (y_pred - y).pow(2).sum()
    if t % 100 == 99:
        print(t, loss.item())

    loss.backward()

    with torch.no_grad():
        a -= learning_rate * a.grad
        b -= learning_rate * b.grad
        c -= learning_rate * c.grad
        d -= learning_rate * d.grad

        # zero the gradients after the update
        a.grad = None
        b.grad = None
        c.grad = None
        d.grad = None

print(f'Result: y = {a.item()} + {b.item()} x + {c.item()} x^2 + {d.item()} x^3')

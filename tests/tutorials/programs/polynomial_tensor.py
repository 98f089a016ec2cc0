"""PyTorch: Tensors -- a cubic fitted to sin(x) with hand-written gradients.

Source: PyTorch tutorials, "Learning PyTorch with Examples",
beginner_source/examples_tensor/polynomial_tensor.py (https://github.com/pytorch/tutorials).
Licence: BSD 3-Clause, Copyright (c) 2017-, PyTorch contributors.
Rewritten for nnlearn's test suite following the tutorial step by step (same
calls, same hyperparameters, comments shortened); the import block is the only
difference from PyTorch code.
"""
# --- imports ---
import nnlearn as torch
# --- end imports ---
import math

dtype = torch.float
device = torch.device("cpu")

x = torch.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
y = torch.sin(x)

a = torch.randn((), device=device, dtype=dtype)
b = torch.randn((), device=device, dtype=dtype)
c = torch.randn((), device=device, dtype=dtype)
d = torch.randn((), device=device, dtype=dtype)

learning_rate = 1e-6
for t in range(2000):
    y_pred = a + b * x + c * x ** 2 + d * x ** 3

    loss = (y_pred - y).pow(2).sum().item()
    if t % 100 == 99:
        print(t, loss)

    # backprop by hand
    grad_y_pred = 2.0 * (y_pred - y)
    grad_a = grad_y_pred.sum()
    grad_b = (grad_y_pred * x).sum()
    grad_c = (grad_y_pred * x ** 2).sum()
    grad_d = (grad_y_pred * x ** 3).sum()

    a -= learning_rate * grad_a
    b -= learning_rate * grad_b
    c -= learning_rate * grad_c
    d -= learning_rate * grad_d

print(f'Result: y = {a.item()} + {b.item()} x + {c.item()} x^2 + {d.item()} x^3')

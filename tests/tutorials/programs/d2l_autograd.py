"""d2l: Automatic Differentiation (PyTorch version).

Source: Dive into Deep Learning (https://github.com/d2l-ai/d2l-en),
chapter_preliminaries/autograd.md, PyTorch code of the 0.17 edition. Licence of
the book's sample code: MIT-0 (Copyright Amazon.com, Inc. or its affiliates).
Reproduced for nnlearn's test suite; the import block is the only difference
from PyTorch code.
"""
# --- imports ---
import nnlearn as torch
# --- end imports ---

x = torch.arange(4.0)
x.requires_grad_(True)  # same as x = torch.arange(4.0, requires_grad=True)
print(x.grad)           # None by default

y = 2 * torch.dot(x, x)
y.backward()
print(x.grad)
check_dot = bool((x.grad == 4 * x).all())

# PyTorch accumulates gradients: zero them first
x.grad.zero_()
y = x.sum()
y.backward()
grad_sum = x.grad.clone()

# backward of a non-scalar: sum first (the gradient of each y_i)
x.grad.zero_()
y = x * x
y.sum().backward()
grad_square = x.grad.clone()

# detaching a computation
x.grad.zero_()
y = x * x
u = y.detach()
z = u * x

z.sum().backward()
check_detach = bool((x.grad == u).all())

x.grad.zero_()
y.sum().backward()
check_y = bool((x.grad == 2 * x).all())


# Python control flow still has a gradient
def f(a):
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


a = torch.randn(size=(), requires_grad=True)
d = f(a)
d.backward()
check_control_flow = bool(a.grad == d / a)
print(check_dot, check_detach, check_y, check_control_flow)

"""PyTorch: Custom nn Modules -- the cubic as a Module with four scalar Parameters.

Source: PyTorch tutorials, "Learning PyTorch with Examples",
beginner_source/examples_nn/polynomial_module.py (https://github.com/pytorch/tutorials).
Licence: BSD 3-Clause, Copyright (c) 2017-, PyTorch contributors.
Rewritten for nnlearn's test suite following the tutorial step by step; the
import block is the only difference from PyTorch code.
"""
# --- imports ---
import nnlearn as torch
# --- end imports ---
import math


class Polynomial3(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Parameter(torch.randn(()))
        self.b = torch.nn.Parameter(torch.randn(()))
        self.c = torch.nn.Parameter(torch.randn(()))
        self.d = torch.nn.Parameter(torch.randn(()))

    def forward(self, x):
        return self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3

    def string(self):
        return f'y = {self.a.item()} + {self.b.item()} x + {self.c.item()} x^2 + {self.d.item()} x^3'


x = torch.linspace(-math.pi, math.pi, 2000)
y = torch.sin(x)

model = Polynomial3()

criterion = torch.nn.MSELoss(reduction='sum')
optimizer = torch.optim.SGD(model.parameters(), lr=1e-6)
for t in range(2000):
    y_pred = model(x)

    loss = criterion(y_pred, y)
    if t % 100 == 99:
        print(t, loss.item())

    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

print(f'Result: {model.string()}')

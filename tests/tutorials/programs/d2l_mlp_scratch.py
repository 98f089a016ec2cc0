"""d2l: Implementation of Multilayer Perceptrons from Scratch (PyTorch version).

Source: Dive into Deep Learning (https://github.com/d2l-ai/d2l-en),
chapter_multilayer-perceptrons/mlp-scratch.md (0.17 edition, PyTorch).
Licence of the book's sample code: MIT-0 (Copyright Amazon.com, Inc. or its
affiliates). Reproduced for nnlearn's test suite. Fashion-MNIST is replaced by
the offline stand-in ``standins.load_data_fashion_mnist``; the d2l helpers come
from ``d2l_classification_lib``. The import block is the only other difference
from PyTorch code.
"""
# --- imports ---
import nnlearn as torch
from nnlearn import nn
from standins import load_data_fashion_mnist
# --- end imports ---

batch_size = 256
train_iter, test_iter = load_data_fashion_mnist(batch_size)

num_inputs, num_outputs, num_hiddens = 784, 10, 256

W1 = nn.Parameter(torch.randn(
    num_inputs, num_hiddens, requires_grad=True) * 0.01)
b1 = nn.Parameter(torch.zeros(num_hiddens, requires_grad=True))
W2 = nn.Parameter(torch.randn(
    num_hiddens, num_outputs, requires_grad=True) * 0.01)
b2 = nn.Parameter(torch.zeros(num_outputs, requires_grad=True))

params = [W1, b1, W2, b2]


def relu(X):
    a = torch.zeros_like(X)
    return torch.max(X, a)


def net(X):
    X = X.reshape((-1, num_inputs))
    H = relu(X @ W1 + b1)  # `@` is matrix multiplication
    return (H @ W2 + b2)


loss = nn.CrossEntropyLoss(reduction='none')

num_epochs, lr = 10, 0.1
updater = torch.optim.SGD(params, lr=lr)
history = train_ch3(net, train_iter, test_iter, loss, num_epochs, updater)
print(history[-1])

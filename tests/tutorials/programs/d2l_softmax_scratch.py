"""d2l: Implementation of Softmax Regression from Scratch (PyTorch version).

Source: Dive into Deep Learning (https://github.com/d2l-ai/d2l-en),
chapter_linear-networks/softmax-regression-scratch.md (0.17 edition, PyTorch).
Licence of the book's sample code: MIT-0 (Copyright Amazon.com, Inc. or its
affiliates). Reproduced for nnlearn's test suite. Fashion-MNIST (a download)
is replaced by an offline stand-in with the same interface and image shape
(``standins.load_data_fashion_mnist``: scikit-learn's digits, 28x28); the
d2l helpers come from ``d2l_classification_lib`` (``d2l.*`` calls become calls
of those functions); the prediction plot is left out. The import block is the
only other difference from PyTorch code.
"""
# --- imports ---
import nnlearn as torch
from standins import load_data_fashion_mnist
# --- end imports ---

batch_size = 256
train_iter, test_iter = load_data_fashion_mnist(batch_size)

num_inputs = 784
num_outputs = 10

W = torch.normal(0, 0.01, size=(num_inputs, num_outputs), requires_grad=True)
b = torch.zeros(num_outputs, requires_grad=True)

X = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
print(X.sum(0, keepdim=True), X.sum(1, keepdim=True))


def softmax(X):
    X_exp = torch.exp(X)
    partition = X_exp.sum(1, keepdim=True)
    return X_exp / partition  # broadcasting


X = torch.normal(0, 1, (2, 5))
X_prob = softmax(X)
print(X_prob, X_prob.sum(1))


def net(X):
    return softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b)


y = torch.tensor([0, 2])
y_hat = torch.tensor([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])
print(y_hat[[0, 1], y])


def cross_entropy(y_hat, y):
    return - torch.log(y_hat[range(len(y_hat)), y])


print(cross_entropy(y_hat, y))
print(accuracy(y_hat, y) / len(y))
print(evaluate_accuracy(net, test_iter))

lr = 0.1


def updater(batch_size):
    return sgd([W, b], lr, batch_size)


num_epochs = 10
history = train_ch3(net, train_iter, test_iter, cross_entropy, num_epochs, updater)
print(history[-1])

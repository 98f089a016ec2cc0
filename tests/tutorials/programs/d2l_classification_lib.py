"""d2l's classification helpers (Accumulator, accuracy, evaluate_accuracy,
train_epoch_ch3, train_ch3, sgd), shared by the softmax-regression and MLP
programs: this file is exec'ed at the top of both.

Source: Dive into Deep Learning (https://github.com/d2l-ai/d2l-en), the d2l
library functions of chapter_linear-networks/softmax-regression-scratch.md
(0.17 edition, PyTorch). Licence of the book's sample code: MIT-0 (Copyright
Amazon.com, Inc. or its affiliates). The Animator plots are replaced by lists
of the per-epoch metrics; the import block is the only other difference from
PyTorch code.
"""
# --- imports ---
import nnlearn as torch
# --- end imports ---


class Accumulator:
    """For accumulating sums over `n` variables."""

    def __init__(self, n):
        self.data = [0.0] * n

    def add(self, *args):
        self.data = [a + float(b) for a, b in zip(self.data, args)]

    def reset(self):
        self.data = [0.0] * len(self.data)

    def __getitem__(self, idx):
        return self.data[idx]


def accuracy(y_hat, y):
    """Compute the number of correct predictions."""
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    cmp = y_hat.type(y.dtype) == y
    return float(cmp.type(y.dtype).sum())


def evaluate_accuracy(net, data_iter):
    """Compute the accuracy for a model on a dataset."""
    if isinstance(net, torch.nn.Module):
        net.eval()  # evaluation mode
    metric = Accumulator(2)  # No. of correct predictions, no. of predictions
    with torch.no_grad():
        for X, y in data_iter:
            metric.add(accuracy(net(X), y), y.numel())
    return metric[0] / metric[1]


def train_epoch_ch3(net, train_iter, loss, updater):
    """The training loop of one epoch."""
    if isinstance(net, torch.nn.Module):
        net.train()
    # sum of training loss, sum of training accuracy, no. of examples
    metric = Accumulator(3)
    for X, y in train_iter:
        y_hat = net(X)
        l = loss(y_hat, y)
        if isinstance(updater, torch.optim.Optimizer):
            # the built-in optimizer and loss
            updater.zero_grad()
            l.mean().backward()
            updater.step()
        else:
            # a custom optimizer and loss
            l.sum().backward()
            updater(X.shape[0])
        metric.add(float(l.sum()), accuracy(y_hat, y), y.numel())
    return metric[0] / metric[2], metric[1] / metric[2]


def train_ch3(net, train_iter, test_iter, loss, num_epochs, updater):
    """Train a model; returns the per-epoch (train loss, train acc, test acc)."""
    history = []
    for epoch in range(num_epochs):
        train_metrics = train_epoch_ch3(net, train_iter, loss, updater)
        test_acc = evaluate_accuracy(net, test_iter)
        history.append(train_metrics + (test_acc,))
    train_loss, train_acc = train_metrics
    return history


def sgd(params, lr, batch_size):
    """Minibatch stochastic gradient descent."""
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()

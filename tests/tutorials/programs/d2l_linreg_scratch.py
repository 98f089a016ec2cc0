"""d2l: Linear Regression Implementation from Scratch (PyTorch version).

Source: Dive into Deep Learning (https://github.com/d2l-ai/d2l-en),
chapter_linear-networks/linear-regression-scratch.md, the function-style PyTorch
code of the book's 0.17 edition. Licence of the book's sample code: MIT-0
(Copyright Amazon.com, Inc. or its affiliates). Reproduced for nnlearn's test
suite from that edition (the current edition wraps the same steps in the d2l
library's Module/Trainer classes); the plots are left out and the import block
is the only difference from PyTorch code.
"""
# --- imports ---
import nnlearn as torch
# --- end imports ---
import random


def synthetic_data(w, b, num_examples):
    """Generate y = Xw + b + noise."""
    X = torch.normal(0, 1, (num_examples, len(w)))
    y = torch.matmul(X, w) + b
    y += torch.normal(0, 0.01, y.shape)
    return X, y.reshape((-1, 1))


true_w = torch.tensor([2, -3.4])
true_b = 4.2
features, labels = synthetic_data(true_w, true_b, 1000)
print('features:', features[0], '\nlabel:', labels[0])


def data_iter(batch_size, features, labels):
    num_examples = len(features)
    indices = list(range(num_examples))
    # the examples are read at random, in no particular order
    random.shuffle(indices)
    for i in range(0, num_examples, batch_size):
        batch_indices = torch.tensor(indices[i: min(i + batch_size, num_examples)])
        yield features[batch_indices], labels[batch_indices]


batch_size = 10

for X, y in data_iter(batch_size, features, labels):
    print(X, '\n', y)
    break

w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)
b = torch.zeros(1, requires_grad=True)


def linreg(X, w, b):
    """The linear regression model."""
    return torch.matmul(X, w) + b


def squared_loss(y_hat, y):
    """Squared loss."""
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(params, lr, batch_size):
    """Minibatch stochastic gradient descent."""
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


lr = 0.03
num_epochs = 3
net = linreg
loss = squared_loss

epoch_losses = []
for epoch in range(num_epochs):
    for X, y in data_iter(batch_size, features, labels):
        l = loss(net(X, w, b), y)  # minibatch loss in X and y
        # l has shape (batch_size, 1): sum it, then the gradient w.r.t. [w, b]
        l.sum().backward()
        sgd([w, b], lr, batch_size)  # update the parameters with their gradients
    with torch.no_grad():
        train_l = loss(net(features, w, b), labels)
        print(f'epoch {epoch + 1}, loss {float(train_l.mean()):f}')
        epoch_losses.append(float(train_l.mean()))

print(f'error in estimating w: {true_w - w.reshape(true_w.shape)}')
print(f'error in estimating b: {true_b - b}')

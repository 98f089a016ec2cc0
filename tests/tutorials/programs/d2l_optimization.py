"""d2l: the optimization chapter's algorithms from scratch -- minibatch SGD,
momentum, AdaGrad, RMSProp, Adadelta and Adam -- and their concise versions
with torch.optim (PyTorch version).

Source: Dive into Deep Learning (https://github.com/d2l-ai/d2l-en),
chapter_optimization/ minibatch-sgd.md, momentum.md, adagrad.md, rmsprop.md,
adadelta.md and adam.md (0.17 edition, PyTorch), with the d2l library functions
they call (get_data_ch11, train_ch11, train_concise_ch11, linreg,
squared_loss, evaluate_loss, load_array). Licence of the book's sample code:
MIT-0 (Copyright Amazon.com, Inc. or its affiliates). Reproduced for nnlearn's
test suite. Differences besides the import block: the NASA airfoil file (a
download) is replaced by an offline stand-in with 5 features and 600 rows
(``standins.airfoil_like``; ``n=1500`` and ``batch_size=1500`` then take all
of them); the Animator plots and the Timer are replaced by lists of the
evaluated losses.
"""
# --- imports ---
import nnlearn as torch
from nnlearn import nn
from nnlearn.utils import data
from standins import airfoil_like
# --- end imports ---
import numpy as np


# ---------------------------------------------------------------- the d2l library functions
class Accumulator:
    def __init__(self, n):
        self.data = [0.0] * n

    def add(self, *args):
        self.data = [a + float(b) for a, b in zip(self.data, args)]

    def __getitem__(self, idx):
        return self.data[idx]


def linreg(X, w, b):
    return torch.matmul(X, w) + b


def squared_loss(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def load_array(data_arrays, batch_size, is_train=True):
    dataset = data.TensorDataset(*data_arrays)
    return data.DataLoader(dataset, batch_size, shuffle=is_train)


def evaluate_loss(net, data_iter, loss):
    metric = Accumulator(2)  # sum of losses, no. of examples
    for X, y in data_iter:
        out = net(X)
        y = y.reshape(out.shape)
        l = loss(out, y)
        metric.add(l.sum(), l.numel())
    return metric[0] / metric[1]


def get_data_ch11(batch_size=10, n=1500):
    X, y = airfoil_like()
    table = np.concatenate([X, y[:, None]], axis=1)
    table = torch.tensor((table - table.mean(axis=0)) / table.std(axis=0), dtype=torch.float32)
    data_iter = load_array((table[:n, :-1], table[:n, -1]), batch_size, is_train=True)
    return data_iter, table.shape[1] - 1


def train_ch11(trainer_fn, states, hyperparams, data_iter, feature_dim, num_epochs=2):
    w = torch.normal(mean=0.0, std=0.01, size=(feature_dim, 1), requires_grad=True)
    b = torch.zeros((1), requires_grad=True)
    net, loss = lambda X: linreg(X, w, b), squared_loss
    curve, n = [], 0
    for _ in range(num_epochs):
        for X, y in data_iter:
            l = loss(net(X), y).mean()
            l.backward()
            trainer_fn([w, b], states, hyperparams)
            n += X.shape[0]
            if n % 200 == 0:
                curve.append(evaluate_loss(net, data_iter, loss))
    print(f'loss: {curve[-1]:.3f}')
    return curve


def train_concise_ch11(trainer_fn, hyperparams, data_iter, num_epochs=4):
    net = nn.Sequential(nn.Linear(5, 1))

    def init_weights(module):
        if type(module) == nn.Linear:
            torch.nn.init.normal_(module.weight, std=0.01)

    net.apply(init_weights)

    optimizer = trainer_fn(net.parameters(), **hyperparams)
    loss = nn.MSELoss(reduction='none')
    curve, n = [], 0
    for _ in range(num_epochs):
        for X, y in data_iter:
            optimizer.zero_grad()
            out = net(X)
            y = y.reshape(out.shape)
            l = loss(out, y)
            l.mean().backward()
            optimizer.step()
            n += X.shape[0]
            if n % 200 == 0:
                # MSELoss has no 1/2: divide by 2 to compare with squared_loss
                curve.append(evaluate_loss(net, data_iter, loss) / 2)
    print(f'loss: {curve[-1]:.3f}')
    return curve


results = {}

# ---------------------------------------------------------------- minibatch SGD
def sgd(params, states, hyperparams):
    for p in params:
        p.data.sub_(hyperparams['lr'] * p.grad)
        p.grad.data.zero_()


def train_sgd(lr, batch_size, num_epochs=2):
    data_iter, feature_dim = get_data_ch11(batch_size)
    return train_ch11(sgd, None, {'lr': lr}, data_iter, feature_dim, num_epochs)


results['gd'] = train_sgd(1, 1500, 10)
results['sgd'] = train_sgd(0.005, 1)
results['minibatch_sgd'] = train_sgd(.05, 10)

data_iter, _ = get_data_ch11(10)
results['concise_sgd'] = train_concise_ch11(torch.optim.SGD, {'lr': 0.01}, data_iter)


# ---------------------------------------------------------------- momentum
def init_momentum_states(feature_dim):
    v_w = torch.zeros((feature_dim, 1))
    v_b = torch.zeros(1)
    return (v_w, v_b)


def sgd_momentum(params, states, hyperparams):
    for p, v in zip(params, states):
        with torch.no_grad():
            v[:] = hyperparams['momentum'] * v + p.grad
            p[:] -= hyperparams['lr'] * v
        p.grad.data.zero_()


def train_momentum(lr, momentum, num_epochs=2):
    return train_ch11(sgd_momentum, init_momentum_states(feature_dim),
                      {'lr': lr, 'momentum': momentum}, data_iter,
                      feature_dim, num_epochs)


data_iter, feature_dim = get_data_ch11(batch_size=10)
results['momentum'] = train_momentum(0.02, 0.5)
results['concise_momentum'] = train_concise_ch11(torch.optim.SGD, {'lr': 0.005, 'momentum': 0.9}, data_iter)


# ---------------------------------------------------------------- AdaGrad
def init_adagrad_states(feature_dim):
    s_w = torch.zeros((feature_dim, 1))
    s_b = torch.zeros(1)
    return (s_w, s_b)


def adagrad(params, states, hyperparams):
    eps = 1e-6
    for p, s in zip(params, states):
        with torch.no_grad():
            s[:] += torch.square(p.grad)
            p[:] -= hyperparams['lr'] * p.grad / torch.sqrt(s + eps)
        p.grad.data.zero_()


results['adagrad'] = train_ch11(adagrad, init_adagrad_states(feature_dim), {'lr': 0.1}, data_iter, feature_dim)
results['concise_adagrad'] = train_concise_ch11(torch.optim.Adagrad, {'lr': 0.1}, data_iter)


# ---------------------------------------------------------------- RMSProp
def init_rmsprop_states(feature_dim):
    s_w = torch.zeros((feature_dim, 1))
    s_b = torch.zeros(1)
    return (s_w, s_b)


def rmsprop(params, states, hyperparams):
    gamma, eps = hyperparams['gamma'], 1e-6
    for p, s in zip(params, states):
        with torch.no_grad():
            s[:] = gamma * s + (1 - gamma) * torch.square(p.grad)
            p[:] -= hyperparams['lr'] * p.grad / torch.sqrt(s + eps)
        p.grad.data.zero_()


results['rmsprop'] = train_ch11(rmsprop, init_rmsprop_states(feature_dim), {'lr': 0.01, 'gamma': 0.9},
                                data_iter, feature_dim)
results['concise_rmsprop'] = train_concise_ch11(torch.optim.RMSprop, {'lr': 0.01, 'alpha': 0.9}, data_iter)


# ---------------------------------------------------------------- Adadelta
def init_adadelta_states(feature_dim):
    s_w, s_b = torch.zeros((feature_dim, 1)), torch.zeros(1)
    delta_w, delta_b = torch.zeros((feature_dim, 1)), torch.zeros(1)
    return ((s_w, delta_w), (s_b, delta_b))


def adadelta(params, states, hyperparams):
    rho, eps = hyperparams['rho'], 1e-5
    for p, (s, delta) in zip(params, states):
        with torch.no_grad():
            # in-place updates via [:]
            s[:] = rho * s + (1 - rho) * torch.square(p.grad)
            g = (torch.sqrt(delta + eps) / torch.sqrt(s + eps)) * p.grad
            p[:] -= g
            delta[:] = rho * delta + (1 - rho) * g * g
        p.grad.data.zero_()


results['adadelta'] = train_ch11(adadelta, init_adadelta_states(feature_dim), {'rho': 0.9}, data_iter, feature_dim)
results['concise_adadelta'] = train_concise_ch11(torch.optim.Adadelta, {'rho': 0.9}, data_iter)


# ---------------------------------------------------------------- Adam
def init_adam_states(feature_dim):
    v_w, v_b = torch.zeros((feature_dim, 1)), torch.zeros(1)
    s_w, s_b = torch.zeros((feature_dim, 1)), torch.zeros(1)
    return ((v_w, s_w), (v_b, s_b))


def adam(params, states, hyperparams):
    beta1, beta2, eps = 0.9, 0.999, 1e-6
    for p, (v, s) in zip(params, states):
        with torch.no_grad():
            v[:] = beta1 * v + (1 - beta1) * p.grad
            s[:] = beta2 * s + (1 - beta2) * torch.square(p.grad)
            v_bias_corr = v / (1 - beta1 ** hyperparams['t'])
            s_bias_corr = s / (1 - beta2 ** hyperparams['t'])
            p[:] -= hyperparams['lr'] * v_bias_corr / (torch.sqrt(s_bias_corr) + eps)
        p.grad.data.zero_()
    hyperparams['t'] += 1


results['adam'] = train_ch11(adam, init_adam_states(feature_dim), {'lr': 0.01, 't': 1}, data_iter, feature_dim)
results['concise_adam'] = train_concise_ch11(torch.optim.Adam, {'lr': 0.01}, data_iter)

"""Exercises of chapter 7, a recipe for training (``notebooks/07_recipe.md``).

Each reference is computed from the formula the chapter derives, or by the
test nnlearn applies (``experiment.welch``, ``experiment.paired``), not typed in.
"""

import math

import numpy as np

from .. import experiment
from .core import ChoiceExercise, FunctionExercise, Mistake, TableExercise

# 7.1: the loss of a uniform prediction over C classes
def _uniform_loss(C):
    return -math.log(1.0 / C)


# 7.2: class frequencies of an unbalanced three-class problem
_P = np.array([0.7, 0.2, 0.1])
_BASELINES = {
    "majority_accuracy": float(_P.max()),
    "uniform_loss": _uniform_loss(len(_P)),
    "prior_loss": float(-np.sum(_P * np.log(_P))),
}


def _baselines(**changes):
    """The reference table with some rows replaced (for a declared mistake)."""
    return {**_BASELINES, **changes}


# 7.3: the learning curve of the exercise (epoch 0 is before training)
CURVE_TRAIN = [2.31, 0.92, 0.41, 0.22, 0.12, 0.07, 0.04, 0.02, 0.01]
CURVE_VAL = [2.30, 0.95, 0.52, 0.41, 0.40, 0.44, 0.50, 0.57, 0.63]

# 7.4: two results, mean and 2σ over five independent seeds each
_A, _A2S = 0.912, 0.020
_B, _B2S = 0.931, 0.012


def _welch_summary(m_a, s_a, m_b, s_b, n=5, level=0.95):
    """Welch's interval of m_b − m_a from means and sample standard deviations."""
    from scipy import stats

    va, vb = s_a**2 / n, s_b**2 / n
    df = (va + vb) ** 2 / (va**2 / (n - 1) + vb**2 / (n - 1))
    h = stats.t.ppf((1 + level) / 2, df) * math.sqrt(va + vb)
    return m_b - m_a - h, m_b - m_a + h


_LO, _HI = _welch_summary(_A, _A2S / 2, _B, _B2S / 2)
_INTERVAL_REF = "d" if (_LO > 0 or _HI < 0) else "b"


# 7.5: the ensemble's class = argmax of the average probability
def _ensemble(prob_list):
    return np.mean(np.stack(prob_list), axis=0).argmax(axis=1)


def _ensemble_inputs(rng):
    # n = C, so that an argmax over the wrong axis still has shape (n,) and
    # can be recognized; Dirichlet(1) rows make the members disagree often.
    k = int(rng.integers(6, 10))
    m = int(rng.integers(3, 6))
    return {"prob_list": [rng.dirichlet(np.ones(k), size=k) for _ in range(m)]}


def _mean_of_labels(prob_list):
    return np.mean([p.argmax(axis=1) for p in prob_list], axis=0)


def _rounded_mean_of_labels(prob_list):
    return np.rint(_mean_of_labels(prob_list))


def _wrong_axis(prob_list):
    return np.mean(np.stack(prob_list), axis=0).argmax(axis=0)


def _majority_vote(prob_list):
    labels = np.stack([p.argmax(axis=1) for p in prob_list])
    k = prob_list[0].shape[1]
    return np.array([np.bincount(col, minlength=k).argmax() for col in labels.T])


def _most_confident_member(prob_list):
    return np.max(np.stack(prob_list), axis=0).argmax(axis=1)


# 7.6: the flawed experiment
_FLAWS = {
    "one_setting_changed": "no",
    "test_set_kept_for_the_end": "no",
    "spread_measured": "no",
    "same_split_and_preprocessing": "yes",
}


def _flaws(**changes):
    return {**_FLAWS, **changes}


# 7.7: Welch's interval of a difference of means, and its likely mistakes
def _welch_interval(a, b):
    w = experiment.welch(a, b)
    return w["difference"], w["ci"][0], w["ci"][1]


def _two_samples(rng):
    na, nb = int(rng.integers(4, 9)), int(rng.integers(4, 9))
    return {"a": rng.normal(0.90, rng.uniform(0.005, 0.03), na),
            "b": rng.normal(0.91, rng.uniform(0.005, 0.03), nb)}


def _interval(a, b, ddof=1, quantile=None, half=lambda se, sd: se):
    from scipy import stats

    a, b = np.asarray(a, float), np.asarray(b, float)
    va, vb = a.var(ddof=ddof) / len(a), b.var(ddof=ddof) / len(b)
    se = math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    q = stats.t.ppf(0.975, df) if quantile is None else quantile
    d = b.mean() - a.mean()
    h = q * half(se, math.sqrt(a.var(ddof=1) + b.var(ddof=1)))
    return d, d - h, d + h


def _band_interval(a, b):
    return _interval(a, b, half=lambda se, sd: sd)


def _normal_interval(a, b):
    return _interval(a, b, quantile=1.959963984540054)


def _ddof0_interval(a, b):
    return _interval(a, b, ddof=0)


def _swapped_interval(a, b):
    return _welch_interval(b, a)


def _one_sided_interval(a, b):
    from scipy import stats

    a, b = np.asarray(a, float), np.asarray(b, float)
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    return _interval(a, b, quantile=stats.t.ppf(0.95, df))


def _pooled_interval(a, b):
    from scipy import stats

    a, b = np.asarray(a, float), np.asarray(b, float)
    ci = stats.ttest_ind(b, a, equal_var=True).confidence_interval()
    return b.mean() - a.mean(), ci.low, ci.high


# 7.8: five paired seeds
_SEEDS_A = [0.962, 0.971, 0.958, 0.966, 0.969]
_SEEDS_B = [0.968, 0.975, 0.966, 0.969, 0.977]
_PAIRED_RAW = experiment.paired(_SEEDS_A, _SEEDS_B)
_WELCH = experiment.welch(_SEEDS_A, _SEEDS_B)
_PAIRED = {"mean_difference": _PAIRED_RAW["difference"], "se": _PAIRED_RAW["se"],
           "low": _PAIRED_RAW["ci"][0], "high": _PAIRED_RAW["ci"][1]}


def _paired_table(**changes):
    return {**_PAIRED, **changes}


EXERCISES = [
    FunctionExercise(
        id="7.1",
        title="the loss at initialization for C classes",
        reference=_uniform_loss,
        inputs=lambda rng: {"C": int(rng.integers(2, 1000))},
        n=None,
        hint="Each sample costs minus the log of the probability given to its own class; "
             "here every class gets the same probability.",
        mistakes=[
            Mistake(lambda C: math.log2(C), "Cross-entropy uses the natural logarithm (math.log), "
                    "not log base 2, which would measure the loss in bits."),
            Mistake(lambda C: math.log10(C), "Cross-entropy uses the natural logarithm (math.log), "
                    "not log base 10."),
            Mistake(lambda C: 1.0 / C, "That is the probability each class receives; the loss is "
                    "minus its logarithm."),
            Mistake(lambda C: 1.0 - 1.0 / C, "That is the error rate of guessing; the question asks "
                    "for the cross-entropy."),
        ],
        solution="def initial_loss(C):\n    return math.log(C)",
    ),
    TableExercise(
        id="7.2",
        title="baselines for classes with frequencies 0.7, 0.2, 0.1",
        reference=_BASELINES,
        digits=3,
        hint="Work one row at a time: what does each prediction score on an average image?",
        row_hints={
            "majority_accuracy": "Which images does always answering the same class get right?",
            "uniform_loss": "Every image, whatever its class, gets probability 1/3 for its own "
                            "class.",
            "prior_loss": "The prior model gives every image the probabilities (0.7, 0.2, "
                          "0.1); average its cross-entropy over the images, class by class.",
        },
        mistakes=[
            Mistake(_baselines(majority_accuracy=100 * float(_P.max())),
                    "Row majority_accuracy: give the accuracy as a fraction of 1, not a "
                    "percentage."),
            Mistake(_baselines(majority_accuracy=1 / 3),
                    "Row majority_accuracy: that is the accuracy of a uniform random guess; the "
                    "majority baseline always answers the most frequent class."),
            Mistake(_baselines(majority_accuracy=float(np.sum(_P**2))),
                    "Row majority_accuracy: that is guessing at random in proportion to the "
                    "class frequencies; the majority baseline always answers the most frequent "
                    "class."),
            Mistake(_baselines(uniform_loss=math.log2(3)),
                    "Row uniform_loss: cross-entropy uses the natural logarithm, not log base 2."),
            Mistake(_baselines(prior_loss=float(-np.sum(_P * np.log2(_P)))),
                    "Row prior_loss: cross-entropy uses the natural logarithm, not log base 2."),
            Mistake(_baselines(prior_loss=float(-np.log(_P.max()))),
                    "Row prior_loss: that is the loss of the majority-class images only; "
                    "average over all images, weighting each class by its frequency."),
            Mistake(_baselines(prior_loss=float(-np.mean(np.log(_P)))),
                    "Row prior_loss: you weighted the three classes equally; weight each class's "
                    "loss by how often it occurs."),
        ],
        solution=("p = np.array([0.7, 0.2, 0.1])\n"
                  "answer_7_2 = {\"majority_accuracy\": p.max(),\n"
                  "              \"uniform_loss\": math.log(3),\n"
                  "              \"prior_loss\": -np.sum(p * np.log(p))}"),
    ),
    ChoiceExercise(
        id="7.3",
        title="read a learning curve",
        options={
            "a": "It is not learning anything.",
            "b": "The learning rate is too high.",
            "c": "It is overfitting; early stopping would keep epoch 4.",
            "d": "It is still learning: train longer.",
            "e": "The learning rate is too low.",
        },
        reference="c",
        hint="Look at the two curves separately: where is each one lowest?",
        mistakes=[
            Mistake("a", "Compare the losses with their value at epoch 0, about ln 10: the "
                    "training loss falls far below it."),
            Mistake("b", "A learning rate that is too high makes the training loss jump up or "
                    "become nan; here it falls at every epoch."),
            Mistake("d", "Only the training loss is still falling. Which curve tells you how the "
                    "network does on images it has not seen?"),
            Mistake("e", "A learning rate that is too low gives a slow, steady decline; here the "
                    "training loss drops by more than half in the first epoch."),
        ],
        solution='answer_7_3 = "c"',
    ),
    ChoiceExercise(
        id="7.4",
        title="is the difference between two mean ± 2σ results real?",
        options={
            "a": "B is better, because its mean is higher.",
            "b": "The two cannot be told apart, because the bands of single runs overlap.",
            "c": "A is better, because its larger spread lets it reach higher.",
            "d": "B is better: the 95% confidence interval of the difference of the means "
                 "excludes 0, although single runs of A and B can score alike.",
        },
        reference=_INTERVAL_REF,
        hint="Turn each 2σ into a σ, then into the standard error of the difference of two "
             "means of five runs, and build the interval.",
        mistakes=[
            Mistake("a", "A higher mean is only the start: how precisely are the two means known?"),
            Mistake("b", "The bands describe where single runs fall; a difference of means is "
                    "judged by its standard error, which is smaller by a factor √n."),
            Mistake("c", "A larger spread means less certainty about A, not a better set-up."),
        ],
        solution='answer_7_4 = "d"',
    ),
    FunctionExercise(
        id="7.5",
        title="ensemble_predict: average the probabilities, then take the argmax",
        reference=_ensemble,
        inputs=_ensemble_inputs,
        trials=4,
        n=None,
        hint="Stack the M arrays into shape (M, n, C), average over the models, then pick the "
             "most probable class for each sample.",
        mistakes=[
            Mistake(_mean_of_labels, "You averaged the predicted labels. Class numbers are names, "
                    "not quantities: average the probabilities, then take the argmax."),
            Mistake(_rounded_mean_of_labels, "You rounded the average of the predicted labels. "
                    "Class numbers are names, not quantities: average the probabilities, then take "
                    "the argmax."),
            Mistake(_wrong_axis, "Your argmax runs over the samples: for each class it finds a "
                    "sample. Take it over the classes (the last axis) of the averaged array."),
            Mistake(_majority_vote, "That is a majority vote of the members' labels, a different "
                    "rule; this exercise averages the probabilities first."),
            Mistake(_most_confident_member, "You took the most confident member for each class "
                    "(a max over the models); average over the models instead."),
        ],
        solution=("def ensemble_predict(prob_list):\n"
                  "    return np.mean(np.stack(prob_list), axis=0).argmax(axis=1)"),
    ),
    TableExercise(
        id="7.6",
        title="find the mistakes in a comparison of two set-ups",
        reference=_FLAWS,
        hint="Check the experiment against the three rules of the chapter: one change, several "
             "seeds, decisions on the validation set.",
        row_hints={
            "one_setting_changed": "List everything that differs between set-ups A and B.",
            "test_set_kept_for_the_end": "Which data set chose the learning rates?",
            "spread_measured": "How many runs does each set-up have?",
            "same_split_and_preprocessing": "Reread what the two set-ups share.",
        },
        mistakes=[
            Mistake(_flaws(one_setting_changed="yes"),
                    "Row one_setting_changed: B differs from A in the optimizer as well as in "
                    "dropout, so a difference could come from either."),
            Mistake(_flaws(test_set_kept_for_the_end="yes"),
                    "Row test_set_kept_for_the_end: the learning rates were chosen by test "
                    "accuracy, which turns the test set into a validation set."),
            Mistake(_flaws(spread_measured="yes"),
                    "Row spread_measured: one seed per set-up gives no spread at all."),
            Mistake(_flaws(same_split_and_preprocessing="no"),
                    "Row same_split_and_preprocessing: both set-ups use the chapter's split and "
                    "scaler; that part of the design is sound."),
        ],
        solution=("answer_7_6 = {\"one_setting_changed\": \"no\",\n"
                  "              \"test_set_kept_for_the_end\": \"no\",\n"
                  "              \"spread_measured\": \"no\",\n"
                  "              \"same_split_and_preprocessing\": \"yes\"}"),
    ),
    FunctionExercise(
        id="7.7",
        title="welch_interval: the difference of two means and its 95% interval",
        reference=_welch_interval,
        inputs=_two_samples,
        trials=3,
        n=None,
        rtol=1e-6,
        output_names=("difference", "low", "high"),
        hint="The interval is the difference ± a t quantile times the standard error of the "
             "difference; each mean's variance is σ²/n.",
        mistakes=[
            Mistake(_band_interval, "Your half-width uses σ, the spread of single runs; the "
                    "uncertainty of a mean is σ/√n."),
            Mistake(_normal_interval, "With a handful of seeds the quantile comes from Student's "
                    "t with the Welch–Satterthwaite degrees of freedom, not the normal's 1.96."),
            Mistake(_ddof0_interval, "Use the sample standard deviation (ddof=1)."),
            Mistake(_swapped_interval, "The difference is b minus a."),
            Mistake(_pooled_interval, "That is Student's interval with a pooled variance, which "
                    "assumes equal spreads; Welch's keeps each set-up's own variance and uses the "
                    "Welch–Satterthwaite degrees of freedom."),
            Mistake(_one_sided_interval, "A two-sided 95% interval leaves 2.5% in each tail: the "
                    "quantile is t.ppf(0.975, df), not t.ppf(0.95, df)."),
        ],
        solution=("from scipy import stats\n\n"
                  "def welch_interval(a, b):\n"
                  "    a, b = np.asarray(a, float), np.asarray(b, float)\n"
                  "    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)\n"
                  "    se = np.sqrt(va + vb)\n"
                  "    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))\n"
                  "    d = b.mean() - a.mean()\n"
                  "    h = stats.t.ppf(0.975, df) * se\n"
                  "    return d, d - h, d + h"),
    ),
    TableExercise(
        id="7.8",
        title="a paired comparison of five seeds",
        reference=_PAIRED,
        digits=3,
        hint="Work with the five differences d_i = B_i − A_i, as one sample.",
        row_hints={
            "mean_difference": "Average the five per-seed differences.",
            "se": "The standard error of a mean of five differences: their sample standard "
                  "deviation over √5.",
            "low": "The mean difference minus the t quantile with 4 degrees of freedom times "
                   "the standard error.",
            "high": "The mean difference plus the same half-width.",
        },
        mistakes=[
            Mistake(_paired_table(se=_WELCH["se"], low=_WELCH["ci"][0], high=_WELCH["ci"][1]),
                    "Rows se, low, high: that is Welch's test, which treats the runs as "
                    "independent; here the seeds are shared, so pair them."),
            Mistake(_paired_table(low=_PAIRED_RAW["difference"] - 1.96 * _PAIRED_RAW["se"],
                                  high=_PAIRED_RAW["difference"] + 1.96 * _PAIRED_RAW["se"]),
                    "Rows low, high: with five differences the quantile comes from Student's t "
                    "with 4 degrees of freedom, not the normal's 1.96."),
            Mistake(_paired_table(mean_difference=-_PAIRED["mean_difference"],
                                  low=-_PAIRED["high"], high=-_PAIRED["low"]),
                    "Rows mean_difference, low, high: the differences are d_i = B_i − A_i, so "
                    "the gain of B is positive; you computed A − B."),
            Mistake(_paired_table(se=_PAIRED_RAW["se"] * math.sqrt(5)),
                    "Row se: that is the spread of the differences; the mean of five is known "
                    "√5 times better."),
        ],
        solution=("a = np.array([0.962, 0.971, 0.958, 0.966, 0.969])\n"
                  "b = np.array([0.968, 0.975, 0.966, 0.969, 0.977])\n"
                  "from nnlearn import experiment\n"
                  "t = experiment.paired(a, b)\n"
                  "answer_7_8 = {\"mean_difference\": t[\"difference\"], \"se\": t[\"se\"],\n"
                  "              \"low\": t[\"ci\"][0], \"high\": t[\"ci\"][1]}"),
    ),
]

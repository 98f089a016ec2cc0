"""Exercises of chapter 7, a recipe for training (``notebooks/07_recipe.md``).

Each reference is computed from the formula the chapter derives, or by the
rule nnlearn applies (``bands_overlap``), not typed in.
"""

import math

import numpy as np

from ..course.recipe import bands_overlap
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

# 7.4: two results, mean and 2σ over five seeds
_A, _A2S = 0.912, 0.020
_B, _B2S = 0.931, 0.012
_BANDS_REF = "c" if bands_overlap(_A, _A2S, _B, _B2S) else ("a" if _B > _A else "d")


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
        hint="Work one row at a time: what does each prediction score on an average image?",
        row_hints={
            "majority_accuracy": "Always answering the most frequent class is right exactly on "
                                 "the images of that class.",
            "uniform_loss": "Every image, whatever its class, gets probability 1/3 for its own "
                            "class.",
            "prior_loss": "An image of class k costs −ln p_k, and a fraction p_k of the images "
                          "belongs to class k.",
        },
        mistakes=[
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
            "b": "B is better, because the difference of the means is larger than B's 2σ.",
            "c": "The two cannot be told apart, because the bands overlap.",
            "d": "A is better, because its larger spread lets it reach higher.",
        },
        reference=_BANDS_REF,
        hint="Write down each band, mean − 2σ to mean + 2σ, and see whether they overlap.",
        mistakes=[
            Mistake("a", "A higher mean is only the start: compare the difference with the "
                    "seed-to-seed spread of both set-ups."),
            Mistake("b", "That compares the difference with one spread only; the bands are "
                    "separate only when it exceeds 2σ_A + 2σ_B."),
            Mistake("d", "A larger spread means less certainty about A, not a better set-up."),
        ],
        solution='answer_7_4 = "c"',
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
]

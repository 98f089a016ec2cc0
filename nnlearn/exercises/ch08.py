"""Exercises of workbook 8, the recipe on a new problem (``notebooks/08_recipe_new_problem.md``).

The problem is ``data.hastie_10_2`` as split by ``course.recipe.hastie_splits``. References
that depend on an experiment are computed lazily, by running the same cached experiment
the workbook runs (``course.recipe.hastie_runs``), on the learner's own backend.
"""

import numpy as np

from .core import ChoiceExercise, LazyTable, Mistake, NumberExercise, TableExercise


def _majority_report_accuracy():
    from ..course.recipe import hastie_splits

    (_, y_train), _, (_, y_report), _ = hastie_splits()
    return float(np.mean(y_report == np.bincount(y_train).argmax()))


def _mlp_vs_linear(swapped=False, paired=None):
    """MLP minus linear on the report accuracy, with its paired 95% interval (``swapped``:
    linear minus MLP; ``paired=False``: Welch's unpaired interval — two wrong answers)."""
    from ..course.recipe import hastie_runs
    from ..experiment import compare

    runs = [hastie_runs(depth=0, lr=1e-2, name="linear"), hastie_runs(width=64, lr=3e-3, name="MLP")]
    c = compare(*(runs[::-1] if swapped else runs), "accuracy", paired=paired)
    return {"difference": c.difference, "low": c.ci[0], "high": c.ci[1]}


EXERCISES = [
    NumberExercise(
        id="8.1",
        title="the majority baseline on the report half",
        reference=_majority_report_accuracy,
        digits=3,
        hint="Find the most frequent class of the training split, then the fraction of report "
             "points that belong to it.",
        mistakes=[Mistake(0.5, "Close, but the two classes are not exactly balanced in a finite "
                          "sample: count them on the report half.")],
        solution=("(_, y_train), _, (_, y_report), _ = recipe.hastie_splits()\n"
                  "answer_8_1 = np.mean(y_report == np.bincount(y_train).argmax())"),
    ),
    TableExercise(
        id="8.2",
        title="MLP against the linear baseline: the difference of mean accuracies and its 95% interval",
        reference=_mlp_vs_linear,
        digits=2,
        hint="Compare the two SeedResults on the report accuracy with experiment.compare; the "
             "difference is MLP minus linear.",
        row_hints={
            "difference": "The mean report accuracy of the MLP minus that of the linear model.",
            "low": "The lower end of the 95% confidence interval of that difference (paired, as "
                   "the two set-ups share their seeds).",
            "high": "The upper end of the same interval.",
        },
        mistakes=[
            Mistake(LazyTable(lambda: _mlp_vs_linear(swapped=True)),
                    "Your difference is the linear model's accuracy minus the MLP's; the question "
                    "asks for MLP minus linear (pass the baseline first to experiment.compare)."),
            Mistake(LazyTable(lambda: {k: 100 * v for k, v in _mlp_vs_linear().items()}),
                    "Give the difference and its interval as fractions of 1, as the accuracies "
                    "are, not in percentage points."),
            Mistake(LazyTable(lambda: _mlp_vs_linear(paired=False)),
                    "That is Welch's unpaired interval. The two set-ups ran the same seeds (the "
                    "same minibatch order), and experiment.compare pairs such runs: the interval "
                    "of the paired differences is the one asked for."),
        ],
        solution=("c = experiment.compare(linear, mlp, \"accuracy\")\n"
                  "answer_8_2 = {\"difference\": c.difference, \"low\": c.ci[0], \"high\": c.ci[1]}"),
    ),
    ChoiceExercise(
        id="8.3",
        title="what the first search round says",
        options={
            "a": "The best learning rate is the best trial's: the search has found it.",
            "b": "Weight decay is what matters most here, since its best value is the largest.",
            "c": "The best trial sits at the edge of the space, its learning rate at the top of "
                 "its range: widen that range upwards and search again before concluding anything.",
            "d": "Run the best trial with five more seeds to make it certain.",
        },
        reference="c",
        hint="Where in its range does the best trial's learning rate lie, and what does that "
             "say about values outside the range?",
        mistakes=[
            Mistake("a", "The best of the trials is only the best inside the range searched; look "
                    "at where it lies in that range."),
            Mistake("b", "Large is not important: compare how much the selection loss moves "
                    "along each hyperparameter."),
            Mistake("d", "More seeds make the trial's score more precise, but do not tell you "
                    "about learning rates the search never tried."),
        ],
        solution='answer_8_3 = "c"',
    ),
    ChoiceExercise(
        id="8.4",
        title="width 16 against width 64",
        options={
            "a": "Width 64 is better: the 95% confidence interval of the difference excludes 0, "
                 "on the loss and on the accuracy.",
            "b": "Too close to call: the seeds disagree.",
            "c": "Width 16 is better, because it is cheaper and scores alike.",
            "d": "No conclusion is possible before the test set is used.",
        },
        reference="a",
        hint="Read the verdict of experiment.compare on each metric, and the interval it rests on.",
        mistakes=[
            Mistake("b", "Look at the confidence interval of the difference of the means, not at "
                    "single seeds."),
            Mistake("c", "Cheaper is a reason to prefer a set-up that scores alike; does it?"),
            Mistake("d", "Comparisons are made on data that no choice has seen, the report half; "
                    "the test set is kept for the one final number."),
        ],
        solution='answer_8_4 = "a"',
    ),
]

"""Self-study exercises with checkers that give hints, never answers.

In a workbook every exercise is a task, an answer cell and a check cell::

    from nnlearn.exercises import check

    answer_1_2 = ...          # the learner replaces ... with an answer
    check("1.2", answer_1_2)  # prints one line

:func:`check` prints exactly one line and returns a :class:`CheckResult`
(true when correct):

- ``✅ Exercise 1.2: correct.``
- ``⏳ Exercise 1.2: not yet answered — ...`` while the answer is still ``...``;
- ``❌ Exercise 1.2: not yet right. Hint: ...`` with a hint aimed at the likely
  mistake (a flipped sign, a factor 2 or :math:`N`, a transposed array, or a
  mistake the exercise declares), never the answer itself;
- ``⚠️ Exercise 1.2: expected ..., got ...`` when the answer cannot be compared
  (a string for a number, an array of the wrong shape, a function that raises).

.. rubric:: Writing exercises

Exercises of chapter :math:`k` are declared in ``nnlearn/exercises/chKK.py`` (two
digits) as a list ``EXERCISES`` of entries, one per exercise::

    from nnlearn.exercises.core import NumberExercise, FunctionExercise, Mistake

    EXERCISES = [
        NumberExercise(
            id="1.2", reference=5, solution="answer_1_2 = 2 * 3 - 1",
            hint="y depends on x along two paths: add their contributions.",
            mistakes=[Mistake(6, "that is the path through a1 alone; a2 depends on x too.")],
        ),
        FunctionExercise(
            id="2.4", reference=delta_hidden, inputs=lambda rng: {...},
            solution="def delta(...): ...",
            mistakes=[Mistake(delta_without_sigma_prime, "the delta needs the factor σ′(z).")],
        ),
    ]

The module is found from the id's chapter number; nothing else needs
registering. The kinds are :class:`NumberExercise`, :class:`ArrayExercise`,
:class:`FunctionExercise`, :class:`TableExercise` and :class:`ChoiceExercise`.

In continuous integration the environment variable ``NNLEARN_EXPECT`` turns
``check`` into an assertion: ``pass`` raises ``AssertionError`` unless the
answer is correct, ``pending`` unless it is still pending. Unset, ``check``
never raises on an answer.
"""

from __future__ import annotations

from .core import (
    STATUSES,
    ArrayExercise,
    ChoiceExercise,
    CheckResult,
    Exercise,
    FunctionExercise,
    Mistake,
    NumberExercise,
    TableExercise,
)
from .registry import (
    ExerciseNotFound,
    all_exercises,
    chapter_of,
    chapters,
    exercises_of_chapter,
    get_exercise,
)

__all__ = [
    "check",
    "CheckResult",
    "Mistake",
    "Exercise",
    "NumberExercise",
    "ArrayExercise",
    "FunctionExercise",
    "TableExercise",
    "ChoiceExercise",
    "ExerciseNotFound",
    "get_exercise",
    "exercises_of_chapter",
    "chapters",
    "all_exercises",
    "chapter_of",
    "STATUSES",
]


def check(exercise_id: str, answer) -> CheckResult:
    """Check an answer to exercise ``exercise_id``; print one line; return the result.

    Parameters
    ----------
    exercise_id : str
        The exercise, e.g. ``"1.2"``.
    answer : object
        Whatever the exercise asks for: a number, an array (a list of lists is
        fine), a function, a filled-in table (a dict), or an option.

    Returns
    -------
    CheckResult
        ``.status`` is ``"correct"``, ``"incorrect"``, ``"pending"`` or
        ``"invalid"``; ``.message`` is the printed line; ``bool(result)`` is
        true when correct.

    Raises
    ------
    ExerciseNotFound
        For an unknown id (the message lists the ids of that chapter).
    AssertionError
        Only when ``NNLEARN_EXPECT`` is set and the status is not the expected one.
    """
    return get_exercise(exercise_id).check(answer)

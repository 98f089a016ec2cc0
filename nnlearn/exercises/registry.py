"""Where the exercises live: one module per chapter, found by the id.

Exercise ``"2.3"`` is declared in ``nnlearn/exercises/ch02.py``, in a module
level list ``EXERCISES``. A chapter module is imported the first time one of
its exercises is checked, so a workbook imports only its own chapter, and a
new chapter needs nothing but its ``chNN.py`` file: :func:`chapters` finds every
``chNN`` module present.
"""

from __future__ import annotations

import importlib
import numbers
import pkgutil
import re
from pathlib import Path

from .core import Exercise

__all__ = ["ExerciseNotFound", "get_exercise", "exercises_of_chapter", "chapters",
           "all_exercises", "chapter_of"]

_MODULE = re.compile(r"^ch(\d{2})$")
_loaded: dict[int, dict[str, Exercise]] = {}


class ExerciseNotFound(LookupError):
    """No exercise has this id (the message lists the ids of its chapter)."""


def _sort_key(exercise_id: str):
    chapter, number = exercise_id.split(".", 1)
    m = re.match(r"(\d+)(.*)", number)
    return (int(chapter), int(m.group(1)) if m else 10**9, m.group(2) if m else number)


def chapters() -> list[int]:
    """The chapters that have a registry module (``ch00``, ``ch01``, ...)."""
    here = str(Path(__file__).parent)
    found = [int(m.group(1)) for info in pkgutil.iter_modules([here])
             if (m := _MODULE.match(info.name))]
    return sorted(found)


def exercises_of_chapter(chapter: int) -> dict[str, Exercise]:
    """The exercises of one chapter, ``{id: Exercise}`` in order of their ids."""
    if isinstance(chapter, str) and chapter.strip().isdigit():
        chapter = int(chapter)
    if isinstance(chapter, bool) or not isinstance(chapter, numbers.Integral):
        raise TypeError(f"exercises_of_chapter: chapter must be a whole number such as 3, got "
                        f"{chapter!r:.40}")
    chapter = int(chapter)
    if chapter in _loaded:
        return _loaded[chapter]
    if chapter not in chapters():
        known = ", ".join(str(c) for c in chapters())
        raise ExerciseNotFound(f"there are no exercises for chapter {chapter} "
                               f"(chapters with exercises: {known}).")
    module = importlib.import_module(f"{__package__}.ch{chapter:02d}")
    entries = getattr(module, "EXERCISES", None)
    if entries is None:
        raise RuntimeError(f"{module.__name__} must define a list EXERCISES of Exercise entries")
    table: dict[str, Exercise] = {}
    for ex in entries:
        if not isinstance(ex, Exercise):
            raise TypeError(f"{module.__name__}.EXERCISES holds {ex!r}, which is not an Exercise")
        if ex.chapter != chapter:
            raise ValueError(f"exercise {ex.id} is declared in {module.__name__}; it belongs "
                             f"in ch{ex.chapter:02d}.py")
        if ex.id in table:
            raise ValueError(f"exercise {ex.id} is declared twice in {module.__name__}")
        table[ex.id] = ex
    _loaded[chapter] = {k: table[k] for k in sorted(table, key=_sort_key)}
    return _loaded[chapter]


def chapter_of(exercise_id: str) -> int:
    """The chapter number of an id such as ``"1.2"``."""
    if not isinstance(exercise_id, str):
        if isinstance(exercise_id, (int, float)) and not isinstance(exercise_id, bool):
            raise TypeError(f'exercise ids are strings: write check("{exercise_id}", ...) '
                            f"with quotes, not check({exercise_id!r}, ...).")
        raise TypeError(f"exercise ids are strings such as \"1.2\" (with quotes), got "
                        f"{type(exercise_id).__name__}.")
    m = re.match(r"^\s*(\d{1,6})\.\w+\s*$", exercise_id)
    if not m:
        shown = exercise_id if len(exercise_id) <= 30 else exercise_id[:27] + "..."
        raise ExerciseNotFound(f"{shown!r} is not an exercise id; ids look like "
                               "'1.2' (chapter 1, exercise 2).")
    return int(m.group(1))


def get_exercise(exercise_id: str) -> Exercise:
    """The exercise with this id; an unknown id lists the ids of its chapter."""
    chapter = chapter_of(exercise_id)
    table = exercises_of_chapter(chapter)
    exercise_id = exercise_id.strip()
    if exercise_id not in table:
        raise ExerciseNotFound(f"there is no exercise {exercise_id!r}; chapter {chapter} has "
                               f"exercises {', '.join(table)}.")
    return table[exercise_id]


def all_exercises() -> dict[str, Exercise]:
    """Every exercise of every chapter, ``{id: Exercise}``."""
    out: dict[str, Exercise] = {}
    for c in chapters():
        out.update(exercises_of_chapter(c))
    return out

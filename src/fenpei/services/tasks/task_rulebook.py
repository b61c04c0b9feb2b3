"""The task rule book: the rules whose subject is ``task``, compiled against the task fields.

The same ``RuleBook`` as the customers' (same stamp check, same compiled-rule cache), one
per process like theirs. It is kept here rather than by the composition root because every
door creating a task (pages, API, CLI, follow-ups, timers) reaches ``route_task`` without
one; being checked by stamp before every use, it is never stale, whoever changed a rule.
"""

from __future__ import annotations

from fenpei.domain.rules import RuleSubject
from fenpei.services.rulebook import RuleBook

_BOOK = RuleBook(RuleSubject.task)


def task_rulebook() -> RuleBook:
    """This process's task rule book."""
    return _BOOK

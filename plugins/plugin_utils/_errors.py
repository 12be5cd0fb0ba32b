# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Errors the pure decision code raises. Internal use only."""

from __future__ import annotations

from collections.abc import Callable, Iterable


class OptionError(ValueError):
    """Bad task input. Raised before any connection is made, so nothing reaches a host."""

    def __init__(self, option: str, value: object, reason: str) -> None:
        self.option = option
        self.value = value
        self.reason = reason
        super().__init__(self.describe())

    def describe(self, label: str | None = None) -> str:
        """The message, with the option shown as `label` (e.g. a role variable) if given."""
        return f"Invalid value for option '{label or self.option}': {self.value!r}: {self.reason}"

    @property
    def errors(self) -> list:
        return [self]


class OptionErrors(OptionError):
    """Several bad inputs at once, so that one run names every problem, not only the first."""

    def __init__(self, errors: Iterable[OptionError]) -> None:
        flat = [item for error in errors for item in error.errors]
        if not flat:
            raise ValueError("OptionErrors needs at least one error")
        self._errors = flat
        first = flat[0]
        super().__init__(first.option, first.value, first.reason)
        self.args = (self.describe(),)

    @property
    def errors(self) -> list:
        return list(self._errors)

    def describe(self, label: str | None = None) -> str:
        return "; ".join(error.describe() for error in self._errors)


def check_each(items: Iterable, check: Callable) -> list:
    """`check(item)` for every item; raise OptionErrors naming every item that failed."""
    results, errors = [], []
    for item in items:
        try:
            results.append(check(item))
        except OptionError as err:
            errors.append(err)
    if errors:
        raise OptionErrors(errors)
    return results


class Collected:
    """Runs independent checks and keeps every OptionError, so a validator can name all
    problems of a task at once: `value = collected.check(fn, *args)`, then `raise_any()`."""

    def __init__(self) -> None:
        self.errors: list = []

    def check(self, function: Callable, *args, fallback=None):
        try:
            return function(*args)
        except OptionError as err:
            self.errors += err.errors
            return fallback

    def raise_any(self) -> None:
        if self.errors:
            raise OptionErrors(self.errors)


class HostStateError(Exception):
    """The host's state makes the task impossible (checked after the read, before any write)."""

# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Errors the pure decision code raises. Internal use only."""

from __future__ import annotations


class OptionError(ValueError):
    """Bad task input. Raised before any connection is made, so nothing reaches a host."""

    def __init__(self, option: str, value: object, reason: str) -> None:
        self.option = option
        self.value = value
        self.reason = reason
        super().__init__(f"Invalid value for option '{option}': {value!r}: {reason}")


class HostStateError(Exception):
    """The host's state makes the task impossible (checked after the read, before any write)."""

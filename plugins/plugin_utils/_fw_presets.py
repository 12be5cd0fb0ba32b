# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The entries each `preset` stands for, and the rules backend's default rule Names.

Internal use only. `legacy` is KB 301527's list verbatim (SPEC step 6), for the policy keys
the KB names; `modern` keeps the KB's DCOM port and names the programs that exist on
Windows 7 and later (SPEC "Modern Windows").
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from ansible_collections.winra.remote_assistance.plugins.plugin_utils._fw_grammar import (
    parse_port,
    parse_program,
)

PRESET_NAMES = ("legacy", "modern", "none")
DEFAULT_PRESET = "modern"

# U+2013 EN DASH, written as an escape so that no editor or encoding can turn it into '-'.
_EN_DASH = "\u2013"

_KB_PORT = "135:TCP:*:Enabled:Offer Remote Assistance"

_ENTRIES = {
    "legacy": (
        (_KB_PORT,),
        (
            "%WINDIR%\\SYSTEM32\\Sessmgr.exe:*:Enabled:Remote Assistance",
            "%WINDIR%\\PCHealth\\HelpCtr\\Binaries\\Helpsvc.exe:*:Enabled:Offer Remote Assistance",
            "%WINDIR%\\PCHealth\\HelpCtr\\Binaries\\Helpctr.exe:*:Enabled:"
            f"Remote Assistance {_EN_DASH} Windows Messenger and Voice",
        ),
    ),
    "modern": (
        (_KB_PORT,),
        (
            # msra.exe is the Remote Assistance client and the novice's side of a session
            # (Sessmgr's successor); raserver.exe answers offers (Helpsvc's successor).
            "%SystemRoot%\\System32\\msra.exe:*:Enabled:Remote Assistance",
            "%SystemRoot%\\System32\\raserver.exe:*:Enabled:Offer Remote Assistance",
        ),
    ),
    "none": ((), ()),
}

# Built-in rules Offer Remote Assistance needs (SPEC "Modern Windows"), addressed by Name.
DEFAULT_RULES = (
    "RemoteAssistance-DCOM-In-TCP-NoScope-Active",
    "RemoteAssistance-RAServer-In-TCP-NoScope-Active",
)


@dataclass(frozen=True)
class Preset:
    ports: tuple
    programs: tuple


def preset_strings(name: str) -> tuple:
    """(port strings, program strings) of a preset, exactly as written to the policy."""
    return _ENTRIES[name]


@cache
def preset(name: str) -> Preset:
    """Parsed once per process: every host of a play asks for the same presets."""
    ports, programs = _ENTRIES[name]
    return Preset(
        tuple(parse_port(text) for text in ports),
        tuple(parse_program(text) for text in programs),
    )

# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""gpt.ini of the Local Group Policy: version bump and the registry extension's GUID pair.

Internal use only. SPEC "Local Group Policy (Registry.pol) facts" and its pitfalls:

- `Version` holds the user part in the high 16 bits and the machine part in the low 16
  bits. Each change to machine policy raises the machine part; 65535 wraps to 1 (0 would
  read as "no policy"), the user half never changes.
- `gPCMachineExtensionNames` is a run of `[{CSE}{tool}...]` groups. Every existing group
  keeps its brackets; ours is `[{35378EAC-...}{D02B1F72-...}]` (registry extension, then
  the Administrative Templates tool). Groups are sorted by their first GUID, the client
  extension; inside a group the extension stays first and the tool GUIDs after it are
  sorted, which is how the Group Policy editor writes them (e.g.
  `[{35378EAC-...}{0F6B957E-...}{D02B1F72-...}]`). GUIDs compare case-insensitively.
- The file is ANSI without a BOM, CRLF line ends. Lines this module does not manage are
  kept byte for byte and in order; a UTF-8 BOM is dropped, as it hides the version from
  the Group Policy Management Console.

A file whose `Version` or `gPCMachineExtensionNames` does not parse raises GptIniError:
rewriting it would guess.
"""

from __future__ import annotations

import re

REGISTRY_EXTENSION = "{35378EAC-683F-11D2-A89A-00C04FBBCFA2}"
ADMINISTRATIVE_TEMPLATES_TOOL = "{D02B1F72-3407-48AE-BA88-E8213C6761F1}"
REGISTRY_GROUP = (REGISTRY_EXTENSION, ADMINISTRATIVE_TEMPLATES_TOOL)

_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_SECTION = b"[General]"
_VERSION = b"Version"
_EXTENSIONS = b"gPCMachineExtensionNames"
_GUID = re.compile(
    rb"\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}"
)
_GROUP = re.compile(rb"\[((?:" + _GUID.pattern + rb")+)\]")
MACHINE_MASK = 0xFFFF


class GptIniError(ValueError):
    """gpt.ini content this module will not rewrite; the message says which line and why."""


def next_version(version: int) -> int:
    """Raise the machine half by one (65535 -> 1); keep the user half."""
    machine = version & MACHINE_MASK
    machine = 1 if machine >= MACHINE_MASK else machine + 1
    return (version & ~MACHINE_MASK) | machine


def merge_extensions(text: bytes) -> bytes:
    """`text` (a gPCMachineExtensionNames value) with the registry group present, sorted."""
    groups = _parse_groups(text)
    for group in groups:
        if group[0].upper() == REGISTRY_EXTENSION.encode():
            if ADMINISTRATIVE_TEMPLATES_TOOL.encode() not in [g.upper() for g in group[1:]]:
                group.append(ADMINISTRATIVE_TEMPLATES_TOOL.encode())
            break
    else:
        groups.append([guid.encode() for guid in REGISTRY_GROUP])
    return b"".join(b"[" + b"".join(_sorted_group(group)) + b"]" for group in _sorted(groups))


def has_registry_extension(data: bytes | None) -> bool:
    """True when gpt.ini already names the registry extension with the templates tool."""
    if not data:
        return False
    lines = _lines(data)
    found = _find(lines, _EXTENSIONS)
    if found is None:
        return False
    value = _value(lines[found[1]])
    for group in _parse_groups(value):
        if group[0].upper() == REGISTRY_EXTENSION.encode():
            return ADMINISTRATIVE_TEMPLATES_TOOL.encode() in [g.upper() for g in group[1:]]
    return False


def version_of(data: bytes | None) -> int:
    """The Version number (0 when the file or the line is missing)."""
    if not data:
        return 0
    lines = _lines(data)
    found = _find(lines, _VERSION)
    return 0 if found is None else _parse_version(_value(lines[found[1]]))


def updated(data: bytes | None) -> bytes:
    """gpt.ini after a change to machine policy: version raised, registry extension listed.

    `data` None (or empty) creates the file the way the Local Group Policy editor does.
    """
    lines = _lines(data or b"")
    if _find_section(lines) is None:
        lines[:0] = [_SECTION]
    found = _find(lines, _EXTENSIONS)
    if found is None:
        _insert(lines, _EXTENSIONS + b"=" + merge_extensions(b""))
    else:
        index = found[1]
        lines[index] = _EXTENSIONS + b"=" + merge_extensions(_value(lines[index]))
    found = _find(lines, _VERSION)
    if found is None:
        _insert(lines, _VERSION + b"=" + str(next_version(0)).encode())
    else:
        index = found[1]
        new = next_version(_parse_version(_value(lines[index])))
        lines[index] = _VERSION + b"=" + str(new).encode()
    return b"".join(line + b"\r\n" for line in lines)


# -- lines ------------------------------------------------------------------------------------


def _lines(data: bytes) -> list[bytes]:
    if data.startswith(_UTF16_BOMS):
        raise GptIniError("gpt.ini is UTF-16; Group Policy writes it in ANSI")
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return [line[:-1] if line.endswith(b"\r") else line for line in lines]


def _is_section(line: bytes) -> bool:
    stripped = line.strip()
    return stripped.startswith(b"[") and stripped.endswith(b"]")


def _find_section(lines: list[bytes]) -> tuple[int, int] | None:
    """(header index, end index) of [General]: end is the next section or the end."""
    for index, line in enumerate(lines):
        if line.strip().lower() == _SECTION.lower():
            end = next(
                (i for i in range(index + 1, len(lines)) if _is_section(lines[i])), len(lines)
            )
            return index, end
    return None


def _find(lines: list[bytes], key: bytes) -> tuple[int, int] | None:
    """(section index, line index) of `key=` in [General], matched case-insensitively."""
    section = _find_section(lines)
    if section is None:
        return None
    start, end = section
    for index in range(start + 1, end):
        name, sep, _value = lines[index].partition(b"=")
        if sep and name.strip().lower() == key.lower():
            return start, index
    return None


def _insert(lines: list[bytes], line: bytes) -> None:
    """Add a line at the end of [General], before blank lines that separate sections."""
    _start, end = _find_section(lines)  # type: ignore[misc]
    while end > 0 and not lines[end - 1].strip() and not _is_section(lines[end - 1]):
        end -= 1
    lines.insert(end, line)


def _value(line: bytes) -> bytes:
    return line.partition(b"=")[2].strip()


def _parse_version(text: bytes) -> int:
    if not re.fullmatch(rb"[0-9]{1,10}", text) or int(text) > 0xFFFFFFFF:
        raise GptIniError(f"gpt.ini Version {text.decode('latin-1')!r} is not a 32-bit number")
    return int(text)


def _parse_groups(text: bytes) -> list[list[bytes]]:
    groups = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _GROUP.match(text, position)
        if match is None:
            raise GptIniError(
                "gpt.ini gPCMachineExtensionNames is not a run of [{GUID}...] groups at"
                f" character {position}: {text.decode('latin-1')!r}"
            )
        groups.append(_GUID.findall(match.group(1)))
        position = match.end()
    return groups


def _sorted_group(group: list[bytes]) -> list[bytes]:
    tools = []
    for guid in group[1:]:
        if guid.upper() not in [t.upper() for t in tools]:
            tools.append(guid)
    return [group[0], *sorted(tools, key=bytes.upper)]


def _sorted(groups: list[list[bytes]]) -> list[list[bytes]]:
    return sorted(groups, key=lambda group: group[0].upper())

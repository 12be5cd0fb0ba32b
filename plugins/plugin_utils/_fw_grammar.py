# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Windows Firewall policy exception strings (SPEC "Windows Firewall policy exceptions").

Internal use only.

    port entry     port:protocol:scope:status:name      135:TCP:*:Enabled:Offer Remote Assistance
    program entry  path:scope:status:name               %WINDIR%\\SYSTEM32\\Sessmgr.exe:*:Enabled:Remote Assistance

Decisions (Windows itself accepts any string silently, so these are ours):

- A name never contains ':'. A program path may hold a drive colon, so a program entry is
  split from the right; a colon in its name would make the split ambiguous. Port entries
  follow the same rule so that one rule holds for both lists. For the same reason a
  program path may hold a colon only as a drive colon (`C:`) at its start.
- Protocol (`TCP`/`UDP`), status (`Enabled`/`Disabled`) and `LocalSubNet` are read
  case-insensitively and written in that canonical spelling. `format_entry(parse(s)) == s`
  holds for every canonical string; a non-canonical input is written canonically.
- Scope is `*`, or a comma list (no spaces) of IPv4 addresses, `a.b.c.d/nn` subnets,
  `a.b.c.d/m.m.m.m` subnets (Windows documents both prefix and mask forms) and
  `LocalSubNet`. IPv4 octets with leading zeros are refused: Windows' address parser reads
  them as octal, so `010.0.0.1` would not mean what it says.
- The name and the path are kept byte-exact (the en dash in
  `Remote Assistance – Windows Messenger and Voice` included).
- Identity: a port entry is identified by (port, protocol); a program entry by its path
  compared case-insensitively, environment variables left unexpanded (`%WINDIR%` and
  `%SystemRoot%` are different paths to us, as they are different strings in the policy).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.winra.remote_assistance.plugins.plugin_utils._errors import OptionError
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._registry_values import (
    MAX_VALUE_NAME,
    ordinal_ignore_case,
)

ANY_SCOPE = "*"
LOCAL_SUBNET = "LocalSubNet"
PROTOCOLS = ("TCP", "UDP")
_STATUS = {"enabled": True, "disabled": False}
_DECIMAL = re.compile(r"[0-9]+\Z")
_OCTET = re.compile(r"(?:0|[1-9][0-9]{0,2})\Z")
_DRIVE = re.compile(r"[A-Za-z]:")


class MalformedEntry(ValueError):
    """A string or dict that is not a valid exception entry; the message says why."""


@dataclass(frozen=True)
class PortEntry:
    port: int
    protocol: str
    scope: tuple
    enabled: bool
    name: str

    @property
    def identity(self) -> tuple:
        return ("port", self.port, self.protocol)


@dataclass(frozen=True)
class ProgramEntry:
    path: str
    scope: tuple
    enabled: bool
    name: str

    @property
    def identity(self) -> tuple:
        return ("program", ordinal_ignore_case(self.path))


# -- formatting -----------------------------------------------------------------------------


def format_entry(entry: PortEntry | ProgramEntry) -> str:
    status = "Enabled" if entry.enabled else "Disabled"
    scope = ",".join(entry.scope)
    if isinstance(entry, PortEntry):
        return f"{entry.port}:{entry.protocol}:{scope}:{status}:{entry.name}"
    return f"{entry.path}:{scope}:{status}:{entry.name}"


# -- parsing strings --------------------------------------------------------------------------


def parse_port(text: str) -> PortEntry:
    if not isinstance(text, str):
        raise MalformedEntry("a port entry must be a string")
    fields = text.split(":")
    if len(fields) != 5:
        raise MalformedEntry(
            f"expected 5 fields port:protocol:scope:status:name, got {len(fields)}"
            " (a name cannot contain ':')"
        )
    port, protocol, scope, status, name = fields
    return PortEntry(_port(port), _protocol(protocol), _scope(scope), _status(status), _name(name))


def parse_program(text: str) -> ProgramEntry:
    if not isinstance(text, str):
        raise MalformedEntry("a program entry must be a string")
    fields = text.rsplit(":", 3)
    if len(fields) != 4:
        raise MalformedEntry(f"expected 4 fields path:scope:status:name, got {len(fields)}")
    path, scope, status, name = fields
    if _DRIVE.match(f"{path}:") and len(path) == 1:
        # `C:\\x.exe:*:Enabled`: the drive colon was taken for a separator.
        raise MalformedEntry("expected 4 fields path:scope:status:name after the drive colon")
    return ProgramEntry(_path(path), _scope(scope), _status(status), _name(name))


def parse_entry(kind: str, text: str) -> PortEntry | ProgramEntry:
    """`kind` is `port` or `program`."""
    return parse_port(text) if kind == "port" else parse_program(text)


# -- the structured (dict) form -----------------------------------------------------------------

_PORT_FIELDS = {"port", "protocol", "scope", "enabled", "name"}
_PROGRAM_FIELDS = {"path", "scope", "enabled", "name"}


def port_from_dict(item: dict) -> PortEntry:
    _known_fields(item, _PORT_FIELDS, required=("port", "protocol", "name"))
    port = item["port"]
    if isinstance(port, bool) or not isinstance(port, (int, str)):
        raise MalformedEntry(f"port must be an integer, got {port!r}")
    port = _port(str(port))
    if not isinstance(item["protocol"], str):
        raise MalformedEntry(f"protocol must be TCP or UDP, got {item['protocol']!r}")
    return PortEntry(
        port,
        _protocol(item["protocol"]),
        _scope_option(item.get("scope", ANY_SCOPE)),
        _enabled_option(item.get("enabled", True)),
        _name(_text(item["name"], "name")),
    )


def program_from_dict(item: dict) -> ProgramEntry:
    _known_fields(item, _PROGRAM_FIELDS, required=("path", "name"))
    return ProgramEntry(
        _path(_text(item["path"], "path")),
        _scope_option(item.get("scope", ANY_SCOPE)),
        _enabled_option(item.get("enabled", True)),
        _name(_text(item["name"], "name")),
    )


def _known_fields(item: dict, allowed: set, required: tuple) -> None:
    unknown = sorted(str(key) for key in item if key not in allowed)
    if unknown:
        raise MalformedEntry(
            f"unknown field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
        )
    missing = [key for key in required if item.get(key) is None]
    if missing:
        raise MalformedEntry(f"missing field(s) {', '.join(missing)}")


def _text(value, field_name: str) -> str:
    if not isinstance(value, str):
        raise MalformedEntry(f"{field_name} must be a string, got {value!r}")
    return value


def _scope_option(value) -> tuple:
    if isinstance(value, str):
        return _scope(value)
    if isinstance(value, (list, tuple)) and all(isinstance(token, str) for token in value):
        return _scope(",".join(value))
    raise MalformedEntry(f"scope must be a string or a list of strings, got {value!r}")


def _enabled_option(value) -> bool:
    try:
        return boolean(value, strict=True)
    except TypeError as err:
        raise MalformedEntry(f"enabled must be a boolean, got {value!r}") from err


# -- option values: a string or a dict, errors naming the option --------------------------------


def port_from_option(value, option: str) -> PortEntry:
    """Parse one `ports` element; `option` is its label, e.g. `ports[2]`."""
    return _from_option(value, option, parse_port, port_from_dict)


def program_from_option(value, option: str) -> ProgramEntry:
    """Parse one `programs` element; `option` is its label, e.g. `programs[0]`."""
    entry = _from_option(value, option, parse_program, program_from_dict)
    problem = program_path_problem(entry.path)
    if problem:
        raise OptionError(option, value, problem)
    return entry


def program_path_problem(path: str) -> str | None:
    """The one rule for program paths a task asks for (entries read from a host are not
    judged by it): refused, never only warned about, because each of these makes the
    exception mean something other than what it reads as.

    - a UNC path (`\\\\server\\share\\x.exe`, `//server/...`): it opens the host to a
      program anyone with write access to the share controls;
    - a `..` segment: the entry names another file than its text suggests, and the
      policy compares paths as strings, so it would never match the canonical path;
    - `*` or `?`: the policy list has no wildcards; the entry would match no program;
    - control characters and the bidirectional controls (U+200E, U+200F, U+061C,
      U+202A-U+202E, U+2066-U+2069): they make a path display as a different one.
    """
    if path.startswith(("\\\\", "//")):
        return f"the program path {path!r} is a UNC path: name a program on a local disk"
    if ".." in re.split(r"[\\/]", path):
        return f"the program path {path!r} holds a '..' segment: give the path without it"
    wildcard = next((char for char in path if char in "*?"), None)
    if wildcard:
        return f"the program path {path!r} holds the wildcard {wildcard!r}: give one program"
    hidden = next((char for char in path if _is_hidden_control(char)), None)
    if hidden:
        return (
            f"the program path {path!r} holds the control character U+{ord(hidden):04X}, "
            "which makes it display as another path"
        )
    return None


_BIDI_CONTROLS = frozenset([0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def _is_hidden_control(char: str) -> bool:
    code = ord(char)
    return code < 32 or code == 127 or code in _BIDI_CONTROLS


def _from_option(value, option, parse_text, parse_dict):
    try:
        if isinstance(value, str):
            entry = parse_text(value)
        elif isinstance(value, dict):
            entry = parse_dict(value)
        else:
            raise MalformedEntry("must be a string or a dict")
    except MalformedEntry as err:
        raise OptionError(option, value, str(err)) from err
    # The entry's text is also the name of its registry value.
    if len(format_entry(entry)) > MAX_VALUE_NAME:
        raise OptionError(
            option,
            f"{format_entry(entry)[:40]}...",
            f"the entry is longer than {MAX_VALUE_NAME} characters, the registry's limit "
            "for the value name it is stored under",
        )
    return entry


# -- fields ------------------------------------------------------------------------------------


def _port(text: str) -> int:
    if not _DECIMAL.match(text):
        raise MalformedEntry(f"port {text!r} is not a number")
    port = int(text)
    if not 1 <= port <= 65535:
        raise MalformedEntry(f"port {port} is outside 1-65535")
    return port


def _protocol(text: str) -> str:
    protocol = text.upper()
    if protocol not in PROTOCOLS:
        raise MalformedEntry(f"protocol {text!r} is not TCP or UDP")
    return protocol


def _status(text: str) -> bool:
    try:
        return _STATUS[text.lower()]
    except KeyError:
        raise MalformedEntry(f"status {text!r} is not Enabled or Disabled") from None


def _name(text: str) -> str:
    if not text.strip():
        raise MalformedEntry("the name is empty")
    if ":" in text:
        raise MalformedEntry(f"the name {text!r} contains ':'")
    _no_control_characters(text, "the name")
    return text


def _path(text: str) -> str:
    if not text.strip():
        raise MalformedEntry("the program path is empty")
    rest = text[2:] if _DRIVE.match(text) else text
    if ":" in rest:
        raise MalformedEntry(
            f"the program path {text!r} holds a ':' that is not a drive colon"
            " (a name cannot contain ':')"
        )
    _no_control_characters(text, "the program path")
    return text


def _no_control_characters(text: str, what: str) -> None:
    if any(ord(char) < 32 or ord(char) == 127 for char in text):
        raise MalformedEntry(f"{what} {text!r} contains a control character")


def _scope(text: str) -> tuple:
    if text == ANY_SCOPE:
        return (ANY_SCOPE,)
    if not text:
        raise MalformedEntry("the scope is empty (use '*' for any address)")
    return tuple(_scope_token(token) for token in text.split(","))


def _scope_token(token: str) -> str:
    if token == ANY_SCOPE:
        raise MalformedEntry("'*' cannot be combined with other scope entries")
    if token.casefold() == LOCAL_SUBNET.casefold():
        return LOCAL_SUBNET
    address, slash, mask = token.partition("/")
    if not _is_ipv4(address):
        raise MalformedEntry(
            f"scope entry {token!r} is not an IPv4 address, a.b.c.d/nn subnet or LocalSubNet"
        )
    if slash and not (_is_prefix(mask) or _is_netmask(mask)):
        raise MalformedEntry(
            f"scope entry {token!r} has subnet {mask!r}: expected a prefix 0-32"
            " or a netmask such as 255.255.255.0"
        )
    return token


def _is_ipv4(text: str) -> bool:
    octets = text.split(".")
    return len(octets) == 4 and all(_OCTET.match(octet) and int(octet) <= 255 for octet in octets)


def _is_prefix(text: str) -> bool:
    return bool(_OCTET.match(text)) and int(text) <= 32


def _is_netmask(text: str) -> bool:
    if not _is_ipv4(text):
        return False
    bits = "".join(f"{int(octet):08b}" for octet in text.split("."))
    # A mask is ones followed by zeros; 255.0.255.0 is not a subnet.
    return "01" not in bits

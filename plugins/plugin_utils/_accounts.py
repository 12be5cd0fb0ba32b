# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a valid Offer Remote Assistance helper is. Internal use only.

A helper is written `DOMAIN\\name`, as the Offer Remote Assistance policy stores it
(SPEC.md: the helper list holds domain users and domain groups). The rules:

- exactly one backslash separates the domain from the account name;
- DOMAIN is a NetBIOS name (KB 909264): 1-15 characters, none of
  ``\\ / : * ? " < > |`` nor control characters, not starting with a period.
  A dotted domain such as ``contoso.com`` is rejected: it is almost always a DNS
  domain name, and accepting both spellings of one domain would let
  ``CONTOSO\\x`` and ``contoso.com\\x`` sit in the list as two entries for one account;
- the account name follows the Windows account-name rules (USER_INFO_0, sAMAccountName):
  at most 256 characters. The SAM-Account-Name attribute reference
  (learn.microsoft.com/windows/win32/adschema/a-samaccountname) gives Range-Upper 256 and
  asks for 20 characters or less for user accounts (earlier clients); groups may use the
  full 256. A helper can be a user or a group and the controller cannot tell which, so the
  longer limit applies and the host's SID lookup (`validate_helpers`) catches the rest.
  The whole `DOMAIN\\name` (at most 15 + 1 + 256 characters) is also the RAUnsolicit value
  name, well inside the registry's 16,383-character limit;
- the account name holds none of ``" / \\ [ ] : ; | = , + * ? < >`` nor control
  characters, does not end with a period and is not made only of periods and spaces. ``@`` is rejected too: ``DOMAIN\\user@domain`` mixes the down-level and the
  UPN forms, and the policy holds the down-level form;
- input is never trimmed or re-cased: leading or trailing spaces are an error, so
  what the task says is exactly what the host gets;
- helpers compare case-insensitively by the registry's rule (ordinal_ignore_case); two
  entries that differ only in case are rejected, naming both.
"""

from __future__ import annotations

from ansible_collections.winra.remote_assistance.plugins.plugin_utils._errors import (
    OptionError,
    OptionErrors,
    check_each,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._registry_values import (
    ordinal_ignore_case,
)

OPTION = "helpers"
DOMAIN_MAX = 15
NAME_MAX = 256
_DOMAIN_FORBIDDEN = frozenset('\\/:*?"<>|')
_NAME_FORBIDDEN = frozenset('"/\\[]:;|=,+*?<>@')


def helper_key(helper: str) -> str:
    """The identity of a helper: account names compare case-insensitively.

    The registry's own rule (ordinal_ignore_case), so a helper and the RAUnsolicit value
    named after it always agree on identity: `CONTOSO\\STRASSE` and `CONTOSO\\straße` are
    two helpers, as they are two values on the host.
    """
    return ordinal_ignore_case(helper)


def validate_helpers(helpers: object, option: str = OPTION) -> tuple[str, ...]:
    """Return the helpers unchanged after checking each one and the list as a whole.

    Every bad helper is named in one OptionErrors, not only the first.
    """
    if not isinstance(helpers, (list, tuple)):
        raise OptionError(option, helpers, "must be a list of DOMAIN\\name strings")
    check_each(helpers, lambda helper: validate_helper(helper, option))
    seen: dict[str, str] = {}
    duplicates = []
    for helper in helpers:
        key = helper_key(helper)
        if key in seen:
            duplicates.append(
                OptionError(
                    option,
                    helper,
                    f"duplicate of {seen[key]!r}: helper names compare case-insensitively",
                )
            )
        seen.setdefault(key, helper)
    if duplicates:
        raise OptionErrors(duplicates)
    return tuple(helpers)


def validate_helper(helper: object, option: str = OPTION) -> str:
    """Return `helper` unchanged if it is a valid `DOMAIN\\name`; else raise OptionError."""
    reason = _helper_problem(helper)
    if reason:
        raise OptionError(option, helper, reason)
    return helper


def _helper_problem(helper: object) -> str | None:
    if not isinstance(helper, str):
        return "must be a string DOMAIN\\name"
    if helper != helper.strip():
        return "has leading or trailing whitespace"
    count = helper.count("\\")
    if count != 1:
        return f"must be DOMAIN\\name with exactly one backslash (found {count})"
    domain, name = helper.split("\\")
    return _domain_problem(domain) or _name_problem(name)


def _domain_problem(domain: str) -> str | None:
    if not domain:
        return "the domain part is empty"
    if domain != domain.strip():
        return f"the domain {domain!r} has leading or trailing whitespace"
    if len(domain) > DOMAIN_MAX:
        return (
            f"the domain {domain!r} is longer than {DOMAIN_MAX} characters: "
            "use the NetBIOS domain name"
        )
    if "." in domain:
        return (
            f"the domain {domain!r} looks like a DNS name: use the NetBIOS domain name "
            "(for example CONTOSO, not contoso.com)"
        )
    bad = _forbidden(domain, _DOMAIN_FORBIDDEN)
    if bad:
        return f"the domain {domain!r} contains {bad}, which a NetBIOS name cannot hold"
    return None


def _name_problem(name: str) -> str | None:
    if not name:
        return "the account name is empty"
    if name != name.strip():
        return f"the account name {name!r} has leading or trailing whitespace"
    if len(name) > NAME_MAX:
        return f"the account name is longer than {NAME_MAX} characters"
    if not name.strip(". "):
        return f"the account name {name!r} consists only of periods and spaces"
    if name.endswith("."):
        return f"the account name {name!r} ends with a period"
    if "@" in name:
        return (
            f"the account name {name!r} contains '@': write the pre-Windows 2000 "
            "DOMAIN\\name form, not a user principal name"
        )
    bad = _forbidden(name, _NAME_FORBIDDEN)
    if bad:
        return f"the account name {name!r} contains {bad}, which Windows account names cannot hold"
    return None


def _forbidden(text: str, forbidden: frozenset) -> str | None:
    """Describe the first character Windows forbids in `text`, or None."""
    for char in text:
        if char in forbidden:
            return repr(char)
        if ord(char) < 32 or ord(char) == 127:
            return f"the control character U+{ord(char):04X}"
    return None

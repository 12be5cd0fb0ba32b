# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A module part's input: raw task arguments in, checked options out, or every problem.

Internal use only. Pure: no connection, no Ansible objects beyond the argument spec
validator. Three checks run in order, each collecting every problem before failing:

1. shape: unknown options; a dict option with suboptions must be a dict (Ansible's
   validator raises a TypeError on `solicited: 42`) and not empty (`solicited: {}` would
   silently mean "enabled with every default"; null is "unmanaged"); a list of strings
   must hold strings (Ansible converts 42 and ['a'] to text, which would reach the host);
2. types, choices and defaults: the argument spec, run by Ansible's ArgumentSpecValidator;
3. the part's own domain checks (`part.validate`).

Errors name the option by its path (`offer.helpers`, `firewall.ports[2]`); `render` can
show each path under another label, e.g. the role variable that fed it.
"""

from __future__ import annotations

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.winra.remote_assistance.plugins.plugin_utils._errors import (
    OptionError,
    OptionErrors,
)


def check_part(part, raw: dict, prefix: str = "") -> tuple:
    """Return (options, warnings) for `raw`, the part's task arguments; raise OptionErrors.

    `prefix` is the part's option path in a composite task (`offer.`), empty otherwise.
    """
    spec = part.argument_spec
    errors = shape_errors(spec, raw, prefix)
    if errors:
        raise OptionErrors(errors)
    validation = ArgumentSpecValidator(spec).validate(dict(raw))
    if validation.error_messages:
        raise OptionErrors(_spec_errors(spec, raw, prefix))
    try:
        return part.validate(validation.validated_parameters)
    except OptionError as err:
        raise OptionErrors(_prefixed(error, prefix) for error in err.errors) from None


def shape_errors(spec: dict, raw: dict, prefix: str = "") -> list:
    """What Ansible's validator would crash on or silently convert (module docstring)."""
    if not isinstance(raw, dict):
        return [OptionError(prefix.rstrip(".") or "options", raw, "must be a dictionary")]
    errors = [
        OptionError(prefix + str(name), raw[name], f"unknown option; known: {', '.join(spec)}")
        for name in raw
        if name not in spec
    ]
    for name, entry in spec.items():
        value = raw.get(name)
        if value is None:
            continue
        label = prefix + name
        if entry.get("type") == "dict" and entry.get("options"):
            if not isinstance(value, dict):
                errors.append(OptionError(label, value, "must be a dictionary of suboptions"))
            elif not value:
                errors.append(
                    OptionError(
                        label,
                        value,
                        "an empty dictionary is ambiguous: give its suboptions, or null "
                        "to leave it unmanaged",
                    )
                )
            else:
                errors += shape_errors(entry["options"], value, label + ".")
        elif _is_list_of_str(entry) and isinstance(value, (list, tuple)):
            errors += [
                OptionError(f"{label}[{index}]", item, "must be a string")
                for index, item in enumerate(value)
                if not isinstance(item, str)
            ]
    return errors


def _is_list_of_str(entry: dict) -> bool:
    return entry.get("type") == "list" and entry.get("elements") == "str"


def _spec_errors(spec: dict, raw: dict, prefix: str) -> list:
    """Attribute the validator's messages to options: it reports text, not names, so each
    option is validated alone (only on this error path, never on a good run)."""
    errors = []
    for name in spec:
        if name not in raw:
            continue
        alone = ArgumentSpecValidator({name: spec[name]}).validate({name: raw[name]})
        for message in alone.error_messages:
            errors.append(OptionError(prefix + name, raw[name], message))
    if not errors:
        # A rule between options (required_if, ...): name the part as a whole.
        whole = ArgumentSpecValidator(spec).validate(dict(raw))
        errors = [
            OptionError(prefix.rstrip(".") or "options", raw, m) for m in whole.error_messages
        ]
    return errors


def _prefixed(error: OptionError, prefix: str) -> OptionError:
    return OptionError(prefix + error.option, error.value, error.reason)


def render(errors: list, labels: dict | None = None) -> str:
    """One message naming every problem, each option shown under its label if one is given.

    A label applies to the option path and everything below it: with
    `{"offer.solicited": "offer_remote_assistance_solicited"}` the error of
    `offer.solicited.max_ticket_expiry` reads
    `offer_remote_assistance_solicited.max_ticket_expiry`.
    """
    return "; ".join(error.describe(label_of(error.option, labels or {})) for error in errors)


def label_of(option: str, labels: dict) -> str:
    """The label of the longest labelled prefix of `option`, plus the rest of the path."""
    cut = len(option)
    while cut > 0:
        head = option[:cut]
        if head in labels:
            return labels[head] + option[cut:]
        cut = max(option.rfind(".", 0, cut), option.rfind("[", 0, cut))
    return option

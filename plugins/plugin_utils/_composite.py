# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""win_remote_assistance: the whole standard (Offer RA part and firewall part) in one task.

Internal use only. The parts are those of win_offer_ra and win_ra_firewall, unchanged; this
module adds only what is between them: the suboption layout, the rules that involve both
(or that the standard adds to a part), and the result shape.
"""

from __future__ import annotations

from ansible_collections.winra.remote_assistance.plugins.plugin_utils import _snapshot
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._engine_action import (
    PartRun,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._errors import OptionError
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._local_gpo_part import (
    merged_local_policy,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._parts import (
    FIREWALL,
    OFFER,
)

# Suboption name -> part, in the order their results (drift, diff lines) are listed.
PARTS = {"offer": OFFER, "firewall": FIREWALL}

# `offer` and `firewall` are checked by their parts' own argument specs (every problem of
# both named at once, under their option paths); this spec only places them.
ARGUMENT_SPEC = {
    "offer": {"type": "dict", "options": OFFER.argument_spec},
    "firewall": {"type": "dict", "options": FIREWALL.argument_spec},
    "option_names": {"type": "dict", "default": {}},
    **_snapshot.ARGUMENT_SPEC,
}


def top_level_errors(args: dict) -> list:
    """Unknown options, an empty task, and an `option_names` that is not a map of strings."""
    errors = [
        OptionError(str(name), args[name], f"unknown option; known: {', '.join(ARGUMENT_SPEC)}")
        for name in args
        if name not in ARGUMENT_SPEC
    ]
    labels = args.get("option_names")
    if labels is not None and not (
        isinstance(labels, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in labels.items())
    ):
        errors.append(
            OptionError("option_names", labels, "must map option paths to names (strings)")
        )
    if args.get("offer") is None and args.get("firewall") is None:
        errors.append(
            OptionError("offer", None, "give offer, firewall or both: the task manages nothing")
        )
    return errors


def labels_of(args: dict) -> dict:
    labels = args.get("option_names")
    return dict(labels) if isinstance(labels, dict) else {}


def cross_errors(options_by_part: dict) -> list:
    """The standard's own rules on top of the parts'.

    - An enabled Offer Remote Assistance policy needs a helper: with none, nobody can offer
      help and (helpers_mode exact) every helper on the host is removed. win_offer_ra only
      warns; the whole standard refuses, as KB 301527 asks for the helper list.
    """
    errors = []
    offer = options_by_part.get("offer")
    if offer is not None and offer.state == "enabled" and not offer.helpers:
        errors.append(
            OptionError(
                "offer.helpers",
                list(offer.helpers),
                "must name at least one DOMAIN\\name user or group while the policy is enabled",
            )
        )
    return errors


def select(args: dict) -> tuple:
    """(the parts asked for, raw arguments by part, error labels): a part runs when its
    option is given and not null."""
    runs = [PartRun(name, part) for name, part in PARTS.items() if args.get(name) is not None]
    return runs, {name: args.get(name) for name in PARTS}, labels_of(args)


def shape_result(result: dict, runs: list) -> dict:
    """Top level: drift and GPO conflicts of every part, in PARTS order; then one key per
    part holding its result as its module gives it (minus failed, msg, engine_runs), with its
    own warnings, or null when the task did not ask for that part."""
    by_name = {run.name: run for run in runs}
    result["drift"] = [item for run in runs for item in run.result["drift"]]
    result["gpo_conflicts"] = [item for run in runs for item in run.result["gpo_conflicts"]]
    result["functional_problems"] = [
        item for run in runs for item in run.result.get("functional_problems") or []
    ]
    for name in PARTS:
        run = by_name.get(name)
        if run is not None and run.warnings:
            run.result["warnings"] = list(run.warnings)
        result[name] = run.result if run is not None else None
    result["local_policy"] = merged_local_policy([run.result.get("local_policy") for run in runs])
    return result

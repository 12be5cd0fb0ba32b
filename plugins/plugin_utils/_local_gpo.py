# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's settings as Group Policy writes them into Registry.pol (the mapping).

Internal use only. Keys are relative to HKLM, as in the file. docs/registry-values.md,
section "Local Group Policy (Registry.pol)", shows the same table.

Offer Remote Assistance (remoteassistance.admx, policy RA_Unsolicit; its helper list has
neither `explicitValue` nor `valuePrefix`, so each value's name equals its data, and is not
additive, so Group Policy clears the key before writing the list):

    Enabled        fAllowUnsolicited = 1, fAllowUnsolicitedFullControl = 1 (control) / 0 (view),
                   `**delvals.` on RAUnsolicit, then one REG_SZ per helper (name = data)
    Disabled       fAllowUnsolicited = 0, `**del.fAllowUnsolicitedFullControl`,
                   `**delvals.` on RAUnsolicit
    Not configured no record for any of these values

Windows Firewall exceptions (windowsfirewall.admx, "Define port exceptions" / "Define
program exceptions", Domain and Standard profile): the flag `Enabled` = 1 on
`...\\GloballyOpenPorts` / `...\\AuthorizedApplications` and one REG_SZ per entry under its
`List` key, name = data. These lists are additive: no `**delvals.`, others' entries stay.

DCOM (`HKLM\\SOFTWARE\\Microsoft\\Ole`, EnableDCOM) is not a policy: no administrative
template sets it, it never goes into Registry.pol, and the live value stays the only store.

Which records the collection manages (everything else in the file is kept byte for byte):
- the records of `fAllowUnsolicited` and `fAllowUnsolicitedFullControl` on the Terminal
  Services key, including their `**del.` / `**soft.` forms; names match exactly (ignoring
  case), so `fAllowUnsolicited` never matches `fAllowUnsolicitedFullControl`;
- every record on the RAUnsolicit key (the list is exclusive);
- per managed firewall list: its `Enabled` flag (not on `state: absent`: other entries may
  rely on the list being in force) and the list records whose parsed data has the identity
  (port + protocol, or program path) of one of our entries, whatever their value name.
"""

from __future__ import annotations

from dataclasses import dataclass

from ansible_collections.winra.remote_assistance.plugins.plugin_utils import _preg
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._fw_grammar import (
    MalformedEntry,
    parse_entry,
)

MACHINE_POL = "%SystemRoot%\\System32\\GroupPolicy\\Machine\\Registry.pol"
GPT_INI = "%SystemRoot%\\System32\\GroupPolicy\\gpt.ini"

TERMINAL_SERVICES = "Software\\Policies\\Microsoft\\Windows NT\\Terminal Services"
RA_UNSOLICIT = TERMINAL_SERVICES + "\\RAUnsolicit"
ALLOW = "fAllowUnsolicited"
FULL_CONTROL = "fAllowUnsolicitedFullControl"
OFFER_VALUES = (ALLOW, FULL_CONTROL)

FIREWALL_ROOT = "Software\\Policies\\Microsoft\\WindowsFirewall"
PROFILE_KEYS = {"domain": "DomainProfile", "standard": "StandardProfile"}
LIST_PARENTS = {"port": "GloballyOpenPorts", "program": "AuthorizedApplications"}
ENABLED = "Enabled"

OFFER_STATES = ("enabled", "disabled", "not_configured")


@dataclass(frozen=True)
class OfferPolicy:
    """Offer Remote Assistance: `state` one of OFFER_STATES; `control` and `helpers` count
    only when enabled."""

    state: str
    control: bool = False
    helpers: tuple = ()


@dataclass(frozen=True)
class FirewallList:
    """One profile's port or program exception list; `entries` are canonical strings."""

    profile: str
    kind: str
    entries: tuple = ()


@dataclass(frozen=True)
class DesiredPolicy:
    """What the collection wants in Registry.pol. `offer` None leaves that policy alone;
    `state` absent removes our records and writes nothing new."""

    state: str = "present"
    offer: OfferPolicy | None = None
    firewall: tuple = ()


@dataclass(frozen=True)
class Group:
    """One unit of the mapping: the records we want, and which existing records are ours."""

    label: str
    wanted: tuple
    owns: object  # PolRecord -> bool
    ordered: bool  # True: a `**delvals.` must come before the values of its key
    identity: object = None  # PolRecord -> what makes two records the same; default all fields

    def identity_of(self, record: _preg.PolRecord):
        if self.identity is not None:
            return self.identity(record)
        return full_identity(record)


def full_identity(record: _preg.PolRecord) -> tuple:
    """Key and value name ignoring case (as the registry compares them), type, data bytes."""
    return (record.key.casefold(), record.value.casefold(), record.type, record.data)


def list_parent(profile: str, kind: str) -> str:
    return f"{FIREWALL_ROOT}\\{PROFILE_KEYS[profile]}\\{LIST_PARENTS[kind]}"


def list_key(profile: str, kind: str) -> str:
    return list_parent(profile, kind) + "\\List"


def same_key(a: str, b: str) -> bool:
    return a.casefold() == b.casefold()


def groups(desired: DesiredPolicy) -> list[Group]:
    if desired.state not in ("present", "absent"):
        raise ValueError(f"state must be present or absent: {desired.state!r}")
    for fw_list in desired.firewall:
        if fw_list.profile not in PROFILE_KEYS or fw_list.kind not in LIST_PARENTS:
            raise ValueError(f"unknown firewall list {fw_list.profile!r} / {fw_list.kind!r}")
    result = []
    if desired.offer is not None:
        result.append(_offer_group(desired.offer, desired.state == "absent"))
    for fw_list in desired.firewall:
        result.append(_firewall_group(fw_list, desired.state == "absent"))
    return result


# -- Offer Remote Assistance ------------------------------------------------------------------


def offer_records(offer: OfferPolicy) -> tuple:
    """The records Group Policy writes for the policy in state `offer.state`."""
    if offer.state not in OFFER_STATES:
        raise ValueError(f"offer state must be one of {', '.join(OFFER_STATES)}: {offer.state!r}")
    if offer.state == "not_configured":
        return ()
    if offer.state == "disabled":
        return (
            _preg.value_record(TERMINAL_SERVICES, ALLOW, "REG_DWORD", 0),
            _preg.delete_value_record(TERMINAL_SERVICES, FULL_CONTROL),
            _preg.delete_all_values_record(RA_UNSOLICIT),
        )
    return (
        _preg.value_record(TERMINAL_SERVICES, ALLOW, "REG_DWORD", 1),
        _preg.value_record(TERMINAL_SERVICES, FULL_CONTROL, "REG_DWORD", int(offer.control)),
        _preg.delete_all_values_record(RA_UNSOLICIT),
        *(_preg.value_record(RA_UNSOLICIT, helper, "REG_SZ", helper) for helper in offer.helpers),
    )


def owns_offer_record(record: _preg.PolRecord) -> bool:
    if same_key(record.key, RA_UNSOLICIT):
        return True
    if not same_key(record.key, TERMINAL_SERVICES):
        return False
    if record.special_kind not in (None, "delete_value", "soft"):
        return False
    return record.target_name.casefold() in {name.casefold() for name in OFFER_VALUES}


def _offer_group(offer: OfferPolicy, absent: bool) -> Group:
    wanted = () if absent else offer_records(offer)
    return Group("offer_remote_assistance", wanted, owns_offer_record, ordered=True)


# -- Windows Firewall exception lists -----------------------------------------------------------


def firewall_records(fw_list: FirewallList) -> tuple:
    parent = list_parent(fw_list.profile, fw_list.kind)
    key = list_key(fw_list.profile, fw_list.kind)
    return (
        _preg.value_record(parent, ENABLED, "REG_DWORD", 1),
        *(_preg.value_record(key, entry, "REG_SZ", entry) for entry in fw_list.entries),
    )


def entry_identity(kind: str, record: _preg.PolRecord):
    """The identity of a list record's entry, or None when it is not an ordinary REG_SZ
    entry that parses (such records are someone else's and stay)."""
    if record.special_kind is not None or record.type != _preg.REG_SZ:
        return None
    try:
        return parse_entry(kind, _preg.decode_data(record)[1]).identity
    except MalformedEntry:
        return None


def _firewall_group(fw_list: FirewallList, absent: bool) -> Group:
    parent = list_parent(fw_list.profile, fw_list.kind)
    key = list_key(fw_list.profile, fw_list.kind)
    ours = {parse_entry(fw_list.kind, entry).identity for entry in fw_list.entries}

    def owns(record: _preg.PolRecord) -> bool:
        if same_key(record.key, key):
            return entry_identity(fw_list.kind, record) in ours
        if absent or not same_key(record.key, parent):
            return False
        return (
            record.special_kind in (None, "delete_value", "soft")
            and record.target_name.casefold() == ENABLED.casefold()
        )

    def identity(record: _preg.PolRecord) -> tuple:
        # An entry named `135:TCP` holding our data is our entry (scripts name them so).
        if same_key(record.key, key) and record.special_kind is None:
            return (record.key.casefold(), None, record.type, record.data)
        return full_identity(record)

    wanted = () if absent else firewall_records(fw_list)
    label = f"firewall_{fw_list.kind}s:{fw_list.profile}"
    return Group(label, wanted, owns, ordered=False, identity=identity)

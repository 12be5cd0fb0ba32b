"""The lab's Group Policy refresh of the local Registry.pol, fed by the collection's codec."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.winra.remote_assistance.plugins.plugin_utils import _gpt_ini, _preg
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._local_gpo import (
    DesiredPolicy,
    FirewallList,
    OfferPolicy,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._local_gpo_merge import plan
from winra_lab.windows import group_policy
from winra_lab.windows.group_policy import (
    HISTORY_POL,
    MACHINE_POL,
    PolReadError,
    read_pol,
    refresh_local_policy,
)
from winra_lab.windows.profiles import build

TS = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services"
RAU = TS + "\\RAUnsolicit"
PORTS = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\WindowsFirewall\\DomainProfile\\GloballyOpenPorts"
HELPERS = ("CONTOSO\\Helpdesk", "CONTOSO\\Tier2 Support")
PORT = "135:TCP:*:Enabled:Offer Remote Assistance"
ENABLED = DesiredPolicy(
    offer=OfferPolicy("enabled", control=True, helpers=HELPERS),
    firewall=(FirewallList("domain", "port", (PORT,)),),
)


def host(profile: str = "fresh"):
    return build(profile, 1, "WS001")


def value(state, path, name):
    found = state.registry.get_value(path, name)
    return None if found is None else (found.type, found.data)


def write_policy(state, desired: DesiredPolicy) -> bytes:
    """What the controller will do: merge into the current file, write it, bump gpt.ini."""
    current = state.files.peek(MACHINE_POL)
    records = _preg.parse(current or b"").records
    data = _preg.write(plan(records, desired).records)
    state.files.seed(MACHINE_POL, data)
    ini = state.files.peek(group_policy.GPT_INI)
    state.files.seed(group_policy.GPT_INI, _gpt_ini.updated(ini))
    return data


def test_the_lab_reader_agrees_with_the_collection_codec():
    data = _preg.write(plan([], ENABLED).records)
    assert read_pol(data) == [(r.key, r.value, r.type, r.data) for r in _preg.parse(data).records]
    assert read_pol(b"") == []
    with pytest.raises(PolReadError):
        read_pol(data[:-1])


def test_enabled_policy_is_applied_to_the_registry():
    state = host()
    write_policy(state, ENABLED)
    answer = refresh_local_policy(state)
    assert answer["local_policy"] == "applied" and answer["skipped"] == []
    assert value(state, TS, "fAllowUnsolicited") == ("REG_DWORD", 1)
    assert value(state, TS, "fAllowUnsolicitedFullControl") == ("REG_DWORD", 1)
    assert sorted(v.name for v in state.registry.values(RAU)) == sorted(HELPERS)
    assert value(state, PORTS, "Enabled") == ("REG_DWORD", 1)
    assert value(state, PORTS + "\\List", PORT) == ("REG_SZ", PORT)
    assert state.registry.writes == 0  # the Group Policy service's writes, not a module's


def test_delvals_replaces_the_helper_list_and_unrelated_values_stay():
    state = host()
    with state.registry.as_external_actor():
        state.registry.set_value(RAU, "CONTOSO\\Contractors", "REG_SZ", "CONTOSO\\Contractors")
        state.registry.set_value(TS, "fDenyTSConnections", "REG_DWORD", 0)
    write_policy(state, ENABLED)
    refresh_local_policy(state)
    assert sorted(v.name for v in state.registry.values(RAU)) == sorted(HELPERS)
    assert value(state, TS, "fDenyTSConnections") == ("REG_DWORD", 0)


def test_a_deleted_live_value_comes_back_at_the_next_refresh():
    state = host()
    write_policy(state, ENABLED)
    refresh_local_policy(state)
    with state.registry.as_external_actor():
        state.registry.delete_value(TS, "fAllowUnsolicited")
    refresh_local_policy(state)
    assert value(state, TS, "fAllowUnsolicited") == ("REG_DWORD", 1)


def test_disabled_deletes_full_control_and_every_helper():
    state = host()
    write_policy(state, ENABLED)
    refresh_local_policy(state)
    write_policy(state, DesiredPolicy(offer=OfferPolicy("disabled")))
    refresh_local_policy(state)
    assert value(state, TS, "fAllowUnsolicited") == ("REG_DWORD", 0)
    assert value(state, TS, "fAllowUnsolicitedFullControl") is None
    assert state.registry.values(RAU) == []


def test_values_an_earlier_refresh_set_are_removed_when_the_file_drops_them():
    state = host()
    write_policy(state, ENABLED)
    refresh_local_policy(state)
    absent = DesiredPolicy(state="absent", offer=ENABLED.offer, firewall=ENABLED.firewall)
    write_policy(state, absent)
    refresh_local_policy(state)
    assert value(state, TS, "fAllowUnsolicited") is None
    assert value(state, TS, "fAllowUnsolicitedFullControl") is None
    assert state.registry.values(RAU) == []
    assert value(state, PORTS + "\\List", PORT) is None
    # The list's flag stays in the file on absent, so a refresh keeps it.
    assert value(state, PORTS, "Enabled") == ("REG_DWORD", 1)


def test_values_in_no_policy_file_are_left_alone():
    state = host()
    with state.registry.as_external_actor():
        state.registry.set_value(TS, "fAllowUnsolicited", "REG_DWORD", 1)  # written directly
    answer = refresh_local_policy(state)
    assert answer["local_policy"] == "none"
    assert value(state, TS, "fAllowUnsolicited") == ("REG_DWORD", 1)


def test_every_special_value_is_applied_in_file_order():
    state = host()
    key = "Software\\Policies\\Vendor"
    path = "HKLM:\\" + key
    with state.registry.as_external_actor():
        for name in ("A", "B", "C", "Kept"):
            state.registry.set_value(path, name, "REG_DWORD", 9)
        state.registry.set_value(path + "\\Old\\Deep", "x", "REG_DWORD", 1)
        state.registry.set_value(path, "Soft2", "REG_SZ", "already")

    def sz(name, text):
        return _preg.PolRecord(key, name, 1, (text + "\0").encode("utf-16-le"))

    records = [
        _preg.PolRecord(key, "A", 4, struct.pack("<I", 1)),
        sz("**del.B", " "),
        sz("**DeleteValues", "C;A"),
        sz("**DeleteKeys", "Old"),
        sz("**soft.Soft1", "new"),
        sz("**soft.Soft2", "new"),
        _preg.PolRecord(key, "**SecureKey", 4, struct.pack("<I", 1)),
        _preg.PolRecord(key + "\\Empty", "", 0, b""),
    ]
    state.files.seed(MACHINE_POL, _preg.write(records))
    refresh_local_policy(state)
    assert value(state, path, "A") is None  # set, then deleted by **DeleteValues
    assert value(state, path, "B") is None and value(state, path, "C") is None
    assert value(state, path, "Kept") == ("REG_DWORD", 9)
    assert not state.registry.key_exists(path + "\\Old")
    assert value(state, path, "Soft1") == ("REG_SZ", "new")
    assert value(state, path, "Soft2") == ("REG_SZ", "already")
    assert state.registry.key_exists(path + "\\Empty")


def test_delvals_in_the_file_order_deletes_values_written_before_it():
    state = host()
    key = "Software\\Policies\\Vendor"
    records = [
        _preg.PolRecord(key, "First", 4, struct.pack("<I", 1)),
        _preg.PolRecord(key, "**delvals.", 1, " \0".encode("utf-16-le")),
        _preg.PolRecord(key, "Second", 4, struct.pack("<I", 2)),
    ]
    state.files.seed(MACHINE_POL, _preg.write(records))
    refresh_local_policy(state)
    assert [v.name for v in state.registry.values("HKLM:\\" + key)] == ["Second"]


def test_a_file_that_does_not_parse_is_skipped_and_nothing_changes():
    state = host()
    write_policy(state, ENABLED)
    refresh_local_policy(state)
    applied = state.files.peek(HISTORY_POL)
    good = state.files.peek(MACHINE_POL)
    state.files.seed(MACHINE_POL, good[: len(good) - 3])  # a torn in-place write
    before = state.registry.dump()
    answer = refresh_local_policy(state)
    assert answer["local_policy"] == "skipped" and "does not parse" in answer["reason"]
    assert state.registry.dump() == before
    assert state.files.peek(HISTORY_POL) == applied


def test_the_seeded_profile_keeps_its_records_through_our_write_and_a_refresh():
    state = host("local-gpo-others")
    before = state.files.peek(MACHINE_POL)
    data = write_policy(state, ENABLED)
    assert data.startswith(before)  # others' records kept byte for byte, ours appended
    refresh_local_policy(state)
    assert value(state, TS, "fDisableCdm") == ("REG_DWORD", 1)
    assert value(
        state, "HKLM:\\Software\\Policies\\Microsoft\\Windows\\WindowsUpdate\\AU", "NoAutoUpdate"
    ) == (
        "REG_DWORD",
        0,
    )
    assert value(state, TS, "fAllowUnsolicited") == ("REG_DWORD", 1)
    ini = state.files.peek(group_policy.GPT_INI)
    assert _gpt_ini.version_of(ini) == (1 << 16) | 4
    assert b"[{827D319E-6EAC-4AD3-8B8B-1F5B6F4B6BAD}{803E14A0-B4FB-11D0-A0D0-00A0C90F574B}]" in ini


_names = st.text(alphabet=st.characters(exclude_characters="\x00"), max_size=8)
_records = st.lists(
    st.builds(
        _preg.PolRecord,
        key=_names,
        value=_names,
        type=st.integers(min_value=0, max_value=2**32 - 1),
        data=st.binary(max_size=12),
    ),
    max_size=5,
)


@given(_records, st.integers(min_value=0, max_value=400), st.binary(max_size=3))
@settings(max_examples=300)
def test_the_lab_reader_and_the_codec_accept_exactly_the_same_files(records, cut, noise):
    data = _preg.write(records)
    mutated = data[:cut] + noise + data[cut:] if cut < len(data) else data + noise
    for candidate in (data, mutated, data[:cut]):
        try:
            ours = [(r.key, r.value, r.type, r.data) for r in _preg.parse(candidate).records]
        except _preg.PolFileError:
            ours = None
        try:
            lab = read_pol(candidate)
        except PolReadError:
            lab = None
        assert ours == lab

"""The lab registry behaves like the Windows registry where the collection depends on it."""

import pytest

from winra_lab.windows.registry import (
    Registry,
    RegistryAccessDenied,
    RegistryKeyError,
    RegistryPathError,
    RegistryTypeError,
    RegValue,
    normalise_path,
)

TS = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services"
EN_DASH_ENTRY = (
    "%WINDIR%\\PCHealth\\HelpCtr\\Binaries\\Helpctr.exe:*:Enabled:"
    "Remote Assistance \u2013 Windows Messenger and Voice"
)


@pytest.fixture
def registry():
    return Registry.from_dump({TS: {"fDenyTSConnections": {"type": "REG_DWORD", "data": 0}}})


@pytest.mark.parametrize(
    "spelling",
    [
        "HKLM:\\SOFTWARE\\Microsoft\\Ole",
        "HKLM\\SOFTWARE\\Microsoft\\Ole",
        "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Ole",
        "hklm:\\SOFTWARE\\Microsoft\\Ole\\",
    ],
)
def test_hklm_spellings_normalise_to_the_drive_form(spelling):
    assert normalise_path(spelling) == "HKLM:\\SOFTWARE\\Microsoft\\Ole"


@pytest.mark.parametrize(
    "path",
    [
        "HKCU:\\Software",
        "C:\\Windows",
        "SOFTWARE\\Microsoft",
        "HKLM:\\a\\\\b",
        "HKLM:\\a\\\\",
        "HKLMX:\\a",
        42,
    ],
)
def test_paths_outside_hklm_or_malformed_are_refused(path):
    with pytest.raises(RegistryPathError):
        normalise_path(path)


def test_key_and_value_names_are_case_insensitive_and_case_preserving(registry):
    registry.set_value(TS.upper(), "FALLOWUNSOLICITED", "REG_DWORD", 1)
    registry.set_value(TS.lower(), "fAllowUnsolicited", "REG_DWORD", 0)
    value = registry.get_value(TS.lower(), "fallowunsolicited")
    # The name keeps the case it was created with; the second write changed only the data.
    assert value == RegValue("FALLOWUNSOLICITED", "REG_DWORD", 0)
    # The key, written to as TS.lower(), keeps the case it was created with.
    assert TS in registry.all_key_paths()
    assert registry.key_exists("hklm:\\software\\POLICIES")


def test_created_key_keeps_the_stored_case_of_existing_parents(registry):
    created = registry.set_value(TS.lower() + "\\RAUnsolicit", "CONTOSO\\Helpdesk", "REG_SZ", "x")
    assert created == [TS + "\\RAUnsolicit"]
    assert registry.subkeys(TS) == ["RAUnsolicit"]


@pytest.mark.parametrize("data", [0, 1, 0xFFFFFFFF])
def test_dword_accepts_the_unsigned_range(registry, data):
    registry.set_value(TS, "v", "REG_DWORD", data)
    assert registry.get_value(TS, "v").data == data


@pytest.mark.parametrize("data", [-1, 2**32, True, "1", 1.0, None])
def test_dword_rejects_everything_else_and_writes_nothing(registry, data):
    before = (registry.dump(), registry.writes)
    with pytest.raises(RegistryTypeError):
        registry.set_value(TS, "v", "REG_DWORD", data)
    assert (registry.dump(), registry.writes) == before


def test_qword_range(registry):
    registry.set_value(TS, "q", "REG_QWORD", 2**64 - 1)
    with pytest.raises(RegistryTypeError):
        registry.set_value(TS, "q", "REG_QWORD", 2**64)
    assert registry.get_value(TS, "q").data == 2**64 - 1


@pytest.mark.parametrize(
    ("reg_type", "bad"),
    [("REG_SZ", 1), ("REG_EXPAND_SZ", ["a"]), ("REG_MULTI_SZ", "a"), ("REG_MULTI_SZ", ["a", 1]),
     ("REG_BINARY", "beef"), ("REG_FOO", "x")],
)  # fmt: skip
def test_data_is_type_checked(registry, reg_type, bad):
    with pytest.raises(RegistryTypeError):
        registry.set_value(TS, "v", reg_type, bad)


def test_expand_sz_is_stored_unexpanded(registry):
    registry.set_value(TS, "p", "REG_EXPAND_SZ", "%WINDIR%\\system32\\msra.exe")
    assert registry.get_value(TS, "p").data == "%WINDIR%\\system32\\msra.exe"
    assert registry.dump()[TS]["p"] == {
        "type": "REG_EXPAND_SZ",
        "data": "%WINDIR%\\system32\\msra.exe",
    }


def test_en_dash_survives_set_dump_and_load_byte_exactly(registry):
    path = TS + "\\List"
    registry.set_value(path, EN_DASH_ENTRY, "REG_SZ", EN_DASH_ENTRY)
    reloaded = Registry.from_dump(registry.dump())
    value = reloaded.get_value(path, EN_DASH_ENTRY)
    assert value.data.encode("utf-8") == EN_DASH_ENTRY.encode("utf-8")
    assert value.name == EN_DASH_ENTRY
    assert "\u2013" in value.data


def test_binary_and_multi_sz_round_trip_through_json(registry):
    registry.set_value(TS, "b", "REG_BINARY", b"\xbe\xef\x00")
    registry.set_value(TS, "m", "REG_MULTI_SZ", ["a", "B"])
    dump = registry.dump()
    assert dump[TS]["b"] == {"type": "REG_BINARY", "data": "beef00"}
    assert dump[TS]["m"] == {"type": "REG_MULTI_SZ", "data": ["a", "B"]}
    reloaded = Registry.from_dump(dump)
    assert reloaded.get_value(TS, "b").data == b"\xbe\xef\x00"
    assert reloaded.dump() == dump


def test_deleting_a_value_leaves_the_key_and_unrelated_values(registry):
    registry.set_value(TS, "fAllowUnsolicited", "REG_DWORD", 1)
    assert registry.delete_value(TS, "FALLOWUNSOLICITED") is True
    assert registry.delete_value(TS, "fAllowUnsolicited") is False
    assert registry.key_exists(TS)
    assert registry.values(TS) == [RegValue("fDenyTSConnections", "REG_DWORD", 0)]


def test_writes_count_value_sets_deletes_and_created_keys_but_never_reads(registry):
    assert registry.writes == 0  # loading a dump is not a write
    registry.values(TS)
    registry.get_value(TS, "fDenyTSConnections")
    registry.key_exists(TS + "\\Nope")
    registry.dump()
    assert registry.writes == 0
    registry.set_value(TS + "\\A\\B", "x", "REG_SZ", "1")  # two keys and one value
    assert registry.writes == 3
    registry.delete_value(TS + "\\A\\B", "x")
    registry.delete_value(TS + "\\A\\B", "x")  # nothing to delete: not a write
    assert registry.writes == 4


def test_external_actor_writes_are_not_counted(registry):
    with registry.as_external_actor() as counted:
        registry.set_value(TS, "x", "REG_SZ", "1")
    assert counted == [1]
    assert registry.writes == 0
    assert registry.get_value(TS, "x").data == "1"


def test_dump_lists_keys_with_values_and_empty_leaves_but_not_implicit_parents(registry):
    registry.create_key("HKLM:\\SOFTWARE\\Empty\\Leaf")
    dump = registry.dump()
    assert dump == {
        TS: {"fDenyTSConnections": {"type": "REG_DWORD", "data": 0}},
        "HKLM:\\SOFTWARE\\Empty\\Leaf": {},
    }
    assert "HKLM:\\SOFTWARE\\Empty" in registry.all_key_paths()


def test_delete_key_only_when_empty(registry):
    registry.create_key(TS + "\\A\\B")
    with pytest.raises(RegistryKeyError):
        registry.delete_key(TS + "\\A")
    assert registry.delete_key(TS + "\\A\\B")
    assert registry.delete_key(TS + "\\A")
    assert not registry.key_exists(TS + "\\A")
    with pytest.raises(RegistryKeyError):
        registry.delete_key("HKLM:\\")


def test_delete_key_tree_removes_subkeys_and_counts_each_key(registry):
    registry.set_value(TS + "\\A\\B", "x", "REG_SZ", "1")
    writes = registry.writes
    assert registry.delete_key_tree(TS + "\\a") == 2
    assert registry.writes == writes + 2
    assert registry.key_exists(TS)


def test_denied_keys_refuse_reads_and_writes_including_subkeys(registry):
    registry.is_denied = lambda path: (path.upper() + "\\").startswith(TS.upper() + "\\")
    with pytest.raises(RegistryAccessDenied) as raised:
        registry.values(TS)
    assert raised.value.path == TS
    with pytest.raises(RegistryAccessDenied):
        registry.set_value(TS + "\\RAUnsolicit", "x", "REG_SZ", "x")
    assert registry.writes == 0
    assert registry.values("HKLM:\\SOFTWARE\\Microsoft") is None  # other keys stay readable


def test_a_denied_key_that_does_not_exist_reads_as_missing_but_cannot_be_created(registry):
    denied = TS + "\\RAUnsolicit"
    registry.is_denied = lambda path: path.lower() == denied.lower()
    assert registry.values(denied) is None
    assert registry.get_value(denied, "x") is None
    with pytest.raises(RegistryAccessDenied):
        registry.set_value(denied + "\\Deeper", "x", "REG_SZ", "x")
    assert registry.subkeys(TS) == [] and registry.writes == 0
    registry.set_value(TS, "fine", "REG_SZ", "x")  # the parent is not denied
    assert registry.get_value(TS, "fine").data == "x"

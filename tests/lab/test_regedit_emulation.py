"""The lab's ansible.windows.win_regedit: options, conversions, results, check mode and diff."""

import pytest

from winra_lab.windows.hoststate import HostState
from winra_lab.windows.regedit import run_regedit

TS = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services"
NEW = TS + "\\New\\Sub"
DCOM_WARNING = "the data type when name is not specified"


@pytest.fixture
def state():
    return HostState.from_json(
        {
            "hostname": "WS001",
            "registry": {
                TS: {
                    "fDenyTSConnections": {"type": "REG_DWORD", "data": 0},
                    "Note": {"type": "REG_SZ", "data": "Remote Assistance \u2013 Voice"},
                    "Multi": {"type": "REG_MULTI_SZ", "data": ["One", "two"]},
                }
            },
        }
    )


def regedit(host, check_mode=False, diff=False, **args):
    return run_regedit(host, args, check_mode, diff)


def test_setting_a_new_dword_creates_it_and_reports_changed(state):
    result = regedit(state, path=TS, name="fAllowUnsolicited", data=1, type="dword")
    assert result == {"changed": True, "data_changed": False, "data_type_changed": False}
    assert state.registry.get_value(TS, "fAllowUnsolicited").data == 1
    assert state.registry.writes == 1


def test_the_same_value_again_changes_and_writes_nothing(state):
    regedit(state, path=TS, name="fDenyTSConnections", data=1, type="dword")
    writes = state.registry.writes
    result = regedit(state, path=TS.lower(), name="FDENYTSCONNECTIONS", data="0x1", type="dword")
    assert result["changed"] is False
    assert state.registry.writes == writes


@pytest.mark.parametrize(
    ("data", "stored"),
    [
        (1337, 1337),
        ("1337", 1337),
        ("0xff2500ae", 0xFF2500AE),
        (-1, 0xFFFFFFFF),
        (None, 0),
        (True, 1),
    ],
)
def test_dword_data_conversions(state, data, stored):
    assert "failed" not in regedit(state, path=TS, name="d", data=data, type="dword")
    assert state.registry.get_value(TS, "d").data == stored


@pytest.mark.parametrize("data", [2**32, "0x100000000", "abc", "-5"])
def test_dword_data_that_does_not_fit_fails_and_writes_nothing(state, data):
    result = regedit(state, path=TS, name="d", data=data, type="dword")
    assert result["failed"] is True and result["changed"] is False
    assert state.registry.writes == 0


def test_qword_accepts_64_bits(state):
    regedit(state, path=TS, name="q", data="0xffffffffffffffff", type="qword")
    assert state.registry.get_value(TS, "q").data == 2**64 - 1
    assert regedit(state, path=TS, name="q", data=2**64, type="qword")["failed"] is True


@pytest.mark.parametrize(
    ("data", "stored"),
    [
        ("hex:be,ef,00", b"\xbe\xef\x00"),
        ("beef", b"\xbe\xef"),
        ([0xBE, 0xEF], b"\xbe\xef"),
        (7, b"\x07"),
        (None, b""),
    ],
)
def test_binary_data_conversions(state, data, stored):
    regedit(state, path=TS, name="b", data=data, type="binary")
    assert state.registry.get_value(TS, "b").data == stored


def test_expandstring_is_stored_unexpanded_and_multistring_from_a_scalar(state):
    regedit(state, path=TS, name="e", data="%WINDIR%\\x", type="expandstring")
    regedit(state, path=TS, name="m", data="single", type="multistring")
    assert state.registry.get_value(TS, "e").type == "REG_EXPAND_SZ"
    assert state.registry.get_value(TS, "e").data == "%WINDIR%\\x"
    assert state.registry.get_value(TS, "m").data == ["single"]


def test_string_comparison_is_case_sensitive_and_keeps_non_ascii(state):
    result = regedit(state, path=TS, name="Note", data="remote assistance \u2013 voice")
    assert result["changed"] is True and result["data_changed"] is True
    assert (
        regedit(state, path=TS, name="Note", data="remote assistance \u2013 voice")["changed"]
        is False
    )
    assert state.registry.get_value(TS, "Note").data == "remote assistance \u2013 voice"


def test_multistring_comparison_is_case_insensitive_like_the_real_module(state):
    assert (
        regedit(state, path=TS, name="Multi", data=["ONE", "TWO"], type="multistring")["changed"]
        is False
    )
    assert (
        regedit(state, path=TS, name="Multi", data=["one"], type="multistring")["changed"] is True
    )


def test_changing_the_type_reports_data_type_changed(state):
    result = regedit(state, path=TS, name="fDenyTSConnections", data="0", type="string")
    assert result == {"changed": True, "data_changed": False, "data_type_changed": True}
    assert state.registry.get_value(TS, "fDenyTSConnections").type == "REG_SZ"


def test_check_mode_reports_the_change_and_writes_nothing(state):
    dump = state.registry.dump()
    for args in (
        {"path": NEW, "name": "x", "data": "y"},
        {"path": TS, "name": "fDenyTSConnections", "data": 1, "type": "dword"},
        {"path": TS, "name": "Note", "state": "absent"},
        {"path": TS, "state": "absent"},
    ):
        assert regedit(state, check_mode=True, **args)["changed"] is True, args
    assert state.registry.dump() == dump and state.registry.writes == 0


def test_diff_shows_before_and_after_as_the_real_module_does(state):
    result = regedit(
        state, diff=True, path=TS, name="fDenyTSConnections", data=4294967295, type="dword"
    )
    assert result["diff"] == {
        "before": {TS: {"fDenyTSConnections": {"type": "DWord", "value": "0x00000000"}}},
        "after": {TS: {"fDenyTSConnections": {"type": "DWord", "value": "0xffffffff"}}},
    }
    created = regedit(state, diff=True, path=NEW, name="b", data="hex:be,ef", type="binary")
    assert created["diff"] == {
        "before": {},
        "after": {NEW: {"b": {"type": "Binary", "value": ["0xbe", "0xef"]}}},
    }
    assert "diff" not in regedit(state, path=TS, name="x", data="y")


def test_absent_value_deletes_only_that_value(state):
    result = regedit(state, diff=True, path=TS, name="Note", state="absent")
    assert result["changed"] is True
    assert result["diff"]["after"] == {TS: {}}
    assert state.registry.get_value(TS, "Note") is None
    assert state.registry.get_value(TS, "fDenyTSConnections") is not None
    assert regedit(state, path=TS, name="Note", state="absent")["changed"] is False


def test_absent_without_name_deletes_the_key_tree_unless_delete_key_is_false(state):
    regedit(state, path=NEW, name="x", data="y")
    kept = regedit(state, path=TS + "\\New", state="absent", delete_key=False)
    assert kept["changed"] is False and state.registry.key_exists(NEW)
    assert regedit(state, path=TS + "\\New", state="absent")["changed"] is True
    assert not state.registry.key_exists(TS + "\\New") and state.registry.key_exists(TS)


def test_default_value_warns_and_becomes_a_string(state):
    result = regedit(state, path=TS, data=5, type="dword")
    assert any(DCOM_WARNING in w for w in result["warnings"])
    assert state.registry.get_value(TS, "").type == "REG_SZ"
    assert state.registry.get_value(TS, "").data == "5"


def test_aliases_are_accepted(state):
    regedit(state, key=TS, entry="a", data=1, datatype="dword")
    regedit(state, key=TS, value="b", data="x")
    assert (
        state.registry.get_value(TS, "a").data == 1
        and state.registry.get_value(TS, "b").data == "x"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"path": "HKLM\\SOFTWARE\\x", "name": "a"}, "not a valid powershell path"),
        ({"path": "HKCU:\\Software\\x", "name": "a"}, "only HKLM"),
        (
            {"path": "HKLM:\\ANSIBLE\\x", "name": "a", "hive": "C:\\Users\\Default\\NTUSER.DAT"},
            "hive",
        ),
        ({"path": TS, "name": "a", "type": "REG_SZ"}, "value of type must be one of"),
        ({"path": TS, "name": "a", "state": "gone"}, "value of state must be one of"),
        ({"name": "a"}, "missing required arguments: path"),
        ({"path": TS, "colour": "blue"}, "Unsupported parameters"),
    ],
)
def test_invalid_tasks_fail_with_a_message_and_write_nothing(state, args, message):
    result = regedit(state, **args)
    assert result["failed"] is True and message in result["msg"]
    assert state.registry.writes == 0


def test_denied_keys_fail_like_a_registry_security_exception(state):
    state.faults.deny_keys.append(TS)
    result = regedit(state, path=TS, name="x", data="y")
    assert result["failed"] is True and "registry access is not allowed" in result["msg"]
    assert state.registry.writes == 0

from __future__ import annotations

import pytest

from ansible_collections.winra.remote_assistance.plugins.plugin_utils._registry_values import (
    KeySnapshot,
    RegValue,
    normalise_path,
    path_key,
    render,
    same_value,
    valid_data,
)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("HKLM:\\SOFTWARE\\Microsoft\\Ole", "HKLM:\\SOFTWARE\\Microsoft\\Ole"),
        ("HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Ole", "HKLM:\\SOFTWARE\\Microsoft\\Ole"),
        ("hklm\\SOFTWARE\\Microsoft\\Ole\\", "HKLM:\\SOFTWARE\\Microsoft\\Ole"),
        ("HKLM:\\SOFTWARE\\Microsoft\\Ole\\\\", "HKLM:\\SOFTWARE\\Microsoft\\Ole"),
    ],
)
def test_paths_normalise_to_hklm_colon(given, expected):
    assert normalise_path(given) == expected


def test_path_lookup_is_case_insensitive():
    assert path_key("HKLM:\\Software\\microsoft\\OLE") == path_key(
        "HKLM:\\SOFTWARE\\Microsoft\\Ole"
    )


@pytest.mark.parametrize("path", ["HKCU:\\Software\\x", "SOFTWARE\\x", "HKEY_USERS\\x"])
def test_other_hives_are_refused(path):
    with pytest.raises(ValueError, match="not under HKLM"):
        normalise_path(path)


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (RegValue("x", "REG_DWORD", 1), RegValue("x", "REG_DWORD", 1), True),
        (RegValue("x", "REG_DWORD", 0), RegValue("x", "REG_DWORD", 1), False),
        (RegValue("x", "REG_DWORD", 0xFFFFFFFF), RegValue("x", "REG_DWORD", 4294967295), True),
        # A DWORD 1 is not the string "1".
        (RegValue("x", "REG_DWORD", 1), RegValue("x", "REG_SZ", "1"), False),
        # Data compares case-sensitively.
        (RegValue("x", "REG_SZ", "Y"), RegValue("x", "REG_SZ", "y"), False),
        # REG_EXPAND_SZ compares unexpanded, and is not REG_SZ.
        (
            RegValue("x", "REG_EXPAND_SZ", "%WINDIR%\\a"),
            RegValue("x", "REG_EXPAND_SZ", "%WINDIR%\\a"),
            True,
        ),
        (
            RegValue("x", "REG_EXPAND_SZ", "%WINDIR%\\a"),
            RegValue("x", "REG_SZ", "%WINDIR%\\a"),
            False,
        ),
        (
            RegValue("x", "REG_EXPAND_SZ", "%WINDIR%\\a"),
            RegValue("x", "REG_EXPAND_SZ", "C:\\Windows\\a"),
            False,
        ),
        # The en dash is data like any other character.
        (RegValue("x", "REG_SZ", "A – B"), RegValue("x", "REG_SZ", "A – B"), True),
        (RegValue("x", "REG_SZ", "A – B"), RegValue("x", "REG_SZ", "A - B"), False),
        (
            RegValue("x", "REG_MULTI_SZ", ["a", "b"]),
            RegValue("x", "REG_MULTI_SZ", ["a", "b"]),
            True,
        ),
        (
            RegValue("x", "REG_MULTI_SZ", ["a", "b"]),
            RegValue("x", "REG_MULTI_SZ", ["b", "a"]),
            False,
        ),
        (RegValue("x", "REG_BINARY", "00ff"), RegValue("x", "REG_BINARY", "00ff"), True),
        (None, None, True),
        (None, RegValue("x", "REG_SZ", ""), False),
    ],
)
def test_comparison_rules(a, b, same):
    first, second = a, b
    assert same_value(first, second) is same
    assert same_value(second, first) is same  # the rules are symmetric


@pytest.mark.parametrize(
    ("reg_type", "data", "ok"),
    [
        ("REG_DWORD", 0, True),
        ("REG_DWORD", 4294967295, True),
        ("REG_DWORD", 4294967296, False),
        ("REG_DWORD", -1, False),
        ("REG_DWORD", True, False),
        ("REG_DWORD", "1", False),
        ("REG_QWORD", 2**64 - 1, True),
        ("REG_QWORD", 2**64, False),
        ("REG_SZ", "Y", True),
        ("REG_SZ", 1, False),
        ("REG_MULTI_SZ", ["a"], True),
        ("REG_MULTI_SZ", "a", False),
        ("REG_BINARY", "0aff", True),
        ("REG_BINARY", "0AFF", False),
        ("REG_BINARY", "0af", False),
        ("REG_NONE", "", False),
    ],
)
def test_valid_data(reg_type, data, ok):
    assert valid_data(reg_type, data) is ok


def test_snapshot_finds_values_case_insensitively():
    snap = KeySnapshot.from_json(
        {
            "path": "HKLM:\\SOFTWARE\\Microsoft\\Ole",
            "exists": True,
            "values": [{"name": "EnableDCOM", "type": "REG_SZ", "data": "Y"}],
        }
    )
    assert snap.get("enabledcom") == RegValue("EnableDCOM", "REG_SZ", "Y")
    assert snap.get("EnableRemoteConnect") is None


def test_render_shows_dword_in_decimal_and_hex():
    assert render(RegValue("x", "REG_DWORD", 4294967295)) == "REG_DWORD:4294967295 (0xffffffff)"
    assert render(None) == "(absent)"

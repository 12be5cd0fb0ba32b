# -*- coding: utf-8 -*-
"""gpt.ini: version bump and wrap, extension groups kept and sorted, CRLF, no BOM."""

from __future__ import annotations

import pytest

from ansible_collections.winra.remote_assistance.plugins.plugin_utils._gpt_ini import (
    GptIniError,
    has_registry_extension,
    merge_extensions,
    next_version,
    updated,
    version_of,
)

REG = "[{35378EAC-683F-11D2-A89A-00C04FBBCFA2}{D02B1F72-3407-48AE-BA88-E8213C6761F1}]"
SECURITY = "[{827D319E-6EAC-4AD3-8B8B-1F5B6F4B6BAD}{803E14A0-B4FB-11D0-A0D0-00A0C90F574B}]"
SCRIPTS = "[{42B5FAAE-6536-11D2-AE5A-0000F87571E3}{40B6664F-4972-11D1-A7CA-0000F87571E3}]"


def lines_of(data: bytes) -> list[bytes]:
    assert data.endswith(b"\r\n")
    body = data[:-2].split(b"\r\n")
    assert all(b"\n" not in line and b"\r" not in line for line in body)
    return body


def test_missing_file_is_created_with_crlf_and_no_bom():
    data = updated(None)
    assert lines_of(data) == [
        b"[General]",
        f"gPCMachineExtensionNames={REG}".encode(),
        b"Version=1",
    ]
    assert not data.startswith(b"\xef\xbb\xbf")
    data.decode("ascii")


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (0, 1),
        (1, 2),
        (65534, 65535),
        (65535, 1),  # machine counter wraps, Salt #41306 overflowed it
        ((7 << 16) | 65535, (7 << 16) | 1),  # the user half is untouched
        ((65535 << 16) | 3, (65535 << 16) | 4),
    ],
)
def test_machine_half_rises_and_wraps_without_touching_the_user_half(before, after):
    assert next_version(before) == after
    data = updated(f"[General]\r\nVersion={before}\r\n".encode())
    assert version_of(data) == after


def test_every_existing_group_keeps_its_brackets_and_groups_are_sorted():
    # GPRegistryPolicyDsc #40 flattened these into one group; Salt prepended unsorted.
    data = updated(
        f"[General]\r\ngPCMachineExtensionNames={SECURITY}{SCRIPTS}\r\nVersion=4\r\n".encode()
    )
    assert lines_of(data)[1] == f"gPCMachineExtensionNames={REG}{SCRIPTS}{SECURITY}".encode()


def test_tool_guids_inside_a_group_are_sorted_after_the_client_extension():
    existing = "[{35378EAC-683F-11D2-A89A-00C04FBBCFA2}{0F6B957E-509E-11D1-A7CC-0000F87571E3}]"
    merged = merge_extensions(existing.encode())
    assert merged == (
        b"[{35378EAC-683F-11D2-A89A-00C04FBBCFA2}{0F6B957E-509E-11D1-A7CC-0000F87571E3}"
        b"{D02B1F72-3407-48AE-BA88-E8213C6761F1}]"
    )


def test_our_group_already_present_in_lower_case_is_not_added_twice():
    existing = REG.lower().encode()
    assert merge_extensions(existing) == existing
    assert has_registry_extension(b"[General]\r\ngPCMachineExtensionNames=" + existing + b"\r\n")


def test_has_registry_extension():
    assert not has_registry_extension(None)
    assert not has_registry_extension(
        f"[General]\r\ngPCMachineExtensionNames={SECURITY}\r\n".encode()
    )
    assert has_registry_extension(updated(None))


def test_unknown_lines_and_sections_are_kept_in_order_and_lf_becomes_crlf():
    # An LF file broke Salt's lgpo.set (#59769): the result is CRLF throughout.
    before = (
        b"; written by someone\n[General]\ngPCFunctionalityVersion=2\nDisplayName=Local \xe6\n"
        b"Version=65540\n\n[Other]\nx=1\n"
    )
    assert lines_of(updated(before)) == [
        b"; written by someone",
        b"[General]",
        b"gPCFunctionalityVersion=2",
        b"DisplayName=Local \xe6",
        b"Version=65541",
        f"gPCMachineExtensionNames={REG}".encode(),
        b"",
        b"[Other]",
        b"x=1",
    ]


def test_a_utf8_bom_is_dropped():
    data = updated(b"\xef\xbb\xbf[General]\r\nVersion=2\r\n")
    assert data.startswith(b"[General]\r\n")
    assert version_of(data) == 3


def test_keys_match_case_insensitively_and_exactly():
    data = updated(b"[general]\r\nVERSION = 9\r\nVersionX=5\r\n")
    assert lines_of(data)[:3] == [b"[general]", b"Version=10", b"VersionX=5"]


def test_missing_general_section_is_added_first():
    assert lines_of(updated(b"[Other]\r\nx=1\r\n"))[:3] == [
        b"[General]",
        f"gPCMachineExtensionNames={REG}".encode(),
        b"Version=1",
    ]


@pytest.mark.parametrize(
    "content",
    [
        b"[General]\r\nVersion=abc\r\n",
        b"[General]\r\nVersion=-1\r\n",
        b"[General]\r\nVersion=4294967296\r\n",
        b"[General]\r\ngPCMachineExtensionNames={35378EAC-683F-11D2-A89A-00C04FBBCFA2}\r\n",
        b"[General]\r\ngPCMachineExtensionNames=[{35378EAC}]\r\n",
        b"\xff\xfe[\x00G\x00",
    ],
)
def test_unparseable_content_is_refused_not_guessed(content):
    with pytest.raises(GptIniError):
        updated(content)

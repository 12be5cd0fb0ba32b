# -*- coding: utf-8 -*-
"""Registry.pol codec: round trip over a corpus, clear errors, property tests."""

from __future__ import annotations

import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.winra.remote_assistance.plugins.plugin_utils import _preg
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._preg import (
    HEADER,
    PolFileError,
    PolRecord,
    decode_data,
    delete_all_values_record,
    delete_value_record,
    parse,
    value_record,
    write,
)

TS = "Software\\Policies\\Microsoft\\Windows NT\\Terminal Services"
U16 = "utf-16-le"


def raw_record(key: str, value: str, reg_type: int, data: bytes, size: int | None = None) -> bytes:
    """A record built by hand, independently of the writer under test."""
    size = len(data) if size is None else size
    return (
        "[".encode(U16)
        + (key + "\0").encode(U16, "surrogatepass")
        + ";".encode(U16)
        + (value + "\0").encode(U16, "surrogatepass")
        + ";".encode(U16)
        + struct.pack("<I", reg_type)
        + ";".encode(U16)
        + struct.pack("<I", size)
        + ";".encode(U16)
        + data
        + "]".encode(U16)
    )


def sz(text: str) -> bytes:
    return (text + "\0").encode(U16, "surrogatepass")


CORPUS = {
    "empty file": b"",
    "header only": HEADER,
    "one dword": HEADER + raw_record(TS, "fAllowUnsolicited", 4, struct.pack("<I", 1)),
    "every special value": HEADER
    + raw_record(TS, "**del.fAllowUnsolicitedFullControl", 1, sz(" "))
    + raw_record(TS + "\\RAUnsolicit", "**delvals.", 1, sz(" "))
    + raw_record("Software\\X", "**DeleteValues", 1, sz("a;b;c"))
    + raw_record("Software\\X", "**DeleteKeys", 1, sz("Sub1;Sub2"))
    + raw_record("Software\\X", "**SecureKey", 4, struct.pack("<I", 1))
    + raw_record("Software\\X", "**soft.Greeting", 1, sz("hello")),
    "unknown records": HEADER
    + raw_record("Software\\Policies\\Vendor\\Thing", "Level", 4, struct.pack("<I", 7))
    + raw_record("Software\\Policies\\Vendor\\Thing", "Blob", 3, bytes(range(17)))
    + raw_record("Software\\Policies\\Vendor\\Thing", "Big", 11, struct.pack("<Q", 2**64 - 1))
    + raw_record("Software\\Policies\\Vendor\\Thing", "Multi", 7, sz("a") + sz("b") + b"\0\0")
    + raw_record("Software\\Policies\\Vendor\\Thing", "Odd type", 0x1234, b"\x01"),
    "key only record": HEADER + raw_record("Software\\Policies\\Empty", "", 0, b""),
    "odd sizes": HEADER
    + raw_record("K", "odd string", 1, b"a\x00b")
    + raw_record("K", "short dword", 4, b"\x01\x02")
    + raw_record("K", "after odd", 1, sz("x")),
    "non-BMP and en dash": HEADER
    + raw_record(
        "Software\\\U0001f600", "Remote Assistance \u2013 Voice", 1, sz("\U00010348 \u2013")
    ),
    "lone surrogate in a name": HEADER + raw_record("K", "bad\ud800name", 1, sz("x")),
    "separators inside names and data": HEADER + raw_record("K;[x]", "v;]", 1, sz("];[")),
}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_corpus_round_trips_byte_for_byte(name):
    data = CORPUS[name]
    assert parse(data).to_bytes() == data


def test_records_read_in_file_order_with_their_fields():
    records = parse(CORPUS["every special value"]).records
    assert [r.special_kind for r in records] == [
        "delete_value",
        "delete_all_values",
        "delete_values",
        "delete_keys",
        "secure_key",
        "soft",
    ]
    assert records[0].target_name == "fAllowUnsolicitedFullControl"
    assert records[5].target_name == "Greeting"
    assert _preg.name_list(records[2]) == ["a", "b", "c"]
    assert _preg.name_list(records[3]) == ["Sub1", "Sub2"]


def test_special_values_match_case_insensitively_and_exactly():
    assert _preg.special_kind("**DEL.x") == "delete_value"
    assert _preg.special_kind("**DelVals.") == "delete_all_values"
    assert _preg.special_kind("**delvals.x") is None
    assert _preg.special_kind("*del.x") is None
    assert _preg.special_kind("fAllowUnsolicited") is None


def test_empty_file_has_no_records_and_gains_a_header_when_written_with_records():
    empty = parse(b"")
    assert empty.records == () and empty.empty
    record = value_record(TS, "fAllowUnsolicited", "REG_DWORD", 1)
    assert write([record], empty=True) == HEADER + record.to_bytes()


def test_writer_matches_hand_built_bytes():
    record = value_record(TS, "fAllowUnsolicited", "REG_DWORD", 1)
    assert record.to_bytes() == raw_record(TS, "fAllowUnsolicited", 4, b"\x01\x00\x00\x00")
    assert delete_value_record(TS, "x").to_bytes() == raw_record(TS, "**del.x", 1, sz(" "))
    assert delete_all_values_record("K").to_bytes() == raw_record("K", "**delvals.", 1, sz(" "))


@pytest.mark.parametrize(
    ("type_name", "data"),
    [
        ("REG_SZ", "DOMAIN\\Helpdesk"),
        ("REG_EXPAND_SZ", "%SystemRoot%\\System32\\msra.exe"),
        ("REG_DWORD", 0xFFFFFFFF),
        ("REG_QWORD", 2**64 - 1),
        ("REG_MULTI_SZ", ["a", "b\u2013c"]),
        ("REG_BINARY", "00ff10"),
    ],
)
def test_contract_data_round_trips_through_a_record(type_name, data):
    assert decode_data(value_record("K", "v", type_name, data)) == (type_name, data)


def test_decode_tolerates_malformed_data_without_raising():
    assert decode_data(PolRecord("K", "v", 4, b"\x01\x02")) == ("REG_BINARY", "0102")
    assert decode_data(PolRecord("K", "v", 1, b"a\x00b")) == ("REG_SZ", "a")
    assert decode_data(PolRecord("K", "v", 99, b"\x01")) == ("REG_BINARY", "01")


@pytest.mark.parametrize(
    ("data", "offset", "reason"),
    [
        (b"PRe", 0, "shorter than its header"),
        (b"XReg\x01\x00\x00\x00", 0, "signature"),
        (b"PReg\x02\x00\x00\x00", 4, "version is 2"),
        (HEADER + b"x", 8, "'['"),
        (HEADER + "[abc".encode(U16), 10, "no terminating NUL"),
        (CORPUS["one dword"][:-2], None, "']'"),
        (CORPUS["one dword"] + b"\x00", None, "'['"),
        (HEADER + raw_record("K", "v", 1, b"", size=1000), None, "declares 1000 data bytes"),
    ],
)
def test_incomplete_files_raise_one_clear_error_with_file_and_offset(data, offset, reason):
    with pytest.raises(PolFileError) as caught:
        parse(data, source="C:\\Windows\\System32\\GroupPolicy\\Machine\\Registry.pol")
    error = caught.value
    assert reason in str(error)
    assert "Registry.pol" in str(error) and f"byte offset {error.offset}" in str(error)
    if offset is not None:
        assert error.offset == offset
    assert 0 <= error.offset <= len(data)


def test_a_truncated_final_record_reports_where_it_stops():
    whole = CORPUS["unknown records"]
    cut = whole[: len(whole) - 5]
    with pytest.raises(PolFileError) as caught:
        parse(cut)
    assert caught.value.offset > len(HEADER)


# -- property tests ---------------------------------------------------------------------------

names = st.text(alphabet=st.characters(exclude_characters="\x00"), max_size=12)
records = st.builds(
    PolRecord,
    key=names,
    value=names,
    type=st.integers(min_value=0, max_value=2**32 - 1),
    data=st.binary(max_size=24),
)


@given(st.binary(max_size=300))
@settings(max_examples=400)
def test_arbitrary_bytes_parse_or_raise_the_clear_error(data):
    try:
        parsed = parse(data)
    except PolFileError as error:
        assert 0 <= error.offset <= len(data)
    else:
        assert parsed.to_bytes() == data


@given(st.lists(records, max_size=8), st.data())
@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
def test_mutated_valid_files_parse_or_raise_the_clear_error(items, draw):
    data = bytearray(write(items))
    for _mutation in range(draw.draw(st.integers(min_value=1, max_value=4))):
        position = draw.draw(st.integers(min_value=0, max_value=len(data)))
        action = draw.draw(st.sampled_from(["flip", "cut", "insert"]))
        if action == "flip" and position < len(data):
            data[position] ^= draw.draw(st.integers(min_value=1, max_value=255))
        elif action == "cut":
            del data[position:]
        else:
            data[position:position] = draw.draw(st.binary(min_size=1, max_size=3))
    try:
        parsed = parse(bytes(data))
    except PolFileError:
        return
    assert parsed.to_bytes() == bytes(data)


@given(st.lists(records, max_size=10))
@settings(max_examples=200)
def test_generated_record_lists_round_trip(items):
    data = write(items)
    assert list(parse(data).records) == items
    assert write(parse(data).records) == data

"""A part's input: shape checks before Ansible's validator, every problem named, labels."""

from __future__ import annotations

import pytest

from ansible_collections.winra.remote_assistance.plugins.plugin_utils._engine_action import (
    combined_plan,
    merged_read_request,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._errors import (
    OptionError,
    OptionErrors,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._part_input import (
    check_part,
    label_of,
    render,
    shape_errors,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._parts import OFFER
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._plan import Plan

LABELS = {"offer.solicited": "my_solicited", "firewall.ports": "my_ports", "offer": "my_offer"}


@pytest.mark.parametrize(
    ("option", "label"),
    [
        ("offer.solicited.max_ticket_expiry", "my_solicited.max_ticket_expiry"),
        ("offer.solicited", "my_solicited"),
        ("firewall.ports[2]", "my_ports[2]"),
        ("offer.helpers", "my_offer.helpers"),
        ("firewall.programs[0]", "firewall.programs[0]"),
        ("firewall.portsx", "firewall.portsx"),
    ],
)
def test_a_label_covers_its_path_and_everything_below(option, label):
    assert label_of(option, LABELS) == label


def test_render_names_every_error_under_its_label():
    errors = [OptionError("firewall.ports[1]", "x", "bad"), OptionError("offer.dcom", 3, "no")]
    assert render(errors, LABELS) == (
        "Invalid value for option 'my_ports[1]': 'x': bad; "
        "Invalid value for option 'my_offer.dcom': 3: no"
    )


@pytest.mark.parametrize(
    ("raw", "options"),
    [
        ({"solicited": 42}, ["solicited"]),
        ({"solicited": {}}, ["solicited"]),
        ({"solicited": {"colour": 1}}, ["solicited.colour"]),
        ({"helpers": ["C\\a", 7, ["b"]]}, ["helpers[1]", "helpers[2]"]),
        ({"nope": 1, "solicited": "x"}, ["nope", "solicited"]),
    ],
)
def test_shapes_ansible_would_crash_on_or_convert_are_named(raw, options):
    assert [e.option for e in shape_errors(OFFER.argument_spec, raw)] == options


def test_spec_errors_are_attributed_to_their_options():
    with pytest.raises(OptionErrors) as err:
        check_part(OFFER, {"state": "on", "dcom": "maybe", "helpers": ["C\\a"]}, "offer.")
    assert [e.option for e in err.value.errors] == ["offer.state", "offer.dcom"]
    assert [e.value for e in err.value.errors] == ["on", "maybe"]


def test_the_read_request_is_the_union_without_repeats():
    merged = merged_read_request(
        [
            {"keys": ["HKLM:\\A", "HKLM:\\B"], "accounts": ["C\\x"], "firewall_rules": []},
            {"keys": ["hklm:\\a"], "accounts": ["c\\X", "C\\y"], "firewall_rules": ["R"]},
        ]
    )
    assert merged == {
        "keys": ["HKLM:\\A", "HKLM:\\B"],
        "accounts": ["C\\x", "C\\y"],
        "firewall_rules": ["R"],
    }


def test_the_probes_and_files_merge_apart_and_only_when_asked():
    merged = merged_read_request(
        [
            {"keys": [], "exists": ["%SystemRoot%\\System32\\msra.exe"]},
            {"keys": [], "exists": ["%systemroot%\\system32\\MSRA.EXE"], "files": ["C:\\g.ini"]},
        ]
    )
    assert merged["exists"] == ["%SystemRoot%\\System32\\msra.exe"]
    assert merged["files"] == ["C:\\g.ini"]
    assert "exists" not in merged_read_request([{"keys": [], "exists": []}])


def test_two_parts_changing_one_value_are_refused():
    change = {"op": "set_value", "path": "HKLM:\\A", "name": "v", "type": "REG_SZ", "data": "1"}
    other = dict(change, path="hklm:\\a", name="V")
    with pytest.raises(ValueError):
        combined_plan([Plan([change], [], [], []), Plan([other], [], [], [])])
    joined = combined_plan([Plan([change], ["d"], ["b"], ["a"]), Plan([], [], ["b2"], ["a2"])])
    assert joined.changes == [change] and joined.before == ["b", "b2"]

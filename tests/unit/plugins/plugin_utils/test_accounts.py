"""What a valid DOMAIN\\name helper is."""

from __future__ import annotations

import pytest

from ansible_collections.winra.remote_assistance.plugins.plugin_utils._accounts import (
    helper_key,
    validate_helper,
    validate_helpers,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._errors import OptionError
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._registry_values import (
    KeySnapshot,
    RegValue,
)

VALID = [
    "CONTOSO\\Helpdesk",
    "contoso\\bob",
    "C\\x",
    "CONTOSO-EU\\Help Desk Tier 2",  # spaces inside names are allowed
    "CONTOSO\\svc_ra-01",
    "CONTOSO\\o'brien",
    "CONTOSO\\group$",
    "CONTOSO\\Fjernhjelp-støtte",  # non-ASCII letters
    "CONTOSO\\Remoteunterstützung",
    "ABCDEFGHIJKLMNO\\x",  # 15-character NetBIOS domain
    "WS001\\LocalHelper",
    "CONTOSO\\" + "g" * 256,  # group names up to 256 characters
    "CONTOSO\\a.b",  # a period inside the name
    "CONTOSO\\.hidden",
    "12345\\helper",
    "CONTOSO\\(RA) #1 & co!",
]

INVALID = [
    ("Helpdesk", "exactly one backslash (found 0)"),
    ("CONTOSO\\\\Helpdesk", "exactly one backslash (found 2)"),
    ("CONTOSO\\sub\\x", "exactly one backslash (found 2)"),
    ("\\Helpdesk", "domain part is empty"),
    ("CONTOSO\\", "account name is empty"),
    ("\\", "domain part is empty"),
    ("", "exactly one backslash"),
    (" CONTOSO\\bob", "leading or trailing whitespace"),
    ("CONTOSO\\bob ", "leading or trailing whitespace"),
    ("CONTOSO\\bob\t", "leading or trailing whitespace"),
    ("CONTOSO \\bob", "domain 'CONTOSO ' has leading or trailing whitespace"),
    ("CONTOSO\\ bob", "account name ' bob' has leading or trailing whitespace"),
    ("ABCDEFGHIJKLMNOP\\x", "longer than 15 characters"),
    ("contoso.com\\bob", "looks like a DNS name"),
    (".CONTOSO\\bob", "looks like a DNS name"),
    ("CON/TOSO\\bob", "'/'"),
    ("CON:TOSO\\bob", "':'"),
    ("CON*\\bob", "'*'"),
    ("CON?\\bob", "'?'"),
    ('CON"\\bob', "'\"'"),
    ("CON<\\bob", "'<'"),
    ("CON>\\bob", "'>'"),
    ("CON|\\bob", "'|'"),
    ("CON\x01\\bob", "U+0001"),
    ("CONTOSO\\" + "g" * 257, "longer than 256"),
    ("CONTOSO\\...", "only of periods and spaces"),
    ("CONTOSO\\. .", "only of periods and spaces"),
    ("CONTOSO\\bob.", "ends with a period"),
    ("CONTOSO\\bob@contoso.com", "user principal name"),
    ("CONTOSO\\a/b", "'/'"),
    ("CONTOSO\\a[b", "'['"),
    ("CONTOSO\\a]b", "']'"),
    ("CONTOSO\\a:b", "':'"),
    ("CONTOSO\\a;b", "';'"),
    ("CONTOSO\\a|b", "'|'"),
    ("CONTOSO\\a=b", "'='"),
    ("CONTOSO\\a,b", "','"),
    ("CONTOSO\\a+b", "'+'"),
    ("CONTOSO\\a*b", "'*'"),
    ("CONTOSO\\a?b", "'?'"),
    ("CONTOSO\\a<b", "'<'"),
    ("CONTOSO\\a>b", "'>'"),
    ('CONTOSO\\a"b', "'\"'"),
    ("CONTOSO\\a\nb", "U+000A"),
    ("CONTOSO\\a\x7fb", "U+007F"),
    (42, "must be a string"),
    (None, "must be a string"),
]


@pytest.mark.parametrize("helper", VALID)
def test_valid_helpers_come_back_unchanged(helper):
    assert validate_helper(helper) is helper


@pytest.mark.parametrize(("helper", "reason"), INVALID)
def test_invalid_helper_names_option_value_and_reason(helper, reason):
    with pytest.raises(OptionError) as caught:
        validate_helper(helper)
    err = caught.value
    assert err.option == "helpers"
    assert err.value == helper
    assert reason in err.reason
    assert str(err).startswith("Invalid value for option 'helpers': ")
    assert repr(helper) in str(err)


def test_list_keeps_order_and_spelling():
    helpers = ["contoso\\Bob", "CONTOSO\\Helpdesk", "FABRIKAM\\bob"]
    assert validate_helpers(helpers) == tuple(helpers)


def test_empty_list_is_valid():
    assert validate_helpers([]) == ()


def test_case_insensitive_duplicate_names_both_values():
    with pytest.raises(OptionError) as caught:
        validate_helpers(["CONTOSO\\Helpdesk", "CONTOSO\\bob", "contoso\\HELPDESK"])
    err = caught.value
    assert err.option == "helpers"
    assert err.value == "contoso\\HELPDESK"
    assert "'CONTOSO\\\\Helpdesk'" in err.reason
    assert "case-insensitively" in err.reason


def test_exact_duplicate_is_rejected():
    with pytest.raises(OptionError, match="duplicate"):
        validate_helpers(["CONTOSO\\bob", "CONTOSO\\bob"])


def test_first_invalid_entry_of_a_list_is_named():
    with pytest.raises(OptionError) as caught:
        validate_helpers(["CONTOSO\\ok", "CONTOSO\\bad|name", "CONTOSO\\also;bad"])
    assert caught.value.value == "CONTOSO\\bad|name"


@pytest.mark.parametrize("not_a_list", ["CONTOSO\\bob", None, {"CONTOSO\\bob": 1}])
def test_helpers_must_be_a_list(not_a_list):
    with pytest.raises(OptionError, match="must be a list"):
        validate_helpers(not_a_list)


def test_option_name_can_be_overridden():
    with pytest.raises(OptionError) as caught:
        validate_helper("nobackslash", option="solicited.helpers")
    assert caught.value.option == "solicited.helpers"


@pytest.mark.parametrize(
    ("a", "b"),
    [("CONTOSO\\Bob", "contoso\\bob"), ("CONTOSO\\ÆØÅ", "contoso\\æøå")],
)
def test_helper_key_matches_registry_name_lookup(a, b):
    # The registry layer and the helper identity must agree, or the plan would see
    # two wishes for one RAUnsolicit value.
    assert helper_key(a) == helper_key(b)
    snapshot = KeySnapshot("HKLM:\\X", True, (RegValue(a, "REG_SZ", a),))
    assert snapshot.get(b) is not None

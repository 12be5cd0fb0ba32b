"""Decoding what Ansible sends: recorded payloads of every supported ansible-core, and edge cases."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from winra_lab import payload

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "payloads"
FIXTURE_FILES = sorted(FIXTURES.glob("*/*.json"))


def _encode(script: str) -> str:
    return base64.b64encode(script.encode("utf-16-le")).decode()


def test_fixtures_cover_three_ansible_core_releases():
    versions = {p.parent.name.rsplit(".", 1)[0] for p in FIXTURE_FILES}
    assert {"2.16", "2.18", "2.19"} <= versions


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_recorded_payload_decodes_to_the_task(path):
    fixture = json.loads(path.read_text())
    decoded = payload.decode(fixture["command"], fixture["arguments"], fixture["stdin"].encode())
    expect = fixture["expect"]
    if "refusal" in expect:
        assert isinstance(decoded, payload.Refusal)
        assert expect["refusal"] in decoded.msg
        assert "runs no PowerShell" in decoded.msg
        return
    assert isinstance(decoded, payload.Invocation)
    assert decoded.module == expect["module"]
    assert decoded.args == expect["args"]
    assert decoded.check_mode is expect["check_mode"]
    assert decoded.diff is expect["diff"]
    assert all(not key.startswith("_ansible_") for key in decoded.args)


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_recorded_command_line_decodes_to_a_script(path):
    fixture = json.loads(path.read_text())
    script = payload.decode_command_line(fixture["command"], fixture["arguments"])
    # Whatever the nesting, the result is the innermost script, not another PowerShell call.
    assert "-EncodedCommand" not in script
    assert script.strip()


def test_nested_encoded_command_is_decoded_recursively():
    inner = "$input | Out-String"
    middle = f"PowerShell -NoProfile -EncodedCommand {_encode(inner)}"
    assert (
        payload.decode_command_line(
            "PowerShell", f"-NonInteractive -EncodedCommand {_encode(middle)}"
        )
        == inner
    )


def test_broken_base64_in_command_line_is_a_payload_error():
    with pytest.raises(payload.PayloadError):
        payload.decode_command_line("PowerShell", "-EncodedCommand AAA")


def _manifest_stdin(actions: list[dict]) -> bytes:
    first = json.dumps({"name": "exec_wrapper", "script": "", "params": {}})
    second = json.dumps({"scripts": {}, "actions": actions, "signed_hashlist": []})
    return f"{first}\n\0\0\0\0\n{second}".encode()


@pytest.mark.parametrize(
    ("action", "words"),
    [
        ("winrm_put_file.ps1", "copy a file"),
        ("winrm_fetch_file.ps1", "fetch a file"),
        ("powershell_mkdtemp.ps1", "temporary directory"),
        ("async_wrapper.ps1", "async"),
    ],
)
def test_file_transfer_and_async_actions_are_refused(action, words):
    decoded = payload.decode("PowerShell", "", _manifest_stdin([{"name": action, "params": {}}]))
    assert isinstance(decoded, payload.Refusal)
    assert words in decoded.msg


def test_module_from_collection_script_name_and_args():
    action = {
        "name": "module_wrapper.ps1",
        "params": {
            "Script": "ansible_collections.winra.remote_assistance.plugins.modules.win_ra_state.ps1",
            "Variables": [
                {"Name": "complex_args", "Value": {"action": "read", "_ansible_check_mode": True}}
            ],
            "ForModule": True,
        },
    }
    decoded = payload.decode("PowerShell", "", _manifest_stdin([action]))
    assert decoded == payload.Invocation(
        "winra.remote_assistance.win_ra_state", {"action": "read"}, True, False, "2.19"
    )


def test_old_form_script_wrapper_is_refused():
    stdin = (
        b"begin {}\0\0\0\0"
        + json.dumps({"actions": ["module_script_wrapper"], "module_args": {}}).encode()
    )
    decoded = payload.decode("PowerShell", "", stdin)
    assert isinstance(decoded, payload.Refusal) and "script module" in decoded.msg


def test_old_form_without_module_name_is_a_payload_error():
    stdin = (
        b"begin {}\0\0\0\0"
        + json.dumps({"actions": ["module_powershell_wrapper"], "module_args": {}}).encode()
    )
    with pytest.raises(payload.PayloadError):
        payload.decode("PowerShell", "", stdin)


def test_truncated_manifest_is_a_payload_error():
    with pytest.raises(payload.PayloadError):
        payload.decode("PowerShell", "", b'{"name": "exec_wrapper"}\n\0\0\0\0\n{"actions": [')


def test_plain_script_without_stdin_is_refused_naming_it():
    decoded = payload.decode("PowerShell", f"-EncodedCommand {_encode('Get-Date')}", b"")
    assert isinstance(decoded, payload.Refusal)
    assert "Get-Date" in decoded.msg

"""audit_report: the fleet report collected from the hosts' registered results and written on
the controller in one task (the files checked on disk, not only the task's result)."""

from __future__ import annotations

import json
from unittest.mock import MagicMock

import pytest

from ansible_collections.winra.remote_assistance.plugins.action.audit_report import ActionModule

DRIFT = {
    "setting": "helpers",
    "path": "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services\\RAUnsolicit",
    "name": "CONTOSO\\Helpdesk",
    "expected": {"type": "REG_SZ", "data": "CONTOSO\\Helpdesk"},
    "actual": None,
}


def part(drift=()):
    return {"changed": bool(drift), "drift": list(drift), "gpo_conflicts": [], "engine_runs": 1}


class HostVars:
    """What task_vars['hostvars'] offers: raw_get(host) -> the host's variables."""

    def __init__(self, by_host: dict) -> None:
        self.by_host = by_host
        self.asked: list[str] = []

    def raw_get(self, host: str) -> dict:
        self.asked.append(host)
        return self.by_host.get(host, {})


def run(args: dict, hostvars: HostVars | None = None, check_mode=False) -> dict:
    task = MagicMock()
    task.args = args
    task.check_mode = check_mode
    task.async_val = 0
    action = ActionModule(
        task=task,
        connection=MagicMock(),
        play_context=MagicMock(check_mode=check_mode),
        loader=None,
        templar=None,
        shared_loader_obj=None,
    )
    return action.run(task_vars={"hostvars": hostvars or HostVars({})})


FLEET = HostVars(
    {
        "ws1": {"offer_remote_assistance_result": {"offer": part(), "firewall": part()}},
        "ws2": {"offer_remote_assistance_result": {"offer": part([DRIFT]), "firewall": part()}},
        "ws3": {
            "winra_audit_failure": {"msg": "boom", "task": "Run the role", "unreachable": True}
        },
    }
)


def test_collects_every_host_and_writes_the_three_files(tmp_path):
    result = run({"hosts": ["ws1", "ws2", "ws3", "ws4"], "dest": str(tmp_path / "r")}, FLEET)
    assert not result.get("failed"), result
    assert result["statuses"] == {
        "ws1": "compliant",
        "ws2": "drifted",
        "ws3": "unreachable",
        "ws4": "unreachable",  # listed, recorded nothing: never silently missing
    }
    written = json.loads((tmp_path / "r" / "fleet-report.json").read_text(encoding="utf-8"))
    assert [h["status"] for h in written["hosts"]] == list(result["statuses"].values())
    assert written["summary"] == result["summary"] and written["summary"]["drifted"] == 1
    assert written["hosts"][1]["drift"][0]["name"] == "CONTOSO\\Helpdesk"
    assert "ws3" in (tmp_path / "r" / "fleet-report.md").read_text(encoding="utf-8")
    assert (tmp_path / "r" / "fleet-report.html").read_text(encoding="utf-8").startswith("<!")
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == [
        "fleet-report.html",
        "fleet-report.json",
        "fleet-report.md",
    ], "no temporary file left behind"
    assert result["changed"] is False, "the report changes no host"


def test_only_the_listed_hosts_are_read(tmp_path):
    hostvars = HostVars(FLEET.by_host)
    run({"hosts": ["ws2"], "dest": str(tmp_path), "formats": ["json"]}, hostvars)
    assert hostvars.asked == ["ws2"]
    assert [p.name for p in tmp_path.iterdir()] == ["fleet-report.json"]


def test_a_ready_report_is_written_as_it_is(tmp_path):
    first = run({"hosts": ["ws1", "ws2"], "dest": str(tmp_path / "a")}, FLEET)
    document = json.loads((tmp_path / "a" / "fleet-report.json").read_text(encoding="utf-8"))
    again = run({"report": document, "dest": str(tmp_path / "b")})
    assert again["statuses"] == first["statuses"]
    assert (tmp_path / "b" / "fleet-report.json").read_text(encoding="utf-8") == (
        tmp_path / "a" / "fleet-report.json"
    ).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "named"),
    [
        ({"dest": "x"}, "hosts"),
        ({"hosts": ["a"], "report": {}, "dest": "x"}, "report"),
        ({"hosts": ["a"], "dest": "x", "formats": ["pdf"]}, "pdf"),
        ({"hosts": ["a"]}, "dest"),
        ({"report": {"not": "a report"}, "dest": "x"}, "report"),
    ],
)
def test_bad_options_fail_naming_them_and_write_nothing(tmp_path, monkeypatch, args, named):
    monkeypatch.chdir(tmp_path)
    result = run(args, FLEET)
    assert result["failed"] and named in result["msg"]
    assert list(tmp_path.iterdir()) == []

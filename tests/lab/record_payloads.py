"""Re-record the payload fixtures under tests/fixtures/payloads/<ansible-core version>/.

Not a test. Run it with an ansible-core installed in a separate virtualenv:

    python -m venv /tmp/ac218 && /tmp/ac218/bin/pip install ansible-core==2.18.19 pywinrm==0.5.0
    .venv/bin/python tests/lab/record_payloads.py /tmp/ac218

It starts a one-host lab with recording on, runs a playbook of known tasks against it
(a throwaway collection supplies dummy module sources), then trims the big embedded
scripts from each payload while keeping every field the decoder reads, and writes one
JSON fixture per task with the invocation the task must decode to.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from winra_lab.lab import Lab

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "payloads"
CHECKOUT_COLLECTIONS = Path(__file__).resolve().parents[2] / "collections"

DUMMY_MODULE = """#!powershell
#AnsibleRequires -CSharpUtil Ansible.Basic
$spec = @{ options = @{ data = @{ type = 'str'; default = 'pong' } }; supports_check_mode = $true }
$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
$module.ExitJson()
"""

# (fixture name, task, expected decode of the manifest form (2.19+), of the old form if different)
_PLAIN = {"args": {}, "check_mode": False, "diff": False}
TASKS = [
    (
        "module",
        {"labtest.dummy.win_dummy": {"data": "hello"}},
        {"module": "labtest.dummy.win_dummy", **_PLAIN, "args": {"data": "hello"}},
        None,
    ),
    (
        "module_check_diff",
        {"labtest.dummy.win_dummy": {"data": "checked"}, "check_mode": True, "diff": True},
        {
            "module": "labtest.dummy.win_dummy",
            "args": {"data": "checked"},
            "check_mode": True,
            "diff": True,
        },
        None,
    ),
    (
        "win_ping_fqcn",
        {"ansible.windows.win_ping": {}},
        {"module": "ansible.windows.win_ping", **_PLAIN},
        None,
    ),
    (
        "win_ping_short",
        {"win_ping": {}},
        {"module": "ansible.windows.win_ping", **_PLAIN},
        {"module": "win_ping", **_PLAIN},
    ),
    ("raw", {"ansible.builtin.raw": "Get-Date"}, {"refusal": "plain script"}, None),
    (
        "become",
        {
            "labtest.dummy.win_dummy": {},
            "become": True,
            "become_method": "runas",
            "become_user": "SYSTEM",
        },
        {"refusal": "become"},
        None,
    ),
]


def _collections(root: Path) -> Path:
    for namespace, name, module in (
        ("labtest", "dummy", "win_dummy"),
        ("ansible", "windows", "win_ping"),
    ):
        base = root / "ansible_collections" / namespace / name
        (base / "plugins" / "modules").mkdir(parents=True)
        (base / "galaxy.yml").write_text(
            f"namespace: {namespace}\nname: {name}\nversion: 1.0.0\nreadme: README.md\nauthors: [lab]\n"
        )
        (base / "plugins" / "modules" / f"{module}.ps1").write_text(DUMMY_MODULE)
    return root


def _playbook(path: Path) -> Path:
    tasks = [{"name": name, "ignore_errors": True, **task} for name, task, _, _ in TASKS]
    play = [{"hosts": "windows", "gather_facts": False, "tasks": tasks}]
    path.write_text(json.dumps(play, indent=1))  # JSON is YAML
    return path


def _trim_text(value, limit: int = 200):
    if isinstance(value, str) and len(value) > limit:
        return f"<{len(value)} characters removed>"
    if isinstance(value, dict):
        return {k: _trim_text(v, limit) for k, v in value.items()}
    return value


def trim(stdin: bytes) -> str:
    """Drop embedded scripts, keep every JSON field the decoder reads."""
    new_sep, old_sep = b"\n\0\0\0\0\n", b"\0\0\0\0"
    if stdin.startswith(b"{") and new_sep in stdin:
        parts = stdin.split(new_sep)
        bootstrap = json.loads(parts[0])
        bootstrap["script"] = _trim_text(bootstrap["script"], 0)
        manifest = json.loads(parts[1])
        for script in manifest.get("scripts", {}).values():
            script["script"] = _trim_text(script["script"], 0)
        rest = [json.dumps(bootstrap).encode(), json.dumps(manifest).encode(), *parts[2:]]
        return new_sep.join(rest).decode()
    if old_sep in stdin:
        wrapper, _, data = stdin.partition(old_sep)
        manifest = json.loads(data)
        kept = {
            k: (v if k in ("module_args", "actions") else _trim_text(v))
            for k, v in manifest.items()
        }
        first = wrapper.decode().splitlines()[0]
        return f"{first}\n# exec_wrapper trimmed\n" + old_sep.decode() + json.dumps(kept)
    return stdin.decode()


def main(venv: str) -> None:
    version = subprocess.run(
        [f"{venv}/bin/python", "-c", "import ansible; print(ansible.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    out_dir = FIXTURES / version
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        colls = _collections(tmp_path / "colls")
        play = _playbook(tmp_path / "play.yml")
        with Lab(hosts=1, record_dir=tmp_path / "rec") as lab:
            env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=f"{colls}:{CHECKOUT_COLLECTIONS}")
            subprocess.run(
                [f"{venv}/bin/ansible-playbook", "-i", str(lab.inventory_path), str(play)],
                env=env,
                check=True,
                cwd=tmp,
                capture_output=True,
            )
        recorded = sorted((tmp_path / "rec").glob("*.json"))
        if len(recorded) != len(TASKS):
            raise SystemExit(f"expected {len(TASKS)} commands, recorded {len(recorded)}")
        old_form = not (recorded[0].with_suffix(".stdin").read_bytes().startswith(b"{"))
        for (name, _task, expect_new, expect_old), meta in zip(TASKS, recorded, strict=True):
            command = json.loads(meta.read_text())
            fixture = {
                "ansible_core": version,
                "task": name,
                "command": command["command"],
                "arguments": command["arguments"],
                "stdin": trim(meta.with_suffix(".stdin").read_bytes()),
                "expect": (expect_old or expect_new) if old_form else expect_new,
            }
            (out_dir / f"{name}.json").write_text(json.dumps(fixture, indent=1) + "\n")
    print(f"wrote {len(TASKS)} fixtures to {out_dir}")


if __name__ == "__main__":
    main(sys.argv[1])

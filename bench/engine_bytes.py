"""What one run of the host engine sends to a Windows host, in bytes, and what those bytes are.

`measure` runs one check-mode `win_offer_ra` task (one engine run, action `read`) against a
one-host lab that records every command's stdin. Two figures come out:

* the payload: the recorded stdin of the engine run (ansible-core 2.19+ form: a bootstrap
  manifest carrying the exec wrapper, then a manifest of base64 scripts and the module's
  arguments), split by `payload_parts` into the exec wrapper, the C# utilities, the
  PowerShell utilities, the engine itself and the rest (arguments and manifest);
* the wire: the lab's `bytes_in` counter for that run (every HTTP request: shell create,
  command line, stdin in base64 Send chunks, Receive polls, signal, shell delete).
"""

from __future__ import annotations

import base64
import binascii
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from winra_lab.client import ControlClient, run_cli
from winra_lab.payload import SEPARATOR_NEW, PayloadError

ENGINE = "winra.remote_assistance.win_ra_state"
ENGINE_SCRIPT = "ansible_collections.winra.remote_assistance.plugins.modules.win_ra_state.ps1"
PLAYBOOK = Path(__file__).resolve().parent / "engine_run.yml"
PARTS = ("exec wrapper", "C# utilities", "PowerShell utilities", "engine", "arguments and manifest")


@dataclass(frozen=True)
class Part:
    sent: int  # bytes of stdin this part takes, as sent (JSON, scripts in base64)
    source: int | None  # bytes of the scripts once decoded; None for JSON framing


def _script_bytes(entry: object) -> int | None:
    script = entry.get("script") if isinstance(entry, dict) else None
    if not isinstance(script, str):
        return None
    try:
        return len(base64.b64decode(script, validate=True))
    except binascii.Error:
        return len(script.encode("utf-8"))


def _kind(name: str, module_script: str) -> str:
    if name == module_script:
        return "engine"
    if name == "module_wrapper.ps1":
        return "exec wrapper"
    if name.endswith(".cs"):
        return "C# utilities"
    return "PowerShell utilities"


def payload_parts(stdin: bytes) -> dict[str, Part]:
    """Split an ansible-core 2.19+ module payload by what each byte is for (pure).

    The parts add up to len(stdin): each script is counted as its JSON member
    (`"name":{...}`), and everything else in the manifest (keys, arguments, separators)
    is the rest.
    """
    head, sep, rest = stdin.partition(SEPARATOR_NEW)
    if not sep:
        raise PayloadError("not an ansible-core 2.19+ payload: no manifest separator")
    try:
        bootstrap = json.loads(head)
        manifest = json.loads(rest.split(SEPARATOR_NEW, 1)[0])
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError(f"the payload's manifests are not JSON: {exc}") from exc
    actions = manifest.get("actions") or [{}]
    module_script = str((actions[-1].get("params") or {}).get("Script", ""))
    sent = dict.fromkeys(PARTS, 0)
    source: dict[str, int | None] = dict.fromkeys(PARTS, None)
    # The bootstrap manifest is the exec wrapper itself, plus the separator that ends it.
    sent["exec wrapper"] = len(head) + len(sep)
    source["exec wrapper"] = len(str(bootstrap.get("script", "")).encode("utf-8"))
    for name, entry in (manifest.get("scripts") or {}).items():
        kind = _kind(name, module_script)
        member = json.dumps({name: entry}, separators=(",", ":"), ensure_ascii=False)
        sent[kind] += len(member.encode("utf-8")) - 2  # without the enclosing braces
        decoded = _script_bytes(entry)
        if decoded is not None:
            source[kind] = (source[kind] or 0) + decoded
    sent["arguments and manifest"] = len(stdin) - sum(sent.values())
    return {kind: Part(sent[kind], source[kind]) for kind in PARTS}


@dataclass(frozen=True)
class EngineRunBytes:
    parts: dict[str, Part]
    stdin: int  # bytes of the engine run's stdin
    command_line: int  # bytes of its command line (the PowerShell -EncodedCommand bootstrap)
    wire_in: int  # HTTP bytes the host received for the run (lab counter)
    wire_out: int  # HTTP bytes it answered
    requests: int  # HTTP requests the run took


def _engine_recording(record_dir: Path) -> tuple[bytes, str]:
    for stdin_path in sorted(record_dir.glob("*.stdin")):
        stdin = stdin_path.read_bytes()
        if ENGINE_SCRIPT.encode() in stdin:
            meta = json.loads(stdin_path.with_suffix(".json").read_text(encoding="utf-8"))
            return stdin, f"{meta['command']} {meta['arguments']}".strip()
    raise RuntimeError(f"no engine run was recorded in {record_dir}")


def measure(run_playbook_into) -> EngineRunBytes:
    """Run bench/engine_run.yml once on a recording one-host lab.

    `run_playbook_into(playbook, inventory, log) -> ok` runs ansible-playbook (the caller's
    runner, so the environment and logging are the benchmark's own).
    """
    with tempfile.TemporaryDirectory(prefix="winra-bench-bytes-") as tmp:
        run_dir, records = Path(tmp) / "lab", Path(tmp) / "records"
        inventory = Path(tmp) / "inventory.ini"
        run_cli(
            run_dir, "start", "--hosts", "1", "--profile", "compliant",
            "--inventory", str(inventory), "--port", "0", "--control-port", "0",
            "--record-dir", str(records),
        )  # fmt: skip
        try:
            client = ControlClient.from_run_dir(run_dir)
            client.reset_counters()
            if not run_playbook_into(PLAYBOOK, inventory, Path(tmp) / "engine_run.log"):
                raise RuntimeError("bench/engine_run.yml failed on the lab")
            (counters,) = client.counters().values()
        finally:
            run_cli(run_dir, "stop")
        runs = counters["module_runs_total"]
        if runs != 1 or counters["check_mode_runs"].get(ENGINE) != 1:
            raise RuntimeError(f"expected exactly one engine run, the lab counted {counters}")
        stdin, command_line = _engine_recording(records)
    return EngineRunBytes(
        parts=payload_parts(stdin),
        stdin=len(stdin),
        command_line=len(command_line.encode("utf-8")),
        wire_in=counters["bytes_in"],
        wire_out=counters["bytes_out"],
        requests=counters["requests"],
    )

"""`python -m winra_lab`: start, inspect and stop a lab from a shell or CI job.

    start --hosts N [--profile P | --mix] [--inventory PATH] [--addressing loopback|ports]
          [--port P] [--control-port P] [--latency none|realistic] [--state-dir D] [--run-dir D]
          [--auth basic|ntlm] [--connection winrm|psrp]
    status | dump HOST [--file 'C:\\...'] | control METHOD PATH [JSON] | stop | serve (foreground)

`start` runs `serve` as a detached process and returns once it answers; the run file
(`<run-dir>/run.json`, default ./.lab) records its pid, control URL and hosts for the
other commands. These commands and their options are a stable interface.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

from winra_lab.client import RUN_FILE, ControlCallError, call_control
from winra_lab.fleet import ADDRESSING, DEFAULT_DOMAIN
from winra_lab.inventory import CONNECTIONS
from winra_lab.lab import Lab
from winra_lab.latency import PRESETS
from winra_lab.wire.auth import AUTH_SCHEMES, DEFAULT_USER

LOG_FILE = "lab.log"
START_TIMEOUT_S = 120


def _add_fleet_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--hosts", type=int, default=3, help="number of hosts (default 3)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--profile", help="one profile for every host (default: fresh)")
    group.add_argument("--mix", action="store_true", help="a varied fleet of profiles")
    parser.add_argument("--inventory", help="inventory to write (.ini, or .yml/.yaml)")
    parser.add_argument(
        "--addressing",
        choices=ADDRESSING,
        default="loopback",
        help="loopback: 127.0.0.2, .3, ... on one port; ports: 127.0.0.1 on "
        "one port per host (default loopback)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=0,
        help="WinRM port (loopback) or first port (ports); 0 = pick free ones",
    )
    parser.add_argument("--control-port", type=int, default=0, help="control API port (0 = free)")
    parser.add_argument("--latency", choices=tuple(PRESETS), default="none")
    parser.add_argument("--state-dir", help="save each host's state here; reloaded on start")
    parser.add_argument("--user", default=DEFAULT_USER)
    parser.add_argument(
        "--auth",
        choices=AUTH_SCHEMES,
        default="basic",
        help="basic: Basic over HTTP; ntlm: NTLM, bare or in SPNEGO (Negotiate), with message "
        "encryption over HTTP (default basic)",
    )
    parser.add_argument(
        "--connection",
        choices=CONNECTIONS,
        default="winrm",
        help="the connection the inventory uses; the hosts serve both (default winrm)",
    )
    parser.add_argument(
        "--password",
        default=os.environ.get("WINRA_LAB_PASSWORD"),
        help="default: $WINRA_LAB_PASSWORD or a generated one",
    )
    parser.add_argument("--domain", default=DEFAULT_DOMAIN, help="DNS suffix of host names")
    parser.add_argument("--record-dir", help="save every command's payload here (fixtures)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m winra_lab", description=__doc__.split("\n")[0])
    parser.add_argument("--run-dir", default=".lab", help="where the run file lives (default .lab)")
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("start", help="start a lab in the background")
    _add_fleet_options(start)
    serve = commands.add_parser("serve", help="run a lab in the foreground")
    _add_fleet_options(serve)
    commands.add_parser("status", help="show the running lab")
    dump = commands.add_parser("dump", help="print one host's state and counters as JSON")
    dump.add_argument("host")
    dump.add_argument(
        "--file", help="write this emulated file's raw bytes to stdout instead (a Windows path)"
    )
    control = commands.add_parser("control", help="call the control API")
    control.add_argument("method", choices=("GET", "POST", "PUT", "DELETE"))
    control.add_argument("path", help="e.g. /hosts/ws001/faults")
    control.add_argument("body", nargs="?", help="JSON body")
    commands.add_parser("stop", help="stop the running lab")
    return parser


def _run_file(args) -> Path:
    return Path(args.run_dir) / RUN_FILE


def _read_run(args) -> dict:
    path = _run_file(args)
    if not path.exists():
        raise SystemExit(f"no lab is running from {args.run_dir} (no {path})")
    return json.loads(path.read_text(encoding="utf-8"))


def _fleet_argv(args) -> list[str]:
    argv = [
        "--hosts",
        str(args.hosts),
        "--addressing",
        args.addressing,
        "--port",
        str(args.port),
        "--control-port",
        str(args.control_port),
        "--latency",
        args.latency,
        "--user",
        args.user,
        "--auth",
        args.auth,
        "--connection",
        args.connection,
        "--domain",
        args.domain,
    ]
    if args.profile:
        argv += ["--profile", args.profile]
    if args.mix:
        argv.append("--mix")
    if args.inventory:
        argv += ["--inventory", str(Path(args.inventory).resolve())]
    if args.state_dir:
        argv += ["--state-dir", str(Path(args.state_dir).resolve())]
    if args.record_dir:
        argv += ["--record-dir", str(Path(args.record_dir).resolve())]
    return argv


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# ------------------------------------------------------------------ commands


def cmd_serve(args) -> int:
    run_dir = Path(args.run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    inventory = args.inventory or run_dir / "inventory.ini"
    lab = Lab(
        hosts=args.hosts,
        profile=args.profile,
        mix=args.mix,
        addressing=args.addressing,
        port=args.port,
        control_port=args.control_port,
        latency=args.latency,
        user=args.user,
        password=args.password,
        inventory_path=inventory,
        state_dir=args.state_dir,
        domain=args.domain,
        record_dir=args.record_dir,
        auth=args.auth,
        connection=args.connection,
    )
    lab.start()

    requested = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: requested.set())
    signal.signal(signal.SIGINT, lambda _signum, _frame: requested.set())
    run_file = run_dir / RUN_FILE
    run_file.write_text(json.dumps({"pid": os.getpid(), **lab.run_info()}, indent=1), "utf-8")
    run_file.chmod(0o600)
    print(
        f"winra lab: {args.hosts} hosts, control API {lab.control_url}, inventory {inventory}",
        flush=True,
    )
    try:
        while not requested.is_set() and not lab.server.wait(0.5):
            pass
        if requested.is_set() and lab.fleet.state_dir:
            lab.fleet.save()
    finally:
        lab.stop()
        if run_file.exists() and json.loads(run_file.read_text()).get("pid") == os.getpid():
            run_file.unlink()
    return 0


def cmd_start(args) -> int:
    run_dir = Path(args.run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    run_file = run_dir / RUN_FILE
    if run_file.exists():
        old = json.loads(run_file.read_text(encoding="utf-8"))
        if _alive(old.get("pid", -1)):
            print(f"a lab is already running (pid {old['pid']}); `stop` it first", file=sys.stderr)
            return 1
        run_file.unlink()
    argv = [
        sys.executable,
        "-m",
        "winra_lab",
        "--run-dir",
        str(run_dir.resolve()),
        "serve",
        *_fleet_argv(args),
    ]
    env = dict(os.environ)
    if args.password:
        env["WINRA_LAB_PASSWORD"] = args.password  # not on the command line (ps would show it)
    with open(run_dir / LOG_FILE, "ab") as log:
        process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True, env=env
        )
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            print((run_dir / LOG_FILE).read_text(errors="replace")[-3000:], file=sys.stderr)
            print(f"the lab exited with code {process.returncode}", file=sys.stderr)
            return 1
        if run_file.exists():
            info = json.loads(run_file.read_text(encoding="utf-8"))
            if info.get("pid") == process.pid:
                call_control(info["control_url"], "GET", "/health", timeout=5)
                print(
                    f"winra lab started: pid {process.pid}, {len(info['hosts'])} hosts, "
                    f"control API {info['control_url']}, inventory {info['inventory']}"
                )
                return 0
        time.sleep(0.1)
    process.terminate()
    print("the lab did not come up in time", file=sys.stderr)
    return 1


def cmd_status(args) -> int:
    info = _read_run(args)
    try:
        hosts = call_control(info["control_url"], "GET", "/hosts", timeout=5)
    except OSError as exc:
        print(f"lab pid {info['pid']} does not answer at {info['control_url']}: {exc}")
        return 1
    print(
        f"winra lab pid {info['pid']}: {len(hosts)} hosts, control API {info['control_url']}, "
        f"inventory {info['inventory']}"
    )
    for host in hosts:
        flag = "" if host["listening"] else "  (refusing connections)"
        print(f"  {host['name']:<24} {host['address']}:{host['port']:<6} {host['profile']}{flag}")
    return 0


def cmd_dump(args) -> int:
    info = _read_run(args)
    if args.file is not None:
        query = urllib.parse.urlencode({"path": args.file})
        answer = call_control(info["control_url"], "GET", f"/hosts/{args.host}/files?{query}")
        if not answer["exists"]:
            print(f"{args.host} has no file '{answer['path']}'", file=sys.stderr)
            return 1
        sys.stdout.buffer.write(base64.b64decode(answer["data"]))
        sys.stdout.buffer.flush()
        return 0
    print(json.dumps(call_control(info["control_url"], "GET", f"/hosts/{args.host}"), indent=2))
    return 0


def cmd_control(args) -> int:
    info = _read_run(args)
    body = json.loads(args.body) if args.body else None
    print(json.dumps(call_control(info["control_url"], args.method, args.path, body), indent=2))
    return 0


def cmd_stop(args) -> int:
    info = _read_run(args)
    pid = info["pid"]
    try:
        call_control(info["control_url"], "POST", "/shutdown", timeout=10)
    except OSError:
        if _alive(pid):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
    _run_file(args).unlink(missing_ok=True)
    print(f"winra lab stopped (pid {pid})")
    return 0


COMMANDS = {
    "serve": cmd_serve,
    "start": cmd_start,
    "status": cmd_status,
    "dump": cmd_dump,
    "control": cmd_control,
    "stop": cmd_stop,
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ControlCallError as exc:
        print(json.dumps(exc.payload, indent=2), file=sys.stderr)
        return 1
    except (ValueError, OSError) as exc:
        print(f"winra lab: {exc}", file=sys.stderr)
        return 1

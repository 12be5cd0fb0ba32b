"""Which emulation answers which module: the lab's whole list of supported modules.

Anything not listed fails as a module would, naming the module; the lab never pretends
to have run PowerShell.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable

from winra_lab.payload import NO_POWERSHELL, Invocation
from winra_lab.windows import engine, reg_stat, regedit

log = logging.getLogger(__name__)

ENGINE = "winra.remote_assistance.win_ra_state"
REGEDIT = "ansible.windows.win_regedit"
REG_STAT = "ansible.windows.win_reg_stat"
PING = "ansible.windows.win_ping"


def _engine(state, invocation: Invocation) -> dict:
    return engine.run_engine(state, invocation.args, invocation.check_mode)


def _regedit(state, invocation: Invocation) -> dict:
    return regedit.run_regedit(state, invocation.args, invocation.check_mode, invocation.diff)


def _reg_stat(state, invocation: Invocation) -> dict:
    return reg_stat.run_reg_stat(state, invocation.args)


def _ping(_state, invocation: Invocation) -> dict:
    data = invocation.args.get("data", "pong")
    if data == "crash":  # as win_ping does: a way to test failure handling
        return {"failed": True, "changed": False, "msg": "boom", "ping": data}
    return {"ping": data, "changed": False}


HANDLERS: dict[str, Callable[[object, Invocation], dict]] = {
    ENGINE: _engine,
    REGEDIT: _regedit,
    REG_STAT: _reg_stat,
    PING: _ping,
}


def canonical_name(module: str) -> str | None:
    """FQCN for a module name as the wire carries it (FQCN, short, or ansible.legacy.*)."""
    if module in HANDLERS:
        return module
    short = module.rsplit(".", 1)[-1]
    if module in (short, f"ansible.legacy.{short}", f"ansible.builtin.{short}"):
        return next((fqcn for fqcn in HANDLERS if fqcn.rsplit(".", 1)[-1] == short), None)
    return None


def run_module(host, invocation: Invocation) -> dict:
    """Run one module invocation against `host` (a LabHost) and return the module result."""
    fqcn = canonical_name(invocation.module)
    host.counters.module_run(fqcn or invocation.module, invocation.check_mode)
    if fqcn is None:
        return {
            "failed": True,
            "changed": False,
            "msg": f"The winra lab does not emulate the module {invocation.module!r}. "
            + NO_POWERSHELL,
        }
    with host.lock:  # one module at a time per host: the state is not thread-safe
        try:
            result = HANDLERS[fqcn](host.state, invocation)
        except Exception as exc:  # a lab bug must reach the user as a module failure
            log.exception("%s failed on %s", fqcn, host.name)
            return {
                "failed": True,
                "changed": False,
                "msg": f"The winra lab's emulation of {fqcn} raised {type(exc).__name__}: {exc}",
                "exception": traceback.format_exc(),
            }
    return result

# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# Documentation only: the implementation is the action plugin
# plugins/action/win_ra_restore.py, which runs the host engine
# winra.remote_assistance.win_ra_state.

DOCUMENTATION = r"""
---
module: win_ra_restore
short_description: Put a host back to the snapshot taken before the rollout
version_added: 1.2.0
description:
  - Reads the host's snapshot, C(<snapshot_dir>/<inventory_hostname>.json), which
    M(winra.remote_assistance.win_remote_assistance), M(winra.remote_assistance.win_offer_ra)
    and M(winra.remote_assistance.win_ra_firewall) write with O(snapshot_dir) before their
    first write to the host, and refuses a snapshot whose SHA-256 does not match.
  - Reads the keys and firewall rules of the snapshot (one engine run) and compares them with
    what the rollout left. A host whose managed state differs (changed since the rollout) is
    reported in RV(changed_since_rollout) and left alone, and the task fails, unless
    O(force=true).
  - Otherwise puts every value of the snapshot back, deletes every value of those keys that the
    snapshot did not have (a restore removes what was added after it), and gives every managed
    firewall rule its prior enabled state and profiles, in one compare-and-swap C(apply); a
    value changed between the read and the write makes the host engine refuse every change.
  - With the Local Group Policy store (C(policy_store=local_gpo)) the rollout also replaced
    C(Registry.pol) and C(gpt.ini). The restore takes the records the rollout added out of the
    C(Registry.pol) the host holds now and puts back the records it removed (every other
    record stays), and raises the machine version in C(gpt.ini) so that Group Policy applies
    the change; both files go first in the same C(apply). A C(Registry.pol) the rollout created
    ends empty (its header only), and C(gpt.ini) is never put back to older bytes. A record the
    rollout wrote that was changed since counts as changed since the rollout.
  - Keys the rollout created stay on the host, empty (the host engine deletes values, never
    keys).
  - A host without a snapshot file (the rollout wrote nothing to it, so it took none) is left
    alone with a warning; a O(snapshot_dir) that does not exist fails the task.
  - The snapshot file is kept; a restore can be repeated.
options:
  snapshot_dir:
    description:
      - The directory the rollout wrote its snapshots to (relative to the directory
        C(ansible-playbook) runs in).
    type: path
    required: true
  force:
    description:
      - Restore a host also when its managed state changed since the rollout, overwriting
        those changes.
    type: bool
    default: false
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Check mode reads the host once, writes nothing and reports every value and rule a restore would change in RV(drift).
  diff_mode:
    support: full
    details: One line per value or rule of the snapshot, now and after the restore.
  platform:
    platforms: windows
seealso:
  - module: winra.remote_assistance.win_remote_assistance
author:
  # validate-modules wants a GitHub handle; the project has none to name yet.
  - winra.remote_assistance maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Put the host back to its state before the rollout
  winra.remote_assistance.win_ra_restore:
    snapshot_dir: winra-snapshots

- name: Show what a restore would change
  winra.remote_assistance.win_ra_restore:
    snapshot_dir: winra-snapshots
  check_mode: true
  diff: true
"""

RETURN = r"""
changed:
  description: Whether the restore changed (or, in check mode, would change) the host.
  returned: always
  type: bool
engine_runs:
  description:
    - Host engine runs over WinRM (C(0) without a usable snapshot, C(1) read, C(2) read and
      apply), one more for each time a locked Local Group Policy file made the task send the
      same engine run again (at most two).
  returned: always
  type: int
drift:
  description:
    - One item per value, rule or C(Registry.pol) record the restore changes,
      C({setting, path, name, expected, actual}) with C(setting) C(restore); C(expected) is the
      snapshot's state, C(null) for a value or record the restore deletes.
  returned: always
  type: list
  elements: dict
changed_since_rollout:
  description:
    - One item per value, rule or C(Registry.pol) record whose state differs from what the
      rollout wrote, C({path, name, expected, actual}) (C(expected) is what the rollout left,
      C(null) for a value that was not there; a record's C(name) is its key and value name).
      Empty when the host is as the rollout left it.
  returned: always
  type: list
  elements: dict
snapshot:
  description: The snapshot used, C(path), C(sha256), C(taken_at); C(null) without one.
  returned: always
  type: dict
diff:
  description: C(before) / C(after) of every value and rule of the snapshot.
  returned: with --diff
  type: dict
error:
  description: The host engine's error kind when the apply failed (for example C(precondition)).
  returned: when the apply failed
  type: str
"""

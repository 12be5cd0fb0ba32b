# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The snapshot options every rollout module takes (plugin_utils._snapshot), documented once."""


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  snapshot_dir:
    description:
      - Directory on the controller for the per-host snapshot, C(<snapshot_dir>/<inventory_hostname>.json).
      - Before the first write to a host, the task saves there what the host held (every key
        it read with all its values, the firewall rules it manages, and with
        C(policy_store=local_gpo) the Local Group Policy files) and what it writes, with the
        time and a SHA-256, from the C(read) it makes anyway (no extra round trip). The file
        is written atomically (temporary file, then rename) and only when the task applies
        changes (never in check mode).
      - M(winra.remote_assistance.win_ra_restore) puts the host back to it.
      - Relative paths are relative to the directory C(ansible-playbook) runs in. Omit for no
        snapshot.
    type: path
  snapshot_overwrite:
    description:
      - Replace a snapshot that is already there. By default the first snapshot is kept, so a
        second rollout does not lose the state from before the first one.
    type: bool
    default: false
"""

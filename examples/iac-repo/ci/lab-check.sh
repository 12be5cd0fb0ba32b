#!/usr/bin/env bash
# CI without Windows: converge lab hosts with this repository's standard, prove that a
# second run changes nothing, and gate on the audit. Works from a fresh shell:
# - with LAB_VENV=<dir>, the lab and Ansible come from that virtual environment, which this
#   script creates when it does not exist yet (python3.11 -m venv, then pip installs the lab
#   from WINRA_LAB_SOURCE, the collection source repository's `lab` folder, and
#   ansible-core and pywinrm);
# - without it, `winra-lab` and `ansible-playbook` must be on PATH (a CI image that has them).
# The collection itself is found as ansible.cfg says (collections/, see README.md).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -n "${LAB_VENV:-}" ]]; then
  if [[ ! -x "$LAB_VENV/bin/winra-lab" ]]; then
    : "${WINRA_LAB_SOURCE:?set WINRA_LAB_SOURCE to the lab folder of the collection source repository}"
    "${PYTHON:-python3.11}" -m venv "$LAB_VENV"
    "$LAB_VENV/bin/pip" install --quiet "$WINRA_LAB_SOURCE" "ansible-core>=2.16" pywinrm
  fi
  export PATH="$LAB_VENV/bin:$PATH"
fi
for tool in winra-lab ansible-playbook; do
  command -v "$tool" >/dev/null || {
    echo "lab-check: $tool not found: set LAB_VENV (and WINRA_LAB_SOURCE), see README.md" >&2
    exit 2
  }
done

run_dir=$(mktemp -d)
trap 'winra-lab --run-dir "$run_dir" stop >/dev/null 2>&1 || true' EXIT

# Domain-joined Windows 10 hosts with nothing configured (see the lab's profiles for others).
winra-lab --run-dir "$run_dir" start --hosts "${LAB_HOSTS:-4}" \
  --profile "${LAB_PROFILE:-fresh}" --inventory "$run_dir/inventory.ini"
# The production inventory supplies the standard (group `windows`); the lab's inventory adds
# its hosts to `windows` with their own connection settings; --limit keeps the run on them.
lab=(-i inventories/production -i "$run_dir/inventory.ini" --limit '*.contoso.test')

ansible-playbook "${lab[@]}" playbooks/remote_assistance.yml
second=$(ansible-playbook "${lab[@]}" playbooks/remote_assistance.yml)
if grep -Eq 'changed=[1-9]' <<<"$second"; then
  echo "the second run changed something: the standard is not idempotent" >&2
  exit 1
fi
ansible-playbook "${lab[@]}" playbooks/remote_assistance_audit.yml \
  -e winra_audit_fail_on_drift=true -e "winra_audit_report_dir=$run_dir/report"
echo "lab check passed"

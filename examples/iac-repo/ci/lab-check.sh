#!/usr/bin/env bash
# CI without Windows: converge lab hosts with this repository's standard, prove that a
# second run changes nothing, and gate on the audit. Needs the collection installed and the
# lab (`pip install ./lab` from the collection's source repository) in the same Python.
set -euo pipefail
cd "$(dirname "$0")/.."
run_dir=$(mktemp -d)
trap 'python -m winra_lab --run-dir "$run_dir" stop >/dev/null 2>&1 || true' EXIT

# Domain-joined Windows 10 hosts with nothing configured (see the lab's profiles for others).
python -m winra_lab --run-dir "$run_dir" start --hosts "${LAB_HOSTS:-4}" \
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

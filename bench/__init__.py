"""The benchmark: the collection against a hand-rolled win_regedit playbook, in the lab."""

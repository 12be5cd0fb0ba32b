"""The Windows side of the lab: what runs behind the listener on an emulated host.

The registry with Windows semantics, the firewall rules, one host's state, the emulations of
the collection's host engine (`win_ra_state`) and of `win_regedit`, and the host profiles the
fleet is seeded from. Nothing here knows about HTTP or WS-Management.
"""

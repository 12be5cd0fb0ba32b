"""winra_lab: emulated Windows hosts that speak WS-Management on loopback.

It implements the written contract of winra.remote_assistance's host engine
(docs/engine-contract.md) in Python. It runs no PowerShell and pretends to run none.
"""

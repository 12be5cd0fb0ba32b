"""The wire side of the lab: what a Windows host's WinRM listener says.

WS-Management messages and faults, WinRS shell semantics, the HTTP face of each host with its
authentication (Basic, NTLM) and message encryption, and the listening server. Nothing here
knows about the registry or the engine: a finished module invocation is handed to
`winra_lab.dispatch`.
"""

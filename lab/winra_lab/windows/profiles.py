"""Seeds for a varied fleet: fresh, compliant, drifted and special-case hosts.

The lab's "standard" is what the demo asks for: domain CONTOSO, helpers
`CONTOSO\\Helpdesk` and `CONTOSO\\Tier2 Support`, permission control, EnableDCOM = Y and
the KB's `legacy` firewall policy lists in the Domain and Standard profiles.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

from winra_lab.windows import group_policy
from winra_lab.windows.files import FileStore
from winra_lab.windows.firewall import builtin_rules
from winra_lab.windows.hoststate import AccountDirectory, HostState, RegistryFaults
from winra_lab.windows.registry import Registry

DOMAIN = "CONTOSO"
DOMAIN_DNS = "contoso.com"  # what Win32_ComputerSystem.Domain reports on a member
TS = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services"
RA_UNSOLICIT = TS + "\\RAUnsolicit"
OLE = "HKLM:\\SOFTWARE\\Microsoft\\Ole"
FIREWALL = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\WindowsFirewall"
FIREWALL_PROFILES = ("DomainProfile", "StandardProfile")

STANDARD_HELPERS = ("CONTOSO\\Helpdesk", "CONTOSO\\Tier2 Support")
# The KB's `legacy` preset, verbatim (the en dash is U+2013).
LEGACY_PORTS = ("135:TCP:*:Enabled:Offer Remote Assistance",)
LEGACY_PROGRAMS = (
    "%WINDIR%\\SYSTEM32\\Sessmgr.exe:*:Enabled:Remote Assistance",
    "%WINDIR%\\PCHealth\\HelpCtr\\Binaries\\Helpsvc.exe:*:Enabled:Offer Remote Assistance",
    "%WINDIR%\\PCHealth\\HelpCtr\\Binaries\\Helpctr.exe:*:Enabled:"
    "Remote Assistance \u2013 Windows Messenger and Voice",
)
OFFER_RA_RULES = (
    "RemoteAssistance-DCOM-In-TCP-NoScope-Active",
    "RemoteAssistance-RAServer-In-TCP-NoScope-Active",
)
# Enabled out of the box on a client with the feature; the Offer RA rules are not.
DEFAULT_ENABLED_RULES = (
    "RemoteAssistance-In-TCP-EdgeScope",
    "RemoteAssistance-In-TCP-EdgeScope-Active",
)

# A domain GPO that enables Offer Remote Assistance with view-only helpers: it fights the
# lab standard's `control` (profile gpo-conflict).
VIEW_ONLY_GPO = "RA Baseline (view only)"
VIEW_ONLY_GPO_ID = (
    "cn={6AC1786C-016F-11D2-945F-00C04FB984F9},cn=policies,cn=system,DC=contoso,DC=com"
)

DOMAIN_SID = "S-1-5-21-1004336348-1177238915-682003330"
DOMAIN_ACCOUNTS = {
    "CONTOSO\\Domain Admins": 512,
    "CONTOSO\\Helpdesk": 1105,
    "CONTOSO\\Tier2 Support": 1106,
    "CONTOSO\\alice": 1107,
    "CONTOSO\\bob": 1108,
    "CONTOSO\\Contractors": 1109,
}


def _dword(data: int) -> dict:
    return {"type": "REG_DWORD", "data": data}


def _sz(data: str) -> dict:
    return {"type": "REG_SZ", "data": data}


def _name_is_data(entries) -> dict:
    return {entry: _sz(entry) for entry in entries}


# ----- operating systems --------------------------------------------------------------------

_OS = {
    "win10": {
        "os_version": "10.0.19045",
        "os_build": 19045,
        "os_name": "Microsoft Windows 10 Enterprise",
        "edition": "Enterprise",
        "product_type": "workstation",
        "ui_culture": "en-US",
    },
    "win11-nb": {
        "os_version": "10.0.22631",
        "os_build": 22631,
        "os_name": "Microsoft Windows 11 Pro",
        "edition": "Professional",
        "product_type": "workstation",
        "ui_culture": "nb-NO",
    },
    "server2022": {
        "os_version": "10.0.20348",
        "os_build": 20348,
        "os_name": "Microsoft Windows Server 2022 Standard",
        "edition": "ServerStandard",
        "product_type": "server",
        "ui_culture": "en-US",
    },
    "server2019": {
        "os_version": "10.0.17763",
        "os_build": 17763,
        "os_name": "Microsoft Windows Server 2019 Standard",
        "edition": "ServerStandard",
        "product_type": "server",
        "ui_culture": "en-US",
    },
}


def _facts(os_key: str, hostname: str, domain_joined: bool) -> dict:
    return {
        **_OS[os_key],
        "domain_joined": domain_joined,
        "domain": DOMAIN_DNS if domain_joined else None,
        "hostname": hostname,
        "ps_version": "5.1",
    }


def _accounts(hostname: str, index: int, domain_joined: bool) -> AccountDirectory:
    # A stable machine SID per host index, so local accounts differ between hosts.
    machine = (
        f"S-1-5-21-{2000000000 + index}-{zlib.crc32(hostname.upper().encode()) % 10**9}-{index}"
    )
    accounts = {
        "BUILTIN\\Administrators": "S-1-5-32-544",
        "BUILTIN\\Remote Desktop Users": "S-1-5-32-555",
        f"{hostname}\\Administrator": f"{machine}-500",
    }
    if domain_joined:
        accounts.update({name: f"{DOMAIN_SID}-{rid}" for name, rid in DOMAIN_ACCOUNTS.items()})
    return AccountDirectory(accounts)


# ----- registry seeds -----------------------------------------------------------------------


def _baseline() -> dict:
    """What every host holds before Remote Assistance is configured."""
    return {
        # Remote Desktop policy values: unrelated, they share the key with the Offer RA policy.
        TS: {
            "fDenyTSConnections": _dword(0),
            "MaxIdleTime": _dword(900000),
            "fPromptForPassword": _dword(1),
        },
        OLE: {
            "EnableDCOM": _sz("Y"),
            "LegacyAuthenticationLevel": _dword(2),
            "LegacyImpersonationLevel": _dword(2),
            "MachineLaunchRestriction": {"type": "REG_BINARY", "data": "010004809c000000"},
        },
        # A domain policy value beside (not inside) the lists the collection manages.
        f"{FIREWALL}\\DomainProfile": {"EnableFirewall": _dword(1)},
    }


def _apply_standard(registry: dict) -> None:
    registry[TS].update(
        fAllowUnsolicited=_dword(1),
        fAllowUnsolicitedFullControl=_dword(1),
    )
    registry[RA_UNSOLICIT] = _name_is_data(STANDARD_HELPERS)
    registry[OLE]["EnableDCOM"] = _sz("Y")
    for profile in FIREWALL_PROFILES:
        base = f"{FIREWALL}\\{profile}"
        registry.setdefault(base, {})
        registry[f"{base}\\GloballyOpenPorts"] = {"Enabled": _dword(1)}
        registry[f"{base}\\GloballyOpenPorts\\List"] = _name_is_data(LEGACY_PORTS)
        registry[f"{base}\\AuthorizedApplications"] = {"Enabled": _dword(1)}
        registry[f"{base}\\AuthorizedApplications\\List"] = _name_is_data(LEGACY_PROGRAMS)


def _standard_local_policy() -> tuple:
    """The standard as the Local Group Policy editor writes it into the machine Registry.pol
    (Offer Remote Assistance enabled with full control and the helper list, then the port
    and program exception lists of both profiles; docs/registry-values.md). Relative to
    HKLM, as in the file; the instruction record's data is one space, as the editor writes."""
    ts = "Software\\Policies\\Microsoft\\Windows NT\\Terminal Services"
    records = [
        (ts, "fAllowUnsolicited", "REG_DWORD", 1),
        (ts, "fAllowUnsolicitedFullControl", "REG_DWORD", 1),
        (ts + "\\RAUnsolicit", "**delvals.", "REG_SZ", " "),
        *((ts + "\\RAUnsolicit", helper, "REG_SZ", helper) for helper in STANDARD_HELPERS),
    ]
    firewall = "Software\\Policies\\Microsoft\\WindowsFirewall"
    for profile in FIREWALL_PROFILES:
        for parent, entries in (
            ("GloballyOpenPorts", LEGACY_PORTS),
            ("AuthorizedApplications", LEGACY_PROGRAMS),
        ):
            base = f"{firewall}\\{profile}\\{parent}"
            records.append((base, "Enabled", "REG_DWORD", 1))
            records += [(base + "\\List", entry, "REG_SZ", entry) for entry in entries]
    return tuple(records)


STANDARD_GPT_INI = (
    b"[General]\r\ngPCMachineExtensionNames=[{35378EAC-683F-11D2-A89A-00C04FBBCFA2}"
    b"{D02B1F72-3407-48AE-BA88-E8213C6761F1}]\r\nVersion=1\r\n"
)


MSRA = "C:\\Windows\\System32\\msra.exe"
MSRA_STAND_IN = b"MZ lab stand-in for msra.exe"


# ----- the profiles -------------------------------------------------------------------------


class _Seed:
    """What a profile changes relative to a fresh Windows 10 domain member."""

    def __init__(self) -> None:
        self.os = "win10"
        self.domain_joined = True
        self.registry = _baseline()
        self.ra_feature = True
        self.enabled_rules = set(DEFAULT_ENABLED_RULES)
        self.gpo_values: list[dict] = []
        # Every Windows client has the Remote Assistance program; a server only with the
        # feature. The lab's copy is a stand-in: only its existence is ever checked.
        self.files: dict[str, bytes] = {MSRA: MSRA_STAND_IN}

    def standard(self) -> _Seed:
        """The standard applied through Local Group Policy, as after a refresh: the live
        values, the policy file, gpt.ini and the lab's record of what was applied. A profile
        that then changes a live value has it changed outside policy."""
        _apply_standard(self.registry)
        self.enabled_rules |= set(OFFER_RA_RULES)
        pol = group_policy.encode_pol(_standard_local_policy())
        self.files[group_policy.MACHINE_POL] = pol
        self.files[group_policy.HISTORY_POL] = pol
        self.files[group_policy.GPT_INI] = STANDARD_GPT_INI
        return self


def _fresh(seed: _Seed) -> None:
    pass


def _compliant(seed: _Seed) -> None:
    seed.standard()


def _drift_permission(seed: _Seed) -> None:
    seed.standard().registry[TS]["fAllowUnsolicitedFullControl"] = _dword(0)


def _drift_helpers(seed: _Seed) -> None:
    seed.standard().registry[RA_UNSOLICIT] = _name_is_data(
        ("CONTOSO\\Helpdesk", "CONTOSO\\Contractors")
    )


def _drift_dcom(seed: _Seed) -> None:
    seed.standard().registry[OLE]["EnableDCOM"] = _sz("N")


def _drift_firewall(seed: _Seed) -> None:
    registry = seed.standard().registry
    ports = registry[f"{FIREWALL}\\DomainProfile\\GloballyOpenPorts\\List"]
    ports["135:TCP"] = _sz("135:TCP:*:Disabled:RA")
    programs = registry[f"{FIREWALL}\\DomainProfile\\AuthorizedApplications\\List"]
    del programs[LEGACY_PROGRAMS[1]]


def _drift_policy_off(seed: _Seed) -> None:
    del seed.standard().registry[TS]["fAllowUnsolicited"]


def _legacy_xp_values(seed: _Seed) -> None:
    registry = seed.standard().registry
    registry[OLE]["EnableDCOM"] = _sz("y")
    for profile in FIREWALL_PROFILES:
        ports = f"{FIREWALL}\\{profile}\\GloballyOpenPorts\\List"
        # Older scripts named port entries `port:protocol` instead of name = data.
        registry[ports] = {":".join(entry.split(":")[:2]): _sz(entry) for entry in LEGACY_PORTS}
    # Someone else's entry that no firewall grammar accepts (protocol XYZ).
    registry[f"{FIREWALL}\\DomainProfile\\GloballyOpenPorts\\List"]["VendorTool"] = _sz(
        "4000:XYZ:*:Enabled:Vendor tool"
    )


def _localized_nb(seed: _Seed) -> None:
    seed.os = "win11-nb"
    seed.enabled_rules = set()


def _server_no_ra(seed: _Seed) -> None:
    seed.os = "server2022"
    seed.ra_feature = False
    seed.enabled_rules = set()
    del seed.files[MSRA]


def _workgroup(seed: _Seed) -> None:
    seed.domain_joined = False


def _server_2019(seed: _Seed) -> None:
    seed.os = "server2019"
    seed.enabled_rules = set()


def _gpo_conflict(seed: _Seed) -> None:
    # The GPO agrees on fAllowUnsolicited and disagrees on the permission; the registry holds
    # its values, as after a Group Policy refresh.
    seed.standard()
    for name, data in (("fAllowUnsolicited", 1), ("fAllowUnsolicitedFullControl", 0)):
        seed.gpo_values.append(
            {
                "path": TS,
                "name": name,
                **_dword(data),
                "gpo": VIEW_ONLY_GPO,
                "gpo_id": VIEW_ONLY_GPO_ID,
            }
        )
        seed.registry[TS][name] = _dword(data)


# Local Group Policy someone set before us: settings of other policies, one of them on the
# Terminal Services key, and gpt.ini with another extension (security settings) listed.
OTHERS_LOCAL_POLICY = (
    ("Software\\Policies\\Microsoft\\Windows\\WindowsUpdate\\AU", "NoAutoUpdate", "REG_DWORD", 0),
    ("Software\\Policies\\Microsoft\\Windows NT\\Terminal Services", "fDisableCdm", "REG_DWORD", 1),
    ("Software\\Policies\\Microsoft\\Windows\\Explorer", "**del.NoNewAppAlert", "REG_SZ", " "),
)
OTHERS_GPT_INI = (
    b"[General]\r\ngPCFunctionalityVersion=2\r\n"
    b"gPCMachineExtensionNames=[{35378EAC-683F-11D2-A89A-00C04FBBCFA2}"
    b"{D02B1F72-3407-48AE-BA88-E8213C6761F1}][{827D319E-6EAC-4AD3-8B8B-1F5B6F4B6BAD}"
    b"{803E14A0-B4FB-11D0-A0D0-00A0C90F574B}]\r\nVersion=65539\r\n"
)


def _local_gpo_others(seed: _Seed) -> None:
    # As after a refresh: the file, the lab's copy of what was applied, and the values.
    pol = group_policy.encode_pol(OTHERS_LOCAL_POLICY)
    seed.files[group_policy.MACHINE_POL] = pol
    seed.files[group_policy.HISTORY_POL] = pol
    seed.files[group_policy.GPT_INI] = OTHERS_GPT_INI
    for key, name, type_name, data in OTHERS_LOCAL_POLICY:
        if not name.startswith("**"):
            seed.registry.setdefault("HKLM:\\" + key, {})[name] = {"type": type_name, "data": data}


_PROFILES: dict[str, tuple[str, Callable[[_Seed], None]]] = {
    "fresh": ("Windows 10 22H2 Enterprise, domain member, nothing of ours configured", _fresh),
    "compliant": ("the lab's standard fully applied", _compliant),
    "drift-permission": ("standard, but helpers may only view", _drift_permission),
    "drift-helpers": (
        "standard, but CONTOSO\\Contractors added and Tier2 Support missing",
        _drift_helpers,
    ),
    "drift-dcom": ("standard, but EnableDCOM = N", _drift_dcom),
    "drift-firewall": (
        "standard, but a Disabled duplicate of port 135 and a program entry missing (DomainProfile)",
        _drift_firewall,
    ),
    "drift-policy-off": ("standard, but fAllowUnsolicited deleted", _drift_policy_off),
    "legacy-xp-values": (
        "standard as XP-era tools wrote it: `135:TCP` entry names, EnableDCOM = y, a malformed foreign entry",
        _legacy_xp_values,
    ),
    "localized-nb": (
        "Windows 11 Pro nb-NO, Norwegian rule names, Remote Assistance rules disabled",
        _localized_nb,
    ),
    "server-no-ra": (
        "Windows Server 2022 Standard without the Remote Assistance feature",
        _server_no_ra,
    ),
    "workgroup": ("Windows 10 in a workgroup: CONTOSO accounts do not resolve", _workgroup),
    "server-2019": (
        "Windows Server 2019 Standard with the Remote Assistance feature",
        _server_2019,
    ),
    "gpo-conflict": (
        f"standard, but the domain GPO '{VIEW_ONLY_GPO}' sets helpers to view only at every refresh",
        _gpo_conflict,
    ),
    "local-gpo-others": (
        "fresh, but the Local Group Policy already holds other settings (Registry.pol, gpt.ini)",
        _local_gpo_others,
    ),
}

PROFILES: dict[str, str] = {name: description for name, (description, _) in _PROFILES.items()}

# The first cycle shows every profile once; later cycles are mostly fresh, compliant and drifted.
_FLEET_PATTERN = (
    *_PROFILES,
    "fresh",
    "compliant",
    "fresh",
    "drift-helpers",
    "compliant",
    "fresh",
    "drift-permission",
    "compliant",
    "fresh",
    "compliant",
)


def fleet_mix(n: int) -> list[str]:
    """Profile names for a varied fleet of n hosts (the same n always gives the same list)."""
    return [_FLEET_PATTERN[i % len(_FLEET_PATTERN)] for i in range(n)]


def build(profile: str, index: int, hostname: str) -> HostState:
    """A new host of the given profile; `index` makes its machine SID unique and stable."""
    if profile not in _PROFILES:
        raise ValueError(f"unknown profile {profile!r}: expected one of {', '.join(_PROFILES)}")
    seed = _Seed()
    _PROFILES[profile][1](seed)
    facts = _facts(seed.os, hostname, seed.domain_joined)
    seed.registry.update(facts_registry(facts))
    return HostState(
        hostname=hostname,
        profile=profile,
        facts=facts,
        accounts=_accounts(hostname, index, seed.domain_joined),
        registry=Registry.from_dump(seed.registry),
        firewall_rules=builtin_rules(facts["ui_culture"], seed.ra_feature, seed.enabled_rules),
        faults=RegistryFaults(),
        gpo_values=[dict(value) for value in seed.gpo_values],
        files=_files(seed.files),
    )


def _files(seeded: dict[str, bytes]) -> FileStore:
    store = FileStore()
    for path, data in seeded.items():
        store.seed(path, data)
    return store


CURRENT_VERSION = "HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion"
PRODUCT_OPTIONS = "HKLM:\\SYSTEM\\CurrentControlSet\\Control\\ProductOptions"
COMPUTER_NAME = "HKLM:\\SYSTEM\\CurrentControlSet\\Control\\ComputerName\\ActiveComputerName"
_PRODUCT_TYPE = {"workstation": "WinNT", "server": "ServerNT", "domain_controller": "LanmanNT"}


def facts_registry(facts: dict) -> dict:
    """Where Windows keeps the facts the controller reads (no WMI query on the host)."""
    return {
        CURRENT_VERSION: {
            "EditionID": _sz(facts["edition"]),
            "ProductName": _sz(facts["os_name"]),
            "CurrentBuild": _sz(str(facts["os_build"])),
        },
        PRODUCT_OPTIONS: {"ProductType": _sz(_PRODUCT_TYPE[facts["product_type"]])},
        COMPUTER_NAME: {"ComputerName": _sz(facts["hostname"])},
    }

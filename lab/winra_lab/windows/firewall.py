"""Built-in Windows Firewall rules as the lab's hosts hold them.

Rules are addressed by Name (the locale-independent ID); the group is the indirect string
`@FirewallAPI.dll,-33002` on every host, while the display name and display group are
translated into the host's UI culture, as on real Windows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

RA_GROUP = "@FirewallAPI.dll,-33002"
PROFILE_ORDER = ("domain", "private", "public")
DEFAULT_CULTURE = "en-US"


def sort_profiles(profiles: list[str]) -> list[str]:
    """Lowercase profile names, deduplicated, in the order domain, private, public."""
    wanted = {p.lower() for p in profiles}
    return [p for p in PROFILE_ORDER if p in wanted]


@dataclass
class FirewallRule:
    name: str
    enabled: bool
    profiles: list[str]
    group: str
    display_name: str
    display_group: str
    # Where the rule comes from (Get-NetFirewallRule -PolicyStore ActiveStore): a local rule
    # is "Local" / "PersistentStore"; a domain GPO's is "GroupPolicy" / the GPO store's name.
    source_type: str = "Local"
    source: str = "PersistentStore"

    def to_json(self) -> dict:
        """The rule as the contract's `read` reports it."""
        return {
            "name": self.name,
            "exists": True,
            "enabled": self.enabled,
            "profiles": sort_profiles(self.profiles),
            "group": self.group,
            "display_name": self.display_name,
            "display_group": self.display_group,
            **(
                {}
                if self.source_type == "Local"
                else {"source_type": self.source_type, "source": self.source}
            ),
        }

    @classmethod
    def from_json(cls, data: dict) -> FirewallRule:
        return cls(
            name=data["name"],
            enabled=bool(data["enabled"]),
            profiles=sort_profiles(list(data.get("profiles", []))),
            group=data["group"],
            display_name=data.get("display_name") or data["name"],
            display_group=data.get("display_group") or "",
            source_type=data.get("source_type", "Local"),
            source=data.get("source", "PersistentStore"),
        )


def missing_rule_json(name: str) -> dict:
    """How `read` reports a rule Name that does not exist on the host."""
    return {
        "name": name,
        "exists": False,
        "enabled": None,
        "profiles": [],
        "group": None,
        "display_name": None,
        "display_group": None,
    }


@dataclass(frozen=True)
class _CatalogRule:
    """A built-in rule; protocol, port and program document which rule it is."""

    name: str
    profiles: tuple[str, ...]
    protocol: str
    local_port: str
    program: str
    display_names: dict = field(hash=False)


_SVCHOST = "%SystemRoot%\\system32\\svchost.exe"

_GROUP_NAMES = {
    RA_GROUP: {"en-US": "Remote Assistance", "nb-NO": "Fjernhjelp", "de-DE": "Remoteunterstützung"},
    "@FirewallAPI.dll,-28752": {
        "en-US": "Remote Desktop",
        "nb-NO": "Eksternt skrivebord",
        "de-DE": "Remotedesktop",
    },
    "@FirewallAPI.dll,-28502": {
        "en-US": "File and Printer Sharing",
        "nb-NO": "Fil- og skriverdeling",
        "de-DE": "Datei- und Druckerfreigabe",
    },
}


def _names(en: str, nb: str, de: str) -> dict:
    return {"en-US": en, "nb-NO": nb, "de-DE": de}


_TCP_IN = _names(
    "Remote Assistance (TCP-In)", "Fjernhjelp (TCP inn)", "Remoteunterstützung (TCP eingehend)"
)

RA_CATALOG = (
    _CatalogRule(
        "RemoteAssistance-DCOM-In-TCP-NoScope-Active", ("domain",), "TCP", "135", _SVCHOST,
        _names("Remote Assistance (DCOM-In)", "Fjernhjelp (DCOM-TCP inn)",
               "Remoteunterstützung (DCOM eingehend)"),
    ),
    _CatalogRule(
        "RemoteAssistance-RAServer-In-TCP-NoScope-Active", ("domain",), "TCP", "Any",
        "%SystemRoot%\\system32\\raserver.exe",
        _names("Remote Assistance (RA Server TCP-In)", "Fjernhjelp (RA-server TCP inn)",
               "Remoteunterstützung (RA-Server TCP eingehend)"),
    ),
    _CatalogRule(
        "RemoteAssistance-In-TCP-EdgeScope", ("private", "public"), "TCP", "Any",
        "%SystemRoot%\\system32\\msra.exe", _TCP_IN,
    ),
    _CatalogRule(
        "RemoteAssistance-In-TCP-EdgeScope-Active", ("domain",), "TCP", "Any",
        "%SystemRoot%\\system32\\msra.exe", _TCP_IN,
    ),
    _CatalogRule(
        "RemoteAssistance-SSDPSrv-In-UDP-Active", ("domain",), "UDP", "1900", _SVCHOST,
        _names("Remote Assistance (SSDP UDP-In)", "Fjernhjelp (SSDP UDP inn)",
               "Remoteunterstützung (SSDP UDP eingehend)"),
    ),
    _CatalogRule(
        "RemoteAssistance-PnrpSvc-UDP-In-EdgeScope", ("private", "public"), "UDP", "3540",
        _SVCHOST,
        _names("Remote Assistance (PNRP-In)", "Fjernhjelp (PNRP inn)",
               "Remoteunterstützung (PNRP eingehend)"),
    ),
)  # fmt: skip

# Rules of other groups: every host has them, so `rule_foreign` has something to refuse.
FOREIGN_CATALOG = (
    (
        "@FirewallAPI.dll,-28752",
        _CatalogRule(
            "RemoteDesktop-UserMode-In-TCP", ("domain", "private", "public"), "TCP", "3389",
            _SVCHOST,
            _names("Remote Desktop - User Mode (TCP-In)",
                   "Eksternt skrivebord - brukermodus (TCP inn)",
                   "Remotedesktop - Benutzermodus (TCP eingehend)"),
        ),
    ),
    (
        "@FirewallAPI.dll,-28502",
        _CatalogRule(
            "FPS-SMB-In-TCP", ("domain",), "TCP", "445", "System",
            _names("File and Printer Sharing (SMB-In)", "Fil- og skriverdeling (SMB inn)",
                   "Datei- und Druckerfreigabe (SMB eingehend)"),
        ),
    ),
)  # fmt: skip


def _localised(table: dict, culture: str) -> str:
    return table.get(culture) or table[DEFAULT_CULTURE]


def _build(entry: _CatalogRule, group: str, culture: str, enabled: bool) -> FirewallRule:
    return FirewallRule(
        name=entry.name,
        enabled=enabled,
        profiles=list(entry.profiles),
        group=group,
        display_name=_localised(entry.display_names, culture),
        display_group=_localised(_GROUP_NAMES[group], culture),
    )


def builtin_rules(culture: str, ra_feature: bool, ra_enabled: set[str]) -> list[FirewallRule]:
    """The host's rules: the Remote Assistance group (if the feature is installed) and others.

    `ra_enabled` names the Remote Assistance rules that are enabled; the others are disabled.
    """
    rules = []
    if ra_feature:
        rules += [_build(e, RA_GROUP, culture, e.name in ra_enabled) for e in RA_CATALOG]
    rules += [_build(entry, group, culture, False) for group, entry in FOREIGN_CATALOG]
    return rules

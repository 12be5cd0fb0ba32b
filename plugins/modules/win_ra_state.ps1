#!powershell

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# The host engine of winra.remote_assistance. It knows registry values, host facts, accounts
# and firewall rules, not Remote Assistance: the controller decides, this script reads and
# applies compare-and-swap changes. The contract is docs/engine-contract.md.

#AnsibleRequires -CSharpUtil Ansible.Basic

$spec = @{
    options = @{
        # A plain string, not choices: an unknown action must be the engine's bad_request.
        action = @{ type = 'str'; required = $true }
        keys = @{ type = 'list'; elements = 'str'; default = @() }
        accounts = @{ type = 'list'; elements = 'str'; default = @() }
        firewall_rules = @{ type = 'list'; elements = 'str'; default = @() }
        policy_sources = @{ type = 'bool'; default = $false }
        changes = @{ type = 'list'; elements = 'dict'; default = @() }
    }
    supports_check_mode = $true
}

$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)

$ContractVersion = 1
# set_rule may only touch the built-in Remote Assistance rule group (locale-independent).
$AllowedRuleGroup = '@FirewallAPI.dll,-33002'
$KindByType = @{
    REG_SZ = 'String'; REG_EXPAND_SZ = 'ExpandString'; REG_DWORD = 'DWord'
    REG_QWORD = 'QWord'; REG_MULTI_SZ = 'MultiString'; REG_BINARY = 'Binary'
}
$ProfileBits = [ordered]@{ domain = 1; private = 2; public = 4 }
# RSOP_RegistryPolicySetting.valueType is the registry's own type number.
$TypeByNumber = @{ 1 = 'REG_SZ'; 2 = 'REG_EXPAND_SZ'; 3 = 'REG_BINARY'; 4 = 'REG_DWORD'; 7 = 'REG_MULTI_SZ'; 11 = 'REG_QWORD' }
$RsopNamespace = 'root/rsop/computer'
$ChangeFields = @{
    set_value = @('op', 'path', 'name', 'type', 'data', 'expect')
    delete_value = @('op', 'path', 'name', 'expect')
    set_rule = @('op', 'name', 'enabled', 'profiles', 'expect')
}
$Hklm = [Microsoft.Win32.Registry]::LocalMachine

function Stop-Engine([string]$Kind, [string]$Message) {
    # The kind travels in Exception.Data so that the main catch can report it as 'error'.
    $exception = [System.InvalidOperationException]::new($Message)
    $exception.Data['engine_error'] = $Kind
    throw $exception
}

function Get-EngineErrorKind($Exception) {
    for ($e = $Exception; $null -ne $e; $e = $e.InnerException) {
        if ($e.Data.Contains('engine_error')) { return $e.Data['engine_error'] }
    }
    return $null
}

function Test-AccessDenied($Exception) {
    # .NET errors reach PowerShell wrapped in MethodInvocationException: look inside.
    for ($e = $Exception; $null -ne $e; $e = $e.InnerException) {
        if ($e -is [System.Security.SecurityException] -or $e -is [System.UnauthorizedAccessException]) { return $true }
    }
    return $false
}

function ConvertTo-KeyPath($Path) {
    $match = [regex]::Match([string]$Path, '^(?:HKLM:\\|HKLM\\|HKEY_LOCAL_MACHINE\\)(.*?)\\?\z', 'IgnoreCase')
    $subKey = $match.Groups[1].Value
    if ($Path -isnot [string] -or -not $match.Success -or $subKey -eq '' -or $subKey.Split('\') -contains '') {
        Stop-Engine 'bad_request' "Invalid key path '$Path': expected HKLM:\<subkey>"
    }
    return [pscustomobject]@{ Path = "HKLM:\$subKey"; SubKey = $subKey }
}

function Open-ReadableKey($KeyPath) {
    try { return $Hklm.OpenSubKey($KeyPath.SubKey, $false) }
    catch {
        if (Test-AccessDenied $_.Exception) { Stop-Engine 'access_denied' "Failed to read key '$($KeyPath.Path)': access denied" }
        throw
    }
}

function ConvertTo-Hex([byte[]]$Bytes) {
    return [BitConverter]::ToString($Bytes).Replace('-', '').ToLowerInvariant()
}

function ConvertFrom-Hex([string]$Hex) {
    $bytes = [byte[]]::new($Hex.Length / 2)
    for ($i = 0; $i -lt $bytes.Length; $i++) { $bytes[$i] = [Convert]::ToByte($Hex.Substring($i * 2, 2), 16) }
    return , $bytes
}

function Read-Value($Key, [string]$StoredName) {
    # Returns a value entry as the contract spells it; DWORD/QWORD reinterpreted as unsigned.
    $kind = [string]$Key.GetValueKind($StoredName)
    $raw = $Key.GetValue($StoredName, $null, [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames)
    $type = 'REG_OTHER'
    $data = $null
    foreach ($candidate in $KindByType.Keys) { if ($KindByType[$candidate] -eq $kind) { $type = $candidate } }
    if ($type -in 'REG_SZ', 'REG_EXPAND_SZ') { $data = [string]$raw }
    elseif ($type -eq 'REG_DWORD') { $data = [BitConverter]::ToUInt32([BitConverter]::GetBytes([int]$raw), 0) }
    elseif ($type -eq 'REG_QWORD') { $data = [BitConverter]::ToUInt64([BitConverter]::GetBytes([long]$raw), 0) }
    elseif ($type -eq 'REG_MULTI_SZ') { $data = [string[]]$raw }
    elseif ($type -eq 'REG_BINARY') { $data = ConvertTo-Hex $raw }
    return [ordered]@{ name = $StoredName; type = $type; data = $data }
}

function Read-NamedValue($KeyPath, [string]$Name) {
    # {present: false} or {present: true, type, data} for one value, matched case-insensitively.
    $key = Open-ReadableKey $KeyPath
    if ($null -eq $key) { return [ordered]@{ present = $false } }
    try {
        foreach ($stored in $key.GetValueNames()) {
            if ($stored -eq $Name) {
                $value = Read-Value $key $stored
                return [ordered]@{ present = $true; type = $value.type; data = $value.data }
            }
        }
        return [ordered]@{ present = $false }
    }
    finally { $key.Dispose() }
}

function Read-KeyEntry($KeyPath) {
    $values = [System.Collections.Generic.List[object]]::new()
    $key = Open-ReadableKey $KeyPath
    if ($null -eq $key) { return [ordered]@{ path = $KeyPath.Path; exists = $false; values = $values } }
    try {
        $names = [System.Collections.Generic.List[string]]::new([string[]]$key.GetValueNames())
        $names.Sort([StringComparer]::OrdinalIgnoreCase)
        foreach ($name in $names) { $values.Add((Read-Value $key $name)) }
    }
    finally { $key.Dispose() }
    return [ordered]@{ path = $KeyPath.Path; exists = $true; values = $values }
}

function Get-HostFacts {
    $os = Get-CimInstance -ClassName Win32_OperatingSystem
    $computer = Get-CimInstance -ClassName Win32_ComputerSystem
    $currentVersion = $Hklm.OpenSubKey('SOFTWARE\Microsoft\Windows NT\CurrentVersion', $false)
    $edition = $null
    if ($null -ne $currentVersion) {
        $edition = $currentVersion.GetValue('EditionID', $null, [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames)
        $currentVersion.Dispose()
    }
    $productTypes = @{ 1 = 'workstation'; 2 = 'domain_controller'; 3 = 'server' }
    $domain = $null
    if ($computer.PartOfDomain) { $domain = [string]$computer.Domain }
    return [ordered]@{
        os_version = [string]$os.Version
        os_build = [int]$os.BuildNumber
        os_name = ([string]$os.Caption).Trim()
        edition = $edition
        product_type = $productTypes[[int]$os.ProductType]
        domain_joined = [bool]$computer.PartOfDomain
        domain = $domain
        hostname = [string]$computer.Name
        ui_culture = [System.Globalization.CultureInfo]::CurrentUICulture.Name
        ps_version = '{0}.{1}' -f $PSVersionTable.PSVersion.Major, $PSVersionTable.PSVersion.Minor
    }
}

function ConvertFrom-PolicyBytes([string]$Type, [byte[]]$Bytes) {
    # RSoP keeps a policy value as the bytes the registry holds; decode to the contract's form.
    if ($Type -in 'REG_SZ', 'REG_EXPAND_SZ') { return [System.Text.Encoding]::Unicode.GetString($Bytes).TrimEnd([char]0) }
    if ($Type -eq 'REG_DWORD') { return [BitConverter]::ToUInt32($Bytes, 0) }
    if ($Type -eq 'REG_QWORD') { return [BitConverter]::ToUInt64($Bytes, 0) }
    if ($Type -eq 'REG_BINARY') { return ConvertTo-Hex $Bytes }
    $text = [System.Text.Encoding]::Unicode.GetString($Bytes).TrimEnd([char]0)
    if ($text -eq '') { return , [string[]]@() }
    return , [string[]]$text.Split([char]0)
}

function Get-PolicySources($KeyPaths) {
    # The values the winning GPO sets (precedence 1) under the keys read: Group Policy writes
    # them again at every refresh. No RSoP data (workgroup, namespace missing, access denied)
    # is not an error: the controller only loses the warning.
    $values = [System.Collections.Generic.List[object]]::new()
    try {
        $settings = @(Get-CimInstance -Namespace $RsopNamespace -ClassName RSOP_RegistryPolicySetting -Filter 'precedence = 1' -ErrorAction Stop)
        $gpoNames = @{}
        foreach ($gpo in @(Get-CimInstance -Namespace $RsopNamespace -ClassName RSOP_GPO -ErrorAction Stop)) { $gpoNames[[string]$gpo.id] = [string]$gpo.name }
    }
    catch { return [ordered]@{ available = $false; values = $values } }
    $seen = [System.Collections.Generic.HashSet[string]]::new([StringComparer]::OrdinalIgnoreCase)
    foreach ($keyPath in $KeyPaths) {
        if (-not $seen.Add($keyPath.SubKey)) { continue }
        $byName = [System.Collections.Generic.Dictionary[string, object]]::new([StringComparer]::OrdinalIgnoreCase)
        foreach ($setting in $settings) {
            $type = $TypeByNumber[[int]$setting.valueType]
            $name = [string]$setting.valueName
            # Deletions (deleted, **del. and **delvals. commands) and key markers set no value.
            if ($setting.deleted -or $name.StartsWith('**') -or $null -eq $type) { continue }
            if (([string]$setting.registryKey).Trim('\') -ne $keyPath.SubKey) { continue }
            $bytes = [byte[]]::new(0)
            if ($null -ne $setting.value) { $bytes = [byte[]]$setting.value }
            $gpoId = [string]$setting.GPOID
            $gpoName = $gpoId
            if ($gpoNames.ContainsKey($gpoId) -and $gpoNames[$gpoId] -ne '') { $gpoName = $gpoNames[$gpoId] }
            # A value whose bytes do not fit its type (a short DWORD) cannot be compared: skip it.
            try { $data = ConvertFrom-PolicyBytes $type $bytes } catch { continue }
            $byName[$name] = [ordered]@{ path = $keyPath.Path; name = $name; type = $type; data = $data; gpo = $gpoName; gpo_id = $gpoId }
        }
        $names = [System.Collections.Generic.List[string]]::new([string[]]$byName.Keys)
        $names.Sort([StringComparer]::OrdinalIgnoreCase)
        foreach ($name in $names) { $values.Add($byName[$name]) }
    }
    return [ordered]@{ available = $true; values = $values }
}

function Resolve-AccountSid([string]$Name) {
    try { return [System.Security.Principal.NTAccount]::new($Name).Translate([System.Security.Principal.SecurityIdentifier]).Value }
    catch { return $null }
}

function Find-Rule([string]$Name) {
    # -Name accepts wildcards: keep only the rule whose Name is exactly the one asked for.
    # Escaped, so a Name holding [ or * is matched as itself, not as a pattern.
    $pattern = [System.Management.Automation.WildcardPattern]::Escape($Name)
    foreach ($rule in @(Get-NetFirewallRule -Name $pattern -ErrorAction SilentlyContinue)) {
        if ($rule.Name -eq $Name) { return $rule }
    }
    return $null
}

function Get-RuleProfiles($Rule) {
    $bits = [int]$Rule.Profile
    if ($bits -eq 0) { $bits = 7 }  # Profile 'Any' means every profile
    $profiles = [System.Collections.Generic.List[string]]::new()
    foreach ($profileName in $ProfileBits.Keys) { if ($bits -band $ProfileBits[$profileName]) { $profiles.Add($profileName) } }
    return , $profiles
}

function Read-RuleEntry([string]$Name) {
    $rule = Find-Rule $Name
    if ($null -eq $rule) {
        return [ordered]@{ name = $Name; exists = $false; enabled = $null; profiles = @(); group = $null; display_name = $null; display_group = $null }
    }
    $group = $null
    if (-not [string]::IsNullOrEmpty($rule.Group)) { $group = [string]$rule.Group }
    return [ordered]@{
        name = $Name; exists = $true; enabled = ([string]$rule.Enabled -eq 'True')
        profiles = (Get-RuleProfiles $rule); group = $group
        display_name = [string]$rule.DisplayName; display_group = [string]$rule.DisplayGroup
    }
}

function Set-RuleState([string]$Name, [bool]$Enabled, $Profiles) {
    $rule = Find-Rule $Name
    if ($null -eq $rule) { throw "firewall rule '$Name' no longer exists" }
    # The Profile enum parses 'domain,private' case-insensitively.
    Set-NetFirewallRule -InputObject $rule -Enabled ([string]$Enabled) -Profile (@($Profiles) -join ',') -ErrorAction Stop
}

function ConvertTo-WholeNumber($Value) {
    # JSON integers arrive as Int32/Int64 (Windows PowerShell), Int64/BigInteger (PowerShell 7) or
    # Decimal beyond Int64; a fraction arrives as a Decimal with a scale, an exponent as Double.
    try {
        if ($Value -is [int] -or $Value -is [long] -or $Value -is [uint32] -or $Value -is [uint64] -or $Value -is [System.Numerics.BigInteger]) {
            return [decimal]$Value
        }
        if ($Value -is [decimal] -and ((([decimal]::GetBits($Value))[3] -shr 16) -band 0xff) -eq 0) { return $Value }
    }
    catch { return $null }
    return $null
}

function ConvertFrom-RequestData([string]$Type, $Data, [string]$Where) {
    # Request JSON to the value the engine compares and writes; anything else is bad_request.
    if ($Type -in 'REG_SZ', 'REG_EXPAND_SZ') { if ($Data -is [string]) { return $Data } }
    elseif ($Type -eq 'REG_BINARY') { if ($Data -is [string] -and $Data -match '^([0-9a-f]{2})*\z') { return $Data.ToLowerInvariant() } }
    elseif ($Type -eq 'REG_MULTI_SZ') {
        if ($Data -is [System.Collections.IList] -and @($Data | Where-Object { $_ -isnot [string] }).Count -eq 0) { return , [string[]]$Data }
    }
    else {
        $number = ConvertTo-WholeNumber $Data
        $max = [decimal][uint64]::MaxValue
        if ($Type -eq 'REG_DWORD') { $max = [decimal][uint32]::MaxValue }
        if ($null -ne $number -and $number -ge 0 -and $number -le $max) {
            if ($Type -eq 'REG_DWORD') { return [uint32]$number }
            return [uint64]$number
        }
    }
    Stop-Engine 'bad_request' "Invalid $Where`: $Type does not accept the data given"
}

function Assert-RegType($Type, [string]$Where) {
    if ($Type -isnot [string] -or $KindByType.Keys -cnotcontains $Type) {
        Stop-Engine 'bad_request' "Invalid $Where`: unknown registry type '$Type'"
    }
}

function ConvertTo-ProfileList($Profiles, [string]$Where) {
    $list = [System.Collections.Generic.List[string]]::new()
    $given = @($Profiles | Where-Object { $_ -is [string] -and $ProfileBits.Keys -ccontains $_ })
    if ($Profiles -isnot [System.Collections.IList] -or $given.Count -eq 0 -or $given.Count -ne @($Profiles).Count) {
        Stop-Engine 'bad_request' "Invalid $Where`: profiles must be a non-empty list of domain, private, public"
    }
    foreach ($profileName in $ProfileBits.Keys) { if ($given -ccontains $profileName) { $list.Add($profileName) } }
    if ($list.Count -ne $given.Count) { Stop-Engine 'bad_request' "Invalid $Where`: profiles repeat an entry" }
    return , $list
}

function Assert-Fields($Object, [string[]]$Fields, [string]$Where) {
    # Exactly these fields: a misspelt field must not silently mean "absent". Request objects
    # are Hashtables or Dictionary[string, object]: both have ContainsKey (the latter has no
    # public Contains).
    if ($Object -isnot [System.Collections.IDictionary]) { Stop-Engine 'bad_request' "Invalid $Where`: expected an object" }
    foreach ($field in $Object.Keys) {
        if ($Fields -cnotcontains $field) { Stop-Engine 'bad_request' "Invalid $Where`: unknown field '$field'" }
    }
    foreach ($field in $Fields) {
        if (-not $Object.ContainsKey($field)) { Stop-Engine 'bad_request' "Invalid $Where`: missing field '$field'" }
    }
}

function ConvertTo-Expect($Expect, [string]$Op, [string]$Where) {
    $Where = "$Where expect"
    if ($Op -eq 'set_rule') {
        Assert-Fields $Expect @('enabled', 'profiles') $Where
        if ($Expect['enabled'] -isnot [bool]) { Stop-Engine 'bad_request' "Invalid $Where`: enabled must be a boolean" }
        return [ordered]@{ enabled = $Expect['enabled']; profiles = (ConvertTo-ProfileList $Expect['profiles'] $Where) }
    }
    $present = $null
    if ($Expect -is [System.Collections.IDictionary] -and $Expect.ContainsKey('present')) { $present = $Expect['present'] }
    if ($present -isnot [bool]) { Stop-Engine 'bad_request' "Invalid $Where`: present must be a boolean" }
    if (-not $present) {
        Assert-Fields $Expect @('present') $Where
        return [ordered]@{ present = $false }
    }
    Assert-Fields $Expect @('present', 'type', 'data') $Where
    Assert-RegType $Expect['type'] $Where
    $data = ConvertFrom-RequestData $Expect['type'] $Expect['data'] $Where
    return [ordered]@{ present = $true; type = $Expect['type']; data = $data }
}

function ConvertTo-Change($Raw, [int]$Index) {
    $where = "change $Index"
    $op = $null
    if ($Raw -is [System.Collections.IDictionary] -and $Raw.ContainsKey('op')) { $op = $Raw['op'] }
    if ($op -isnot [string] -or $ChangeFields.Keys -cnotcontains $op) { Stop-Engine 'bad_request' "Invalid $where`: unknown op '$op'" }
    Assert-Fields $Raw $ChangeFields[$op] "$where ($op)"
    if ($Raw['name'] -isnot [string] -or ($op -eq 'set_rule' -and $Raw['name'] -eq '')) { Stop-Engine 'bad_request' "Invalid $where`: name must be a string" }
    # Target is the state the change writes; Expect the state it must find and, on rollback, restores.
    $change = [ordered]@{ Op = $op; Name = $Raw['name']; Path = 'FirewallRule'; KeyPath = $null; Target = [ordered]@{ present = $false }; Expect = $null }
    if ($op -eq 'set_rule') {
        if ($Raw['enabled'] -isnot [bool]) { Stop-Engine 'bad_request' "Invalid $where`: enabled must be a boolean" }
        $change.Target = [ordered]@{ enabled = $Raw['enabled']; profiles = (ConvertTo-ProfileList $Raw['profiles'] $where) }
    }
    else {
        $change.KeyPath = ConvertTo-KeyPath $Raw['path']
        $change.Path = $change.KeyPath.Path
    }
    if ($op -eq 'set_value') {
        Assert-RegType $Raw['type'] $where
        $data = ConvertFrom-RequestData $Raw['type'] $Raw['data'] $where
        $change.Target = [ordered]@{ present = $true; type = $Raw['type']; data = $data }
    }
    $change.Expect = ConvertTo-Expect $Raw['expect'] $op $where
    return $change
}

function ConvertTo-ChangeList($RawChanges) {
    $changes = [System.Collections.Generic.List[object]]::new()
    $targets = [System.Collections.Generic.HashSet[string]]::new([StringComparer]::OrdinalIgnoreCase)
    foreach ($raw in $RawChanges) {
        $change = ConvertTo-Change $raw $changes.Count
        # Phase 1 checks every expect against the state before any write: one change per target.
        if (-not $targets.Add("$($change.Path)`0$($change.Name)")) {
            Stop-Engine 'bad_request' "Invalid change $($changes.Count): '$($change.Path)' '$($change.Name)' is changed twice"
        }
        $changes.Add($change)
    }
    return , $changes
}

function Get-Fingerprint($State) {
    # One case-sensitive string per state: type, element count and data (NUL cannot occur in data).
    if ($State.Contains('enabled')) { return 'rule#{0}#{1}' -f $State['enabled'], (@($State['profiles']) -join ',') }
    if (-not $State['present']) { return 'absent' }
    $parts = @(foreach ($item in @($State['data'])) { [string]$item })
    return '{0}#{1}#{2}' -f $State['type'], $parts.Count, ($parts -join [char]0)
}

function Get-ActualState($Change) {
    if ($Change.Op -ne 'set_rule') { return Read-NamedValue $Change.KeyPath $Change.Name }
    $rule = Read-RuleEntry $Change.Name
    if (-not $rule.exists) { Stop-Engine 'rule_missing' "Failed to find firewall rule '$($Change.Name)': no rule has that Name; it is never created" }
    if ($rule.group -ne $AllowedRuleGroup) {
        Stop-Engine 'rule_foreign' "Failed to change firewall rule '$($Change.Name)': its group '$($rule.group)' is not $AllowedRuleGroup"
    }
    return [ordered]@{ enabled = $rule.enabled; profiles = $rule.profiles }
}

function Find-Conflicts($Changes) {
    $conflicts = [System.Collections.Generic.List[object]]::new()
    foreach ($change in $Changes) {
        $actual = Get-ActualState $change
        if ((Get-Fingerprint $actual) -cne (Get-Fingerprint $change.Expect)) {
            $conflicts.Add([ordered]@{ path = $change.Path; name = $change.Name; expected = $change.Expect; actual = $actual })
        }
    }
    return , $conflicts
}

function ConvertTo-RegistryObject([string]$Type, $Data) {
    # The registry API stores DWORD/QWORD from signed integers: pass the same bits.
    if ($Type -eq 'REG_DWORD') { return [BitConverter]::ToInt32([BitConverter]::GetBytes([uint32]$Data), 0) }
    if ($Type -eq 'REG_QWORD') { return [BitConverter]::ToInt64([BitConverter]::GetBytes([uint64]$Data), 0) }
    if ($Type -eq 'REG_MULTI_SZ') { return , [string[]]$Data }
    if ($Type -eq 'REG_BINARY') { return , (ConvertFrom-Hex $Data) }
    return [string]$Data
}

function Write-Value($KeyPath, [string]$Name, $Entry, $CreatedKeys) {
    # Sets or deletes one value; creates missing keys one level at a time, recording each.
    $key = $Hklm.OpenSubKey($KeyPath.SubKey, $true)
    if ($null -eq $key -and -not $Entry.present) { return }
    if ($null -eq $key) {
        $segments = $KeyPath.SubKey.Split('\')
        for ($depth = 1; $depth -le $segments.Count; $depth++) {
            $prefix = $segments[0..($depth - 1)] -join '\'
            $existing = $Hklm.OpenSubKey($prefix, $false)
            if ($null -ne $existing) { $existing.Dispose(); continue }
            $Hklm.CreateSubKey($prefix).Dispose()
            $CreatedKeys.Add($prefix)
        }
        $key = $Hklm.OpenSubKey($KeyPath.SubKey, $true)
    }
    try {
        if (-not $Entry.present) { $key.DeleteValue($Name, $false) }
        else {
            $raw = ConvertTo-RegistryObject $Entry.type $Entry.data
            $key.SetValue($Name, $raw, [Microsoft.Win32.RegistryValueKind]$KindByType[$Entry.type])
        }
    }
    finally { $key.Dispose() }
}

function Write-State($Change, $Target, $CreatedKeys) {
    # Target is the state to reach: the change's new state, or its expect when rolling back.
    if ($Change.Op -eq 'set_rule') { Set-RuleState $Change.Name $Target.enabled $Target.profiles; return }
    Write-Value $Change.KeyPath $Change.Name $Target $CreatedKeys
}

function Remove-KeyIfEmpty([string]$SubKey) {
    # Only for keys this run created: a key that now holds anything stays.
    $key = $Hklm.OpenSubKey($SubKey, $false)
    if ($null -eq $key) { return }
    try { $empty = $key.ValueCount -eq 0 -and $key.SubKeyCount -eq 0 }
    finally { $key.Dispose() }
    if ($empty) { $Hklm.DeleteSubKey($SubKey, $false) }
}

function Undo-Writes($Done, $CreatedKeys) {
    $problems = [System.Collections.Generic.List[string]]::new()
    for ($i = $Done.Count - 1; $i -ge 0; $i--) {
        try { Write-State $Done[$i] $Done[$i].Expect ([System.Collections.Generic.List[string]]::new()) }
        catch { $problems.Add("restore $($Done[$i].Path) '$($Done[$i].Name)': $($_.Exception.Message)") }
    }
    for ($i = $CreatedKeys.Count - 1; $i -ge 0; $i--) {
        try { Remove-KeyIfEmpty $CreatedKeys[$i] }
        catch { $problems.Add("remove created key HKLM:\$($CreatedKeys[$i]): $($_.Exception.Message)") }
    }
    return , $problems
}

function Invoke-Writes($Changes) {
    $done = [System.Collections.Generic.List[object]]::new()
    $createdKeys = [System.Collections.Generic.List[string]]::new()
    foreach ($change in $Changes) {
        try { Write-State $change $change.Target $createdKeys }
        catch {
            $reason = $_.Exception.Message
            if (Test-AccessDenied $_.Exception) { $reason = "access denied ($reason)" }
            $what = "change $($done.Count) ($($change.Op) $($change.Path) '$($change.Name)')"
            $problems = Undo-Writes $done $createdKeys
            if ($problems.Count -eq 0) {
                $module.Result['rolled_back'] = $true
                Stop-Engine 'write_failed' "Failed to apply $what`: $reason; every earlier change was rolled back"
            }
            $module.Result['changed'] = $true
            $module.Result['applied'] = $done.Count
            Stop-Engine 'rollback_failed' "Failed to apply $what`: $reason; rollback failed too, the host may be partly changed: $($problems -join '; ')"
        }
        $done.Add($change)
    }
}

function Invoke-ReadAction {
    $module.Result['keys'] = [System.Collections.Generic.List[object]]::new()
    $module.Result['facts'] = $null
    $module.Result['accounts'] = [System.Collections.Generic.List[object]]::new()
    $module.Result['firewall_rules'] = [System.Collections.Generic.List[object]]::new()
    $module.Result['policy_sources'] = [ordered]@{ available = $false; values = @() }
    # Validate every path before reading anything.
    $keyPaths = [System.Collections.Generic.List[object]]::new()
    foreach ($path in $module.Params['keys']) { $keyPaths.Add((ConvertTo-KeyPath $path)) }
    $entries = [System.Collections.Generic.List[object]]::new()
    foreach ($keyPath in $keyPaths) { $entries.Add((Read-KeyEntry $keyPath)) }
    $module.Result['keys'] = $entries
    $module.Result['facts'] = Get-HostFacts
    foreach ($name in $module.Params['accounts']) {
        $module.Result['accounts'].Add([ordered]@{ name = $name; sid = (Resolve-AccountSid $name) })
    }
    foreach ($name in $module.Params['firewall_rules']) { $module.Result['firewall_rules'].Add((Read-RuleEntry $name)) }
    if ($module.Params['policy_sources']) { $module.Result['policy_sources'] = Get-PolicySources $keyPaths }
}

function Invoke-ApplyAction {
    $module.Result['applied'] = 0
    $module.Result['rolled_back'] = $false
    $module.Result['conflicts'] = [System.Collections.Generic.List[object]]::new()
    $changes = ConvertTo-ChangeList $module.Params['changes']
    $conflicts = Find-Conflicts $changes
    if ($conflicts.Count -gt 0) {
        $module.Result['conflicts'] = $conflicts
        $first = $conflicts[0]
        Stop-Engine 'precondition' "Failed to apply changes: '$($first.path)' '$($first.name)' is not as read ($($conflicts.Count) conflict(s)); nothing was written"
    }
    if ($changes.Count -eq 0) { return }
    if (-not $module.CheckMode) {
        Invoke-Writes $changes
        $module.Result['applied'] = $changes.Count
    }
    $module.Result['changed'] = $true
}

$module.Result['contract_version'] = $ContractVersion
try {
    $action = $module.Params['action']
    if ($action -ceq 'read') { Invoke-ReadAction }
    elseif ($action -ceq 'apply') { Invoke-ApplyAction }
    else { Stop-Engine 'bad_request' "Invalid action '$action': expected read or apply" }
}
catch {
    $kind = Get-EngineErrorKind $_.Exception
    if ($null -ne $kind) { $module.Result['error'] = $kind }
    $module.FailJson($_.Exception.Message, $_)
}

$module.ExitJson()

#!powershell
#Requires -Version 5.1

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# The host engine of winra.remote_assistance: reports registry values, account SIDs, firewall
# rules and RSoP rows as the host holds them and applies compare-and-swap changes; decoding,
# sorting and judging are the controller's. Contract: docs/engine-contract.md. No Ansible.Basic
# (Windows PowerShell compiles it with csc.exe on every run): $complex_args in, one JSON result
# out, exit code 1 on failure; '#Requires -Version' makes Ansible wrap it as a new-style module.

$ErrorActionPreference = 'Stop'
$Result = [ordered]@{ changed = $false; contract_version = 2 }
# The data a writable kind takes: strings, a list of strings, or lowercase hex of its bytes.
$KindData = @{ String = '^'; ExpandString = '^'; MultiString = '^'; Binary = '^([0-9a-f]{2})*\z'; DWord = '^[0-9a-f]{8}\z'; QWord = '^[0-9a-f]{16}\z' }
# Every request object, field by field (a change's expect is absent, value or rule).
$Shapes = @{
    read = @{ action = 'string'; keys = 'strings'; accounts = 'strings'; firewall_rules = 'strings'; policy_sources = 'bool' }
    apply = @{ action = 'string'; changes = 'objects' }; absent = @{ present = 'bool' }
    set_value = @{ op = 'string'; path = 'string'; name = 'string'; kind = 'string'; data = 'data'; expect = 'object' }
    delete_value = @{ op = 'string'; path = 'string'; name = 'string'; expect = 'object' }
    set_rule = @{ op = 'string'; name = 'string'; enabled = 'bool'; profile = 'string'; expect = 'object' }
    value = @{ present = 'bool'; kind = 'string'; data = 'data' }; rule = @{ present = 'bool'; enabled = 'string'; profile = 'string'; group = 'string' }
}
# The 64-bit view whatever the endpoint's bitness: a 32-bit process would see WOW6432Node.
$Hklm = [Microsoft.Win32.RegistryKey]::OpenBaseKey('LocalMachine', 'Registry64')

function Stop-Engine([string]$Kind, [string]$Message) { $e = [System.InvalidOperationException]::new($Message); $e.Data['engine_error'] = $Kind; throw $e }

function ConvertFrom-JsonElement($Element) {
    # System.Text.Json keeps strings as they are (ConvertFrom-Json on PowerShell 7 makes
    # ISO-8601 text a DateTime). No field takes a number: integers travel as hex.
    $kind = [string]$Element.ValueKind
    $object = [System.Collections.Generic.Dictionary[string, object]]::new()
    if ($kind -eq 'Object') { foreach ($property in $Element.EnumerateObject()) { $object[$property.Name] = ConvertFrom-JsonElement $property.Value }; return , $object }
    if ($kind -eq 'Array') { return , [object[]]@(foreach ($item in $Element.EnumerateArray()) { , (ConvertFrom-JsonElement $item) }) }
    if ($kind -eq 'String') { return $Element.GetString() }
    if ($kind -in 'True', 'False', 'Null') { return @{ True = $true; False = $false; Null = $null }[$kind] }
    return [decimal]::Parse($Element.GetRawText(), [System.Globalization.CultureInfo]::InvariantCulture)
}

function Read-Request {
    # One option, 'request': base64 of UTF-8 JSON, so that no wrapper reinterprets a string.
    $unknown = @($complex_args.Keys | Where-Object { $_ -cne 'request' -and -not $_.StartsWith('_ansible_') })
    if ($unknown.Count -gt 0 -or $complex_args['request'] -isnot [string]) { Stop-Engine 'bad_request' "Invalid module arguments: only 'request', a base64 string" }
    try {
        $json = [System.Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($complex_args['request']))
        if ($PSVersionTable.PSVersion.Major -ge 6) { Add-Type -AssemblyName System.Text.Json; return , (ConvertFrom-JsonElement ([System.Text.Json.JsonDocument]::Parse($json).RootElement)) }
        Add-Type -AssemblyName System.Web.Extensions
        $serializer = [System.Web.Script.Serialization.JavaScriptSerializer]::new()
        $serializer.MaxJsonLength = [int]::MaxValue
        return , $serializer.DeserializeObject($json)
    }
    catch { Stop-Engine 'bad_request' "Invalid request: not base64 of a JSON document ($($_.Exception.Message))" }
}

function Assert-Shape($Object, [string]$Shape, [string]$Where) {
    # Exactly the fields of the shape, each of its JSON type: a misspelt field is not "absent".
    $fields = $Shapes[$Shape]
    if ($Object -isnot [System.Collections.Generic.IDictionary[string, object]] -or $Object.Count -ne $fields.Count) { Stop-Engine 'bad_request' "Invalid $Where`: expected an object with exactly $(@($fields.Keys) -join ', ')" }
    foreach ($field in $fields.Keys) {
        if (-not $Object.ContainsKey($field)) { Stop-Engine 'bad_request' "Invalid $Where`: '$field' is missing" }
        $value = $Object[$field]
        $strings = $value -is [object[]] -and @($value | Where-Object { $_ -isnot [string] }).Count -eq 0
        $ok = switch ($fields[$field]) {
            'string' { $value -is [string] } 'bool' { $value -is [bool] } 'strings' { $strings }
            'object' { $value -is [System.Collections.Generic.IDictionary[string, object]] }
            'objects' { $value -is [object[]] } 'data' { $value -is [string] -or $strings }
        }
        if (-not $ok) { Stop-Engine 'bad_request' "Invalid $Where`: '$field' must be $($fields[$field])" }
    }
}

function Get-SubKey([string]$Path, [string]$Where) {
    # Paths arrive normalised (the controller's job): exactly HKLM:\ and non-empty key names.
    if ($Path -cnotmatch '^HKLM:\\([^\\]+\\)*[^\\]+\z') { Stop-Engine 'bad_request' "Invalid $Where`: '$Path' is not a key path HKLM:\<subkey>" }
    return $Path.Substring(6)
}

function Open-Key([string]$SubKey, [bool]$Writable) {
    try { return $Hklm.OpenSubKey($SubKey, $Writable) }
    catch [System.Security.SecurityException], [System.UnauthorizedAccessException] { Stop-Engine 'access_denied' "Failed to open key 'HKLM:\$SubKey': access is denied" }
}

function ConvertTo-Hex([byte[]]$Bytes) { if ($null -eq $Bytes) { return '' } else { return [BitConverter]::ToString($Bytes).Replace('-', '').ToLowerInvariant() } }

function Read-Value($Key, [string]$Name) {
    # As .NET returns it, numbers as their little-endian bytes (a DWORD stored in 8 bytes comes
    # back as an Int64). Assigned, not piped: a pipeline would unroll a one-element MULTI_SZ.
    $kind = [string]$Key.GetValueKind($Name)
    $raw = $Key.GetValue($Name, $null, 'DoNotExpandEnvironmentNames')
    if ($raw -is [string] -or $raw -is [string[]]) { $data = $raw }
    elseif ($null -eq $raw) { $data = '' }
    elseif ($raw -is [byte[]]) { $data = ConvertTo-Hex $raw }
    else { $data = ConvertTo-Hex ([BitConverter]::GetBytes($raw)) }
    return [ordered]@{ present = $true; kind = $kind; data = $data }
}

function Read-Key([string]$Path, [string]$SubKey) {
    $key = Open-Key $SubKey $false
    if ($null -eq $key) { return [ordered]@{ path = $Path; exists = $false; values = @() } }
    try { return [ordered]@{ path = $Path; exists = $true; values = @(foreach ($name in $key.GetValueNames()) { $value = Read-Value $key $name; [ordered]@{ name = $name; kind = $value.kind; data = $value.data } }) } }
    finally { $key.Dispose() }
}

function Get-Rules([string[]]$Names, [string]$Store) {
    # One query for all Names (escaped: -Name takes wildcards). Only "no such rule" is absence.
    $patterns = @($Names | ForEach-Object { [System.Management.Automation.WildcardPattern]::Escape($_) }); $rules = @()
    try { $rules = @(Get-NetFirewallRule -Name $patterns -PolicyStore $Store -ErrorAction SilentlyContinue -ErrorVariable failures) }
    catch { $failures = @($_) }  # terminating: the provider or the service is not there
    $real = @($failures | Where-Object { [string]$_.CategoryInfo.Category -ne 'ObjectNotFound' })
    if ($real.Count -gt 0) { Stop-Engine 'query_failed' "Failed to read firewall rules ($Store): $($real[0].Exception.Message)" }
    return , @(foreach ($rule in $rules) {
            [ordered]@{ name = [string]$rule.Name; enabled = [string]$rule.Enabled; profile = [string]$rule.Profile; group = [string]$rule.Group
                display_name = [string]$rule.DisplayName; display_group = [string]$rule.DisplayGroup; source_type = [string]$rule.PolicyStoreSourceType; source = [string]$rule.PolicyStoreSource }
        })
}

function Get-AccountSids([string[]]$Names) {
    # One LSA call for all names; forceSuccess $false leaves an unknown name untranslated,
    # while an LSA failure throws: that is an error, never "unknown account".
    $references = [System.Security.Principal.IdentityReferenceCollection]::new()
    foreach ($name in $Names) { $references.Add([System.Security.Principal.NTAccount]::new($name)) }
    try { $mapped = $references.Translate([System.Security.Principal.SecurityIdentifier], $false) }
    catch { Stop-Engine 'query_failed' "Failed to resolve accounts: $($_.Exception.Message)" }
    return , @(for ($i = 0; $i -lt $Names.Count; $i++) { [ordered]@{ name = $Names[$i]; sid = $(if ($mapped[$i] -is [System.Security.Principal.SecurityIdentifier]) { $mapped[$i].Value }) } })
}

function Get-PolicyRows([string[]]$SubKeys) {
    # The winning rows of the keys asked for, as RSoP holds them (bytes, deletions, GPO ids).
    $filter = @($SubKeys | ForEach-Object { "registryKey = '$($_.Replace('\', '\\').Replace("'", "\'"))'" }) -join ' OR '
    try {
        $rows = @(Get-CimInstance -Namespace 'root/rsop/computer' -Query "SELECT * FROM RSOP_RegistryPolicySetting WHERE precedence = 1 AND ($filter)")
        $gpoNames = @{}; foreach ($gpo in @(Get-CimInstance -Namespace 'root/rsop/computer' -ClassName RSOP_GPO)) { $gpoNames[[string]$gpo.id] = [string]$gpo.name }
    }
    catch { return [ordered]@{ available = $false; reason = $_.Exception.Message; settings = @() } }
    $settings = @(foreach ($row in $rows) {
            [ordered]@{ key = [string]$row.registryKey; name = [string]$row.valueName; value_type = [string]$row.valueType; value = (ConvertTo-Hex $row.value)
                deleted = [bool]$row.deleted; gpo_id = [string]$row.GPOID; gpo = $gpoNames[[string]$row.GPOID] }
        })
    return [ordered]@{ available = $true; reason = $null; settings = $settings }
}

function Invoke-Read($Request) {
    Assert-Shape $Request 'read' 'read request'
    $subKeys = @(foreach ($path in $Request['keys']) { Get-SubKey $path 'keys' })
    $Result['keys'] = @(for ($i = 0; $i -lt $subKeys.Count; $i++) { Read-Key $Request['keys'][$i] $subKeys[$i] })
    $Result['accounts'] = if ($Request['accounts'].Count -gt 0) { Get-AccountSids $Request['accounts'] } else { @() }
    $Result['firewall_rules'] = if ($Request['firewall_rules'].Count -gt 0) { Get-Rules $Request['firewall_rules'] 'ActiveStore' } else { @() }
    $Result['policy_sources'] = [ordered]@{ available = $false; reason = 'not requested'; settings = @() }
    if ($Request['policy_sources'] -and $subKeys.Count -gt 0) { $Result['policy_sources'] = Get-PolicyRows $subKeys }
}

function ConvertTo-Change($Raw, [int]$Index) {
    $where = "change $Index"
    $op = if ($Raw -is [System.Collections.Generic.IDictionary[string, object]]) { $Raw['op'] }
    if (@('set_value', 'delete_value', 'set_rule') -cnotcontains $op) { Stop-Engine 'bad_request' "Invalid $where`: unknown op '$op'" }
    Assert-Shape $Raw $op $where
    $expect = $Raw['expect']
    $expectShape = if ($op -eq 'set_rule') { 'rule' } elseif ($expect['present'] -eq $false) { 'absent' } else { 'value' }
    Assert-Shape $expect $expectShape "$where expect"
    if ($expectShape -ne 'absent' -and -not $expect['present']) { Stop-Engine 'bad_request' "Invalid $where expect: present must be true with $expectShape fields" }
    $change = @{ Op = $op; Name = $Raw['name']; SubKey = $null; Target = @{ present = $false }; Expect = $expect }
    if ($op -eq 'set_rule') {
        # Profile as the NetSecurity enum prints it ('Domain, Private', 'Any'), as read.
        if ($Raw['name'] -eq '' -or $Raw['profile'] -cnotmatch '^(Any|(Domain|Private|Public)(, (Private|Public))*)\z') { Stop-Engine 'bad_request' "Invalid $where`: a rule Name and a profile such as 'Domain, Private' or 'Any'" }
        $change.Target = @{ present = $true; enabled = [string]$Raw['enabled']; profile = $Raw['profile']; group = $expect['group'] }
        return $change
    }
    $change.SubKey = Get-SubKey $Raw['path'] "$where path"
    if ($op -eq 'set_value') {
        $kind = $Raw['kind']
        if ($KindData.Keys -cnotcontains $kind -or (($Raw['data'] -is [object[]]) -xor ($kind -ceq 'MultiString')) -or ($Raw['data'] -is [string] -and $Raw['data'] -cnotmatch $KindData[$kind])) { Stop-Engine 'bad_request' "Invalid $where`: kind '$kind' does not take the data given" }
        $change.Target = @{ present = $true; kind = $kind; data = $Raw['data'] }
    }
    return $change
}

function Get-State($Change) {
    if ($Change.Op -ne 'set_rule') {
        # By exact name: GetValueKind throws IOException only when the value does not exist.
        $key = Open-Key $Change.SubKey $false
        if ($null -eq $key) { return [ordered]@{ present = $false } }
        try { return Read-Value $key $Change.Name } catch [System.IO.IOException] { return [ordered]@{ present = $false } } finally { $key.Dispose() }
    }
    # The local store is the one written; a rule only a GPO delivers is absent here.
    $rule = Get-Rules @($Change.Name) 'PersistentStore'
    if ($rule.Count -eq 0) { return [ordered]@{ present = $false } }
    return [ordered]@{ present = $true; enabled = $rule[0].enabled; profile = $rule[0].profile; group = $rule[0].group }
}

function Test-Same($A, $B) {
    # Ordinal, element by element: -eq and -ceq compare by culture, which ignores NULs and
    # soft hyphens on .NET 5+, and a joined list cannot tell ["ab","c"] from ["a","bc"].
    if ($null -eq $A -or $null -eq $B) { return $null -eq $A -and $null -eq $B }
    if ($A -is [array] -or $B -is [array]) {
        if (-not ($A -is [array] -and $B -is [array] -and $A.Count -eq $B.Count)) { return $false }
        return @(for ($i = 0; $i -lt $A.Count; $i++) { if (-not (Test-Same $A[$i] $B[$i])) { $i } }).Count -eq 0
    }
    if ($A -is [bool] -or $B -is [bool]) { return $A -is [bool] -and $B -is [bool] -and $A.Equals($B) }
    return [string]::Equals([string]$A, [string]$B, [System.StringComparison]::Ordinal)
}

function Test-State($Actual, $Wanted) {
    foreach ($field in 'present', 'kind', 'data', 'enabled', 'profile', 'group') { if (-not (Test-Same $Actual[$field] $Wanted[$field])) { return $false } }
    return $true
}

function Write-State($Change, $State, $CreatedKeys) {
    $escaped = [System.Management.Automation.WildcardPattern]::Escape($Change.Name)
    if ($Change.Op -eq 'set_rule') { Set-NetFirewallRule -Name $escaped -PolicyStore PersistentStore -Enabled $State.enabled -Profile $State.profile; return }
    $key = Open-Key $Change.SubKey $true
    if ($null -eq $key -and -not $State.present) { return }
    if ($null -eq $key) {
        # One level at a time, recorded, so that a rollback removes exactly the keys it made.
        $segments = $Change.SubKey.Split('\')
        foreach ($prefix in @(for ($depth = 1; $depth -le $segments.Count; $depth++) { $segments[0..($depth - 1)] -join '\' })) {
            $existing = Open-Key $prefix $false
            if ($null -ne $existing) { $existing.Dispose() } else { $Hklm.CreateSubKey($prefix).Dispose(); $CreatedKeys.Add($prefix) }
        }
        $key = Open-Key $Change.SubKey $true
    }
    try {
        if (-not $State.present) { $key.DeleteValue($Change.Name, $false); return }
        $data = $State.data
        if ($State.kind -in 'DWord', 'QWord', 'Binary', 'None') {
            $data = [byte[]]@(for ($i = 0; $i -lt $State.data.Length; $i += 2) { [Convert]::ToByte($State.data.Substring($i, 2), 16) })
            # .NET writes a DWORD/QWORD only from an Int32/Int64: a malformed one cannot be restored.
            if (@{ DWord = 4; QWord = 8 }[$State.kind] -notin $null, $data.Length) { throw "a $($State.kind) of $($data.Length) bytes cannot be written" }
            if ($State.kind -eq 'DWord') { $data = [BitConverter]::ToInt32($data, 0) } elseif ($State.kind -eq 'QWord') { $data = [BitConverter]::ToInt64($data, 0) }
        }
        elseif ($State.kind -eq 'MultiString') { $data = [string[]]$data }
        $key.SetValue($Change.Name, $data, [Microsoft.Win32.RegistryValueKind]$State.kind)
    }
    finally { $key.Dispose() }
}

function Undo-Writes($Done, $CreatedKeys) {
    # Rollback is compare-and-swap too: restore only what still holds what this run wrote.
    $problems = [System.Collections.Generic.List[string]]::new()
    for ($i = $Done.Count - 1; $i -ge 0; $i--) {
        $change = $Done[$i]
        try {
            if (Test-State (Get-State $change) $change.Target) { Write-State $change $change.Expect ([System.Collections.Generic.List[string]]::new()) }
            else { $problems.Add("'$($change.Name)' ($($change.SubKey)) was changed by someone else after this run wrote it; left as found") }
        }
        catch { $problems.Add("restoring '$($change.Name)' ($($change.SubKey)) failed: $($_.Exception.Message)") }
    }
    for ($i = $CreatedKeys.Count - 1; $i -ge 0; $i--) {
        # Only while empty: someone else may have written into a key this run created.
        $key = $Hklm.OpenSubKey($CreatedKeys[$i], $false)
        if ($null -ne $key -and $key.ValueCount + $key.SubKeyCount -eq 0) { $key.Dispose(); $Hklm.DeleteSubKey($CreatedKeys[$i], $false) } elseif ($key) { $key.Dispose() }
    }
    return , $problems
}

function Invoke-Apply($Request) {
    Assert-Shape $Request 'apply' 'apply request'
    $Result['applied'] = 0; $Result['rolled_back'] = $false; $Result['conflicts'] = @()
    $changes = @(for ($i = 0; $i -lt $Request['changes'].Count; $i++) { ConvertTo-Change $Request['changes'][$i] $i })
    $targets = [System.Collections.Generic.HashSet[string]]::new([StringComparer]::OrdinalIgnoreCase)
    foreach ($change in $changes) { if (-not $targets.Add("$($change.Op -eq 'set_rule')`0$($change.SubKey)`0$($change.Name)")) { Stop-Engine 'bad_request' "Invalid changes: '$($change.Name)' is changed twice" } }
    # Phase 1: every expect against the host as it is, before any write.
    $Result['conflicts'] = @(for ($i = 0; $i -lt $changes.Count; $i++) { $actual = Get-State $changes[$i]; if (-not (Test-State $actual $changes[$i].Expect)) { [ordered]@{ index = $i; actual = $actual } } })
    if ($Result['conflicts'].Count -gt 0) { Stop-Engine 'precondition' "Failed to apply: '$($changes[$Result['conflicts'][0].index].Name)' is not as read; nothing was written" }
    $Result['changed'] = $changes.Count -gt 0
    if ($complex_args['_ansible_check_mode'] -eq $true) { return }
    # Phase 2: in order; a failure undoes what this run did, in reverse.
    $done = [System.Collections.Generic.List[object]]::new(); $createdKeys = [System.Collections.Generic.List[string]]::new()
    foreach ($change in $changes) {
        try { Write-State $change $change.Target $createdKeys; $done.Add($change) }
        catch {
            $what = "Failed to apply change $($done.Count) ($($change.Op) '$($change.Name)'): $($_.Exception.Message)"
            $problems = Undo-Writes $done $createdKeys
            $Result['changed'] = $problems.Count -gt 0; $Result['rolled_back'] = $problems.Count -eq 0; $Result['applied'] = $done.Count * [int]($problems.Count -gt 0)
            if ($problems.Count -eq 0) { Stop-Engine 'write_failed' "$what; every earlier change was rolled back" }
            Stop-Engine 'rollback_failed' "$what; the host may be partly changed: $($problems -join '; ')"
        }
    }
    $Result['applied'] = $done.Count
}

$exitCode = 0
try {
    $request = Read-Request
    $action = if ($request -is [System.Collections.Generic.IDictionary[string, object]]) { $request['action'] }
    if ($action -ceq 'read') { Invoke-Read $request }
    elseif ($action -ceq 'apply') { Invoke-Apply $request }
    else { Stop-Engine 'bad_request' "Invalid action '$action': expected read or apply" }
}
catch {
    # A failed read reports no partial state; an unexpected host error has the kind host_error.
    foreach ($partial in 'keys', 'accounts', 'firewall_rules', 'policy_sources') { $Result.Remove($partial) }
    $Result['failed'] = $true; $Result['msg'] = $_.Exception.Message; $Result['error'] = $_.Exception.Data['engine_error']
    if (-not $Result['error']) { $Result['error'] = 'host_error' }
    $exitCode = 1
}
# As Ansible.Basic does: the wrapper captures Console.Out, and 'exit' ends the runspace.
[Console]::Out.WriteLine((ConvertTo-Json -InputObject $Result -Depth 20 -Compress))
$global:LASTEXITCODE = $exitCode
exit $exitCode

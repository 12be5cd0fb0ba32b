#!powershell
#Requires -Version 5.1

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# The host engine of winra.remote_assistance (contract: docs/engine-contract.md): reports registry values, account SIDs,
# firewall rules, RSoP rows, files and whether files exist as the host holds them and applies compare-and-swap changes; it decides nothing.
# No Ansible.Basic (Windows PowerShell compiles it with csc.exe on every run): $complex_args in, one JSON result out,
# exit code 1 on failure; '#Requires -Version' makes Ansible wrap it as a new-style module.
$ErrorActionPreference = 'Stop'
$Result = [ordered]@{ changed = $false; contract_version = 2 }
# The data a writable kind takes: strings, a list of strings, or lowercase hex of its bytes.
$KindData = @{ String = '^'; ExpandString = '^'; MultiString = '^'; Binary = '^([0-9a-f]{2})*\z'; DWord = '^[0-9a-f]{8}\z'; QWord = '^[0-9a-f]{16}\z' }
# Every request object, field by field; a change's expect is absent or the shape its op reads.
$Shapes = @{
    read = @{ action = 'string'; keys = 'strings'; accounts = 'strings'; firewall_rules = 'strings'; policy_sources = 'bool'; files = 'strings'; exists = 'strings' }
    apply = @{ action = 'string'; changes = 'objects' }; absent = @{ present = 'false' }
    set_value = @{ op = 'string'; path = 'string'; name = 'string'; kind = 'string'; data = 'data'; expect = 'object' }
    delete_value = @{ op = 'string'; path = 'string'; name = 'string'; expect = 'object' }
    set_rule = @{ op = 'string'; name = 'string'; enabled = 'bool'; profile = 'string'; expect = 'object' }
    replace_file = @{ op = 'string'; path = 'string'; data = 'string'; expect = 'object' }; file = @{ present = 'true'; sha256 = 'sha256' }
    value = @{ present = 'true'; kind = 'string'; data = 'data' }; rule = @{ present = 'true'; enabled = 'string'; profile = 'string'; group = 'string' }
}
$ExpectShapes = @{ set_value = 'value'; delete_value = 'value'; set_rule = 'rule'; replace_file = 'file' }
$Blobs = @{}  # file contents by SHA-256: a rollback writes back the bytes whose hash phase 1 saw
$Hklm = [Microsoft.Win32.RegistryKey]::OpenBaseKey('LocalMachine', 'Registry64')  # The 64-bit view whatever the endpoint's bitness: a 32-bit process would see WOW6432Node.

function Stop-Engine([string]$Kind, [string]$Message) { $e = [System.InvalidOperationException]::new($Message); $e.Data['engine_error'] = $Kind; throw $e }
function ConvertTo-Hex([byte[]]$Bytes) { if ($null -eq $Bytes) { return '' } else { return [BitConverter]::ToString($Bytes).Replace('-', '').ToLowerInvariant() } }
function ConvertFrom-JsonElement($Element) {
    # System.Text.Json keeps strings as they are (ConvertFrom-Json on PowerShell 7 makes ISO-8601 text a DateTime). No field takes a number: integers travel as hex.
    $kind = [string]$Element.ValueKind
    if ($kind -eq 'Object') { $object = [System.Collections.Generic.Dictionary[string, object]]::new(); foreach ($property in $Element.EnumerateObject()) { $object[$property.Name] = ConvertFrom-JsonElement $property.Value }; return , $object }
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
        $serializer = [System.Web.Script.Serialization.JavaScriptSerializer]::new(); $serializer.MaxJsonLength = [int]::MaxValue
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
            'true' { $value -is [bool] -and $value } 'false' { $value -is [bool] -and -not $value } 'sha256' { $value -is [string] -and $value -cmatch '^[0-9a-f]{64}\z' }
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
function Read-Value($Key, [string]$Name) {
    # As .NET returns it, numbers as their little-endian bytes (a DWORD stored in 8 bytes comes back as an Int64). Assigned, not piped: a pipeline would unroll a one-element MULTI_SZ.
    $kind = [string]$Key.GetValueKind($Name)
    $raw = $Key.GetValue($Name, $null, 'DoNotExpandEnvironmentNames')
    if ($raw -is [string] -or $raw -is [string[]]) { $data = $raw }
    elseif ($null -eq $raw -or $raw -is [byte[]]) { $data = ConvertTo-Hex $raw }
    else { $data = ConvertTo-Hex ([BitConverter]::GetBytes($raw)) }
    return [ordered]@{ present = $true; kind = $kind; data = $data }
}
function Read-Key([string]$Path, [string]$SubKey) {
    $key = Open-Key $SubKey $false
    if ($null -eq $key) { return [ordered]@{ path = $Path; exists = $false; values = @() } }
    try { return [ordered]@{ path = $Path; exists = $true; values = @(foreach ($name in $key.GetValueNames()) { $value = Read-Value $key $name; [ordered]@{ name = $name; kind = $value.kind; data = $value.data } }) } }
    finally { $key.Dispose() }
}
function Get-FilePath([string]$Path, [string]$Where) {
    $full = ($Path -ireplace '%(SystemRoot|windir)%', $env:SystemRoot).Replace('/', '\')  # These two variables only (both name the Windows folder); relative paths are refused.
    if ($full -notmatch '^[A-Za-z]:(\\[^\\<>:"|?*\x00-\x1f]+)+\z' -or $full -match '\\\.\.?(\\|\z)') { Stop-Engine 'bad_request' "Invalid $Where`: '$Path' is not an absolute file path C:\<folder>\<name>" }
    # A 32-bit process on 64-bit Windows sees SysWOW64 as System32 (the File System Redirector); Sysnative is the real one.
    if ([Environment]::Is64BitOperatingSystem -and -not [Environment]::Is64BitProcess) { $full = $full -ireplace "^$([regex]::Escape($env:SystemRoot))\\System32(?=\\|\z)", "$env:SystemRoot\Sysnative" }
    return $full
}
# IOException HResult 0x80070020 ERROR_SHARING_VIOLATION or 0x80070021 ERROR_LOCK_VIOLATION: another process holds the file (the Group Policy service holds Registry.pol while applying it).
function Assert-NotLocked($Exception, [string]$Path) { if (($Exception.HResult -band 0xFFFF) -in 32, 33) { Stop-Engine 'file_locked' "Failed to access file '$Path': another process holds it open; retry later" } }
function Get-Digest([byte[]]$Bytes) { $sha256 = ConvertTo-Hex ([System.Security.Cryptography.SHA256]::Create().ComputeHash($Bytes)); $Blobs[$sha256] = $Bytes; return $sha256 }
function Get-FileState([string]$Path) {
    # FileShare.None: the open fails while anyone else has the file open, so no read sees a file half-written by another process.
    try { $stream = [System.IO.File]::Open($Path, 'Open', 'Read', 'None') }
    catch [System.IO.FileNotFoundException], [System.IO.DirectoryNotFoundException] { return [ordered]@{ present = $false } }
    catch [System.IO.IOException] { Assert-NotLocked ($_.Exception.GetBaseException()) $Path; throw }
    try { $memory = [System.IO.MemoryStream]::new(); $stream.CopyTo($memory) } finally { $stream.Dispose() }
    return [ordered]@{ present = $true; sha256 = Get-Digest ($memory.ToArray()) }
}
function Write-File([string]$Path, [byte[]]$Bytes, $Now) {
    # Never written in place: a temporary file in the same directory (ReplaceFile needs one volume), read back, then swapped in by ReplaceFile's renames, so no file is ever short.
    $temp = "$Path.winra-tmp"
    try {
        $null = [System.IO.Directory]::CreateDirectory([System.IO.Path]::GetDirectoryName($Path))  # GroupPolicy\Machine may not exist yet
        [System.IO.File]::WriteAllBytes($temp, $Bytes)
        if (-not (Test-State (Get-FileState $temp) @{ present = $true; sha256 = (Get-Digest $Bytes) })) { throw "'$temp' does not read back as written (torn write)" }
        # Compare-and-swap at the last moment: a refresh or a person may have written it meanwhile.
        if (-not (Test-State (Get-FileState $Path) $Now)) { Stop-Engine 'precondition' "Failed to replace file '$Path': it changed after it was read" }
        # File.Replace (ReplaceFile) keeps the replaced file as <name>.bak and the target's ACL and attributes; File.Move never overwrites.
        if ($Now.present) { [System.IO.File]::Replace($temp, $Path, "$Path.bak") } else { [System.IO.File]::Move($temp, $Path) }
    }
    catch [System.IO.IOException] { Assert-NotLocked ($_.Exception.GetBaseException()) $Path; throw }
    finally { if ([System.IO.File]::Exists($temp)) { [System.IO.File]::Delete($temp) } }
}
function Get-Rules([string[]]$Names, [string]$Store) {
    # One query for all Names (escaped: -Name takes wildcards). Only "no such rule" is absence.
    $patterns = @($Names | ForEach-Object { [System.Management.Automation.WildcardPattern]::Escape($_) }); $rules = @()
    try { $rules = @(Get-NetFirewallRule -Name $patterns -PolicyStore $Store -ErrorAction SilentlyContinue -ErrorVariable failures) }
    catch { $failures = @($_) }  # terminating: the provider or the service is not there
    $real = @($failures | Where-Object { [string]$_.CategoryInfo.Category -ne 'ObjectNotFound' })
    if ($real.Count -gt 0) { Stop-Engine 'query_failed' "Failed to read firewall rules ($Store): $($real[0].Exception.Message)" }
    return , @(foreach ($rule in $rules) { [ordered]@{ name = [string]$rule.Name; enabled = [string]$rule.Enabled; profile = [string]$rule.Profile; group = [string]$rule.Group
                display_name = [string]$rule.DisplayName; display_group = [string]$rule.DisplayGroup; source_type = [string]$rule.PolicyStoreSourceType; source = [string]$rule.PolicyStoreSource } })
}
function Get-AccountSids([string[]]$Names) {
    # One LSA call for all names; forceSuccess $false leaves an unknown name untranslated, while an LSA failure throws: that is an error, never "unknown account".
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
    $settings = @(foreach ($row in $rows) { [ordered]@{ key = [string]$row.registryKey; name = [string]$row.valueName; value_type = [string]$row.valueType; value = (ConvertTo-Hex $row.value)
                deleted = [bool]$row.deleted; gpo_id = [string]$row.GPOID; gpo = $gpoNames[[string]$row.GPOID] } })
    return [ordered]@{ available = $true; reason = $null; settings = $settings }
}
function Invoke-Read($Request) {
    foreach ($optional in 'files', 'exists') { if ($Request -is [System.Collections.Generic.IDictionary[string, object]] -and -not $Request.ContainsKey($optional)) { $Request[$optional] = [object[]]@() } }
    Assert-Shape $Request 'read' 'read request'
    $subKeys = @(foreach ($path in $Request['keys']) { Get-SubKey $path 'keys' })
    $paths = @(foreach ($path in $Request['files']) { Get-FilePath $path 'files' }); $probes = @(foreach ($path in $Request['exists']) { Get-FilePath $path 'exists' })
    $Result['keys'] = @(for ($i = 0; $i -lt $subKeys.Count; $i++) { Read-Key $Request['keys'][$i] $subKeys[$i] })
    $Result['accounts'] = if ($Request['accounts'].Count -gt 0) { Get-AccountSids $Request['accounts'] } else { @() }
    $Result['firewall_rules'] = if ($Request['firewall_rules'].Count -gt 0) { Get-Rules $Request['firewall_rules'] 'ActiveStore' } else { @() }
    $Result['policy_sources'] = if ($Request['policy_sources'] -and $subKeys.Count -gt 0) { Get-PolicyRows $subKeys } else { [ordered]@{ available = $false; reason = 'not requested'; settings = @() } }
    if ($paths.Count -gt 0) { $Result['files'] = @(for ($i = 0; $i -lt $paths.Count; $i++) {
                $state = Get-FileState $paths[$i]; $path = $Request['files'][$i]  # echoed as requested
                if (-not $state.present) { [ordered]@{ path = $path; exists = $false; size = 0; sha256 = $null; data = $null } }
                else { [ordered]@{ path = $path; exists = $true; size = $Blobs[$state.sha256].Length; sha256 = $state.sha256; data = [Convert]::ToBase64String($Blobs[$state.sha256]) } }
            }) }
    if ($probes.Count -gt 0) { $Result['exists'] = @(for ($i = 0; $i -lt $probes.Count; $i++) { [ordered]@{ path = $Request['exists'][$i]; exists = [System.IO.File]::Exists($probes[$i]) } }) }  # opens nothing: a file in use is no error
}

function ConvertTo-Change($Raw, [int]$Index) {
    $where = "change $Index"
    $op = if ($Raw -is [System.Collections.Generic.IDictionary[string, object]]) { $Raw['op'] }
    if ($ExpectShapes.Keys -cnotcontains $op) { Stop-Engine 'bad_request' "Invalid $where`: unknown op '$op'" }
    Assert-Shape $Raw $op $where
    $expect = $Raw['expect']
    Assert-Shape $expect $(if ($op -ne 'set_rule' -and $expect['present'] -eq $false) { 'absent' } else { $ExpectShapes[$op] }) "$where expect"
    $change = @{ Op = $op; Name = $Raw['name']; SubKey = $null; Path = $null; Target = @{ present = $false }; Expect = $expect }
    if ($op -eq 'replace_file') {
        $change.Path = Get-FilePath $Raw['path'] "$where path"; $change.Name = $change.Path
        try { $change.Target = @{ present = $true; sha256 = Get-Digest ([Convert]::FromBase64String($Raw['data'])) } } catch { Stop-Engine 'bad_request' "Invalid $where`: data for '$($change.Path)' is not base64" }
    }
    elseif ($op -eq 'set_rule') {
        # Profile as the NetSecurity enum prints it ('Domain, Private', 'Any'), as read.
        if ($Raw['name'] -eq '' -or $Raw['profile'] -cnotmatch '^(Any|(Domain|Private|Public)(, (Private|Public))*)\z') { Stop-Engine 'bad_request' "Invalid $where`: a rule Name and a profile such as 'Domain, Private' or 'Any'" }
        $change.Target = @{ present = $true; enabled = [string]$Raw['enabled']; profile = $Raw['profile']; group = $expect['group'] }
    }
    else { $change.SubKey = Get-SubKey $Raw['path'] "$where path" }
    if ($op -eq 'set_value') {
        $kind = $Raw['kind']
        if ($KindData.Keys -cnotcontains $kind -or (($Raw['data'] -is [object[]]) -xor ($kind -ceq 'MultiString')) -or ($Raw['data'] -is [string] -and $Raw['data'] -cnotmatch $KindData[$kind])) { Stop-Engine 'bad_request' "Invalid $where`: kind '$kind' does not take the data given" }
        $change.Target = @{ present = $true; kind = $kind; data = $Raw['data'] }
    }
    return $change
}
function Get-State($Change) {
    if ($Change.Op -eq 'replace_file') { return Get-FileState $Change.Path }
    if ($Change.Op -eq 'set_rule') {
        $rule = Get-Rules @($Change.Name) 'PersistentStore'  # The local store is the one written; a rule only a GPO delivers is absent here.
        if ($rule.Count -eq 0) { return [ordered]@{ present = $false } }
        return [ordered]@{ present = $true; enabled = $rule[0].enabled; profile = $rule[0].profile; group = $rule[0].group }
    }
    $key = Open-Key $Change.SubKey $false  # By exact name: GetValueKind throws IOException only when the value does not exist.
    if ($null -eq $key) { return [ordered]@{ present = $false } }
    try { return Read-Value $key $Change.Name } catch [System.IO.IOException] { return [ordered]@{ present = $false } } finally { $key.Dispose() }
}
function Test-State($Actual, $Wanted) {
    # Field by field, ordinally on the JSON text, which keeps types, list elements and every character apart: -eq and -ceq compare by culture (NULs and soft hyphens ignored on .NET 5+) and a joined list cannot tell ["ab","c"] from ["a","bc"].
    return @(foreach ($field in 'present', 'kind', 'data', 'enabled', 'profile', 'group', 'sha256') { if (-not [string]::Equals((ConvertTo-Json -InputObject $Actual[$field] -Compress), (ConvertTo-Json -InputObject $Wanted[$field] -Compress), [System.StringComparison]::Ordinal)) { $field } }).Count -eq 0
}
function Write-State($Change, [bool]$Undo, $CreatedKeys) {
    $state = if ($Undo) { $Change.Expect } else { $Change.Target }  # undo: back from the target to what was read
    if ($Change.Op -eq 'replace_file') { if ($state.present) { Write-File $Change.Path $Blobs[$state.sha256] $(if ($Undo) { $Change.Target } else { $Change.Expect }) } else { [System.IO.File]::Delete($Change.Path) }; return }
    if ($Change.Op -eq 'set_rule') { Set-NetFirewallRule -Name ([System.Management.Automation.WildcardPattern]::Escape($Change.Name)) -PolicyStore PersistentStore -Enabled $state.enabled -Profile $state.profile; return }
    $key = Open-Key $Change.SubKey $true
    if ($null -eq $key -and -not $state.present) { return }
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
        if (-not $state.present) { $key.DeleteValue($Change.Name, $false); return }
        $data = $state.data
        if ($state.kind -in 'DWord', 'QWord', 'Binary', 'None') {
            $data = [byte[]]@(for ($i = 0; $i -lt $state.data.Length; $i += 2) { [Convert]::ToByte($state.data.Substring($i, 2), 16) })
            # .NET writes a DWORD/QWORD only from an Int32/Int64: a malformed one cannot be restored.
            if (@{ DWord = 4; QWord = 8 }[$state.kind] -notin $null, $data.Length) { throw "a $($state.kind) of $($data.Length) bytes cannot be written" }
            if ($state.kind -eq 'DWord') { $data = [BitConverter]::ToInt32($data, 0) } elseif ($state.kind -eq 'QWord') { $data = [BitConverter]::ToInt64($data, 0) }
        }
        elseif ($state.kind -eq 'MultiString') { $data = [string[]]$data }
        $key.SetValue($Change.Name, $data, [Microsoft.Win32.RegistryValueKind]$state.kind)
    }
    finally { $key.Dispose() }
}
function Undo-Writes($Done, $CreatedKeys) {
    # Rollback is compare-and-swap too: restore only what still holds what this run wrote.
    $problems = [System.Collections.Generic.List[string]]::new()
    for ($i = $Done.Count - 1; $i -ge 0; $i--) {
        $change = $Done[$i]; $where = "'$($change.Name)'$(if ($change.SubKey) { " ($($change.SubKey))" })"
        try { if (Test-State (Get-State $change) $change.Target) { Write-State $change $true ([System.Collections.Generic.List[string]]::new()) } else { $problems.Add("$where was changed by someone else after this run wrote it; left as found") } }
        catch { $problems.Add("restoring $where failed: $($_.Exception.Message)") }
    }
    for ($i = $CreatedKeys.Count - 1; $i -ge 0; $i--) {
        $key = $Hklm.OpenSubKey($CreatedKeys[$i], $false)  # Only while empty: someone else may have written into a key this run created.
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
    # Phase 2: in the order given; a failure undoes what this run did, in reverse.
    $done = [System.Collections.Generic.List[object]]::new(); $createdKeys = [System.Collections.Generic.List[string]]::new()
    foreach ($change in $changes) {
        try { Write-State $change $false $createdKeys; $done.Add($change) }
        catch {
            # A file's own error (file_locked, precondition) stays the error when all was rolled back.
            $what = "Failed to apply change $($done.Count) ($($change.Op) '$($change.Name)'): $($_.Exception.Message)"; $kind = $_.Exception.Data['engine_error']
            $problems = Undo-Writes $done $createdKeys
            $Result['changed'] = $problems.Count -gt 0; $Result['rolled_back'] = $problems.Count -eq 0; $Result['applied'] = $done.Count * [int]($problems.Count -gt 0)
            if ($problems.Count -gt 0) { Stop-Engine 'rollback_failed' "$what; the host may be partly changed: $($problems -join '; ')" }
            Stop-Engine $(if ($kind -in 'file_locked', 'precondition') { $kind } else { 'write_failed' }) "$what; every earlier change was rolled back"
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
    foreach ($partial in 'keys', 'accounts', 'firewall_rules', 'policy_sources', 'files', 'exists') { $Result.Remove($partial) }
    $Result['failed'] = $true; $Result['msg'] = $_.Exception.Message; $Result['error'] = if ($_.Exception.Data['engine_error']) { $_.Exception.Data['engine_error'] } else { 'host_error' }
    $Result['retryable'] = $Result['error'] -in 'file_locked', 'precondition', 'write_failed'  # Nothing changed, and reading, deciding and applying again may succeed.
    $exitCode = 1
}
# As Ansible.Basic does: the wrapper captures Console.Out, and 'exit' ends the runspace.
[Console]::Out.WriteLine((ConvertTo-Json -InputObject $Result -Depth 20 -Compress))
$global:LASTEXITCODE = $exitCode
exit $exitCode

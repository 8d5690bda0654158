// ir-triage's shipped YARA rules: the coin miners dropped on Linux boxes after an SSH break-in.
//
// Written for ir-triage from the public write-ups named in each rule's `reference`; no sample
// was copied. XMRig is the miner of nearly every kit (Outlaw's kswapd0, Kinsing's kdevtmpfsi,
// the 8220 gang's miners): its binary, its config.json, and mining-pool URLs in any file.
//
// Every rule ends with `not $irt`: the text of these files travels inside ir-triage's own
// single-file builds, and a rule must not match the file that carries it.

rule IRT_Miner_XMRig_Binary : miner xmrig linux
{
  meta:
    description = "XMRig or a build of it (renamed kswapd0, kdevtmpfsi, ...): its option names, algorithm names and the stratum protocol"
    reference = "https://xmrig.com/docs/miner/command-line-options"
    write_up = "https://www.trendmicro.com/en_us/research/19/f/outlaw-hacking-groups-botnet-observed-spreading-miner-perl-based-backdoor.html"
    author = "ir-triage"
    severity = "high"
  strings:
    $x1 = "xmrig" nocase
    $o1 = "--donate-level"
    $o2 = "donate-over-proxy"
    $o3 = "--cpu-max-threads-hint"
    $o4 = "nicehash"
    $a1 = "cryptonight" nocase
    $a2 = "randomx" nocase
    $a3 = "rx/0"
    $p1 = "mining.subscribe"
    $p2 = "mining.authorize"
    $p3 = "stratum+tcp://"
    $irt = "ir-triage shipped rule text"
  condition:
    filesize < 64MB and (($x1 and 2 of ($o*) and any of ($a*)) or (2 of ($o*) and 2 of ($a*) and any of ($p*))) and not $irt
}

rule IRT_Miner_XMRig_Config : miner xmrig config
{
  meta:
    description = "An XMRig config.json: the donate-level and pools keys, a pool url and a wallet as user"
    reference = "https://xmrig.com/docs/miner/config"
    author = "ir-triage"
    severity = "high"
  strings:
    $k1 = /"donate-level"\s*:/
    $k2 = /"pools"\s*:\s*\[/
    $k3 = /"url"\s*:\s*"[^"]{3,200}:[0-9]{2,5}"/
    $k4 = /"(randomx|cpu|rig-id|nicehash|keepalive)"\s*:/
    $irt = "ir-triage shipped rule text"
  condition:
    filesize < 1MB and $k1 and $k2 and ($k3 or $k4) and not $irt
}

rule IRT_Miner_Stratum_Pool : miner stratum
{
  meta:
    description = "A mining-pool address (stratum+tcp/ssl/tls URL), with a Monero wallet or a known pool name beside it"
    reference = "https://attack.mitre.org/techniques/T1496/"
    write_up = "https://xmrig.com/docs/miner/config/pool"
    author = "ir-triage"
    severity = "high"
  strings:
    $url = /stratum2?\+(tcp|ssl|tls):\/\/[A-Za-z0-9._-]{3,100}:[0-9]{2,5}/ nocase
    $wallet = /\b4[0-9AB][1-9A-HJ-NP-Za-km-z]{93}\b/
    $pool1 = "supportxmr" nocase
    $pool2 = "nanopool" nocase
    $pool3 = "moneroocean" nocase
    $pool4 = "minexmr" nocase
    $pool5 = "c3pool" nocase
    $pool6 = "hashvault" nocase
    $irt = "ir-triage shipped rule text"
  condition:
    filesize < 64MB and $url and ($wallet or any of ($pool*) or #url > 1) and not $irt
}

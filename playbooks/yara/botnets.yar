// ir-triage's shipped YARA rules: the bot kits of SSH-spread botnets (Mirai and Gafgyt/BASHLITE
// descendants, the Perl IRC shellbot of the Outlaw group).
//
// Written for ir-triage from the public write-ups named in each rule's `reference`; no sample
// was copied. Mirai's own table strings are XOR-encoded, but its descendants and the droppers
// around it keep many in the clear: the rules ask for several at once.
//
// Every rule ends with `not $irt`: the text of these files travels inside ir-triage's own
// single-file builds, and a rule must not match the file that carries it.

rule IRT_Botnet_Mirai_Family : botnet mirai linux
{
  meta:
    description = "Mirai and its descendants: the watchdog paths it disarms, its busybox probe, the Valve Source Engine query flood and the attack and killer names left in the clear"
    reference = "https://www.usenix.org/conference/usenixsecurity17/technical-sessions/presentation/antonakakis"
    write_up = "https://blog.cloudflare.com/inside-mirai-the-infamous-iot-botnet-a-retrospective-analysis/"
    author = "ir-triage"
    severity = "critical"
  strings:
    $w1 = "/dev/watchdog"
    $w2 = "/dev/misc/watchdog"
    $b1 = /\/bin\/busybox [A-Z]{4,12}\b/
    $v1 = "TSource Engine Query"
    $s1 = "dvrHelper"
    $s2 = "/proc/net/tcp"
    $s3 = /attack_(udp|tcp|app|gre)_[a-z]+/
    $s4 = "POST /cdn-cgi/"
    $s5 = "killer_kill_by_port"
    $irt = "ir-triage shipped rule text"
  condition:
    filesize < 10MB and ($v1 or $b1) and ($w1 or $w2) and 2 of ($s*, $v1, $b1) and not $irt
}

rule IRT_Botnet_Gafgyt_Family : botnet gafgyt bashlite linux
{
  meta:
    description = "Gafgyt / BASHLITE / Qbot-for-Linux: the IRC-like command words of its C2 and its floods"
    reference = "https://en.wikipedia.org/wiki/BASHLITE"
    author = "ir-triage"
    severity = "critical"
  strings:
    $c1 = "KILLATTK"
    $c2 = "LOLNOGTFO"
    $c3 = "GETLOCALIP"
    $c4 = /SCANNER (ON|OFF)/
    $c5 = "gayfgt"
    $c6 = /\b(HOLD|JUNK|UDP|TCP|STD|HTTP) Flooding\b/ nocase
    $c7 = "BUILD %s"
    $c8 = "PONG!"
    $irt = "ir-triage shipped rule text"
  condition:
    filesize < 10MB and 3 of ($c*) and not $irt
}

rule IRT_Outlaw_Perl_Shellbot : botnet shellbot outlaw irc
{
  meta:
    description = "Perl IRC shellbot of the Outlaw kits (the 'rsync' of .rsync/a): its Portuguese variable names and IRC control, or the uuencoded eval wrapper it ships in"
    reference = "https://www.trendmicro.com/en_us/research/18/k/perl-based-shellbot-looks-to-target-organizations-via-c-c.html"
    write_up = "https://www.trendmicro.com/en_us/research/19/f/outlaw-hacking-groups-botnet-observed-spreading-miner-perl-based-backdoor.html"
    author = "ir-triage"
    severity = "critical"
  strings:
    $v1 = "$servidor"
    $v2 = "$processo"
    $v3 = "@canais"
    $v4 = "@adms"
    $v5 = "$meunick"
    $i1 = "PRIVMSG"
    $i2 = /\bsendraw\b/
    $i3 = /JOIN\s/
    $u1 = /eval\s*\(?\s*unpack\s*\(?\s*u\s*=>\s*q\s*[{(]/
    $irt = "ir-triage shipped rule text"
  condition:
    filesize < 5MB and ((2 of ($v*) and 2 of ($i*)) or ($u1 and filesize < 1MB)) and not $irt
}

// ir-triage's shipped YARA rules: SSH scanners and brute-forcers of the classic scan kits.
//
// Written for ir-triage from the public write-ups named in each rule's `reference`; no sample
// was copied. Each rule asks for several of a kit's strings at once, so one word that a real
// program may also hold is never enough.
//
// Every rule ends with `not $irt`: the text of these files travels inside ir-triage's own
// single-file builds, and a rule must not match the file that carries it.

rule IRT_SSH_Scanner_Pscan : scanner ssh linux
{
  meta:
    description = "pscan2/pscan3-style port scanner of the SSH scan kits: class-B sweep usage, output to bios.txt"
    reference = "https://attack.mitre.org/techniques/T1046/"
    write_up = "http://nullroute.live/research/dota-ssh-worm"
    author = "ir-triage"
    severity = "high"
  strings:
    $usage1 = /<[abc]-(block|range)> <port>/ nocase
    $usage2 = /\[[abc]-(block|range)\]/ nocase
    $out1 = "bios.txt"
    $out2 = /# ?scanning:? /
    $out3 = /pscan[23]? completed in/ nocase
    $irt = "ir-triage shipped rule text"
  condition:
    filesize < 20MB and (($usage1 and ($usage2 or any of ($out*))) or 2 of ($out*)) and not $irt
}

rule IRT_SSH_BruteForce_Kit : bruteforce ssh linux
{
  meta:
    description = "SSH brute-force kit (ssh-scan, brute-ssh, haiduc kin): the work files of the scan-then-guess loop (bios.txt, mfu.txt, pass_file, vuln.txt)"
    reference = "https://attack.mitre.org/techniques/T1110/001/"
    write_up = "http://nullroute.live/research/dota-ssh-worm"
    author = "ir-triage"
    severity = "high"
  strings:
    $f1 = "mfu.txt"
    $f2 = "vuln.txt"
    $f3 = "pass_file"
    $f4 = "bios.txt"
    $f5 = "dup.txt"
    $ssh1 = "libssh" nocase
    $ssh2 = "ssh_userauth_password"
    $ssh3 = "SSH-2.0-"
    $irt = "ir-triage shipped rule text"
  condition:
    filesize < 20MB and (3 of ($f*) or (2 of ($f*) and any of ($ssh*))) and not $irt
}

rule IRT_Outlaw_Dota_Kit : bruteforce miner outlaw linux
{
  meta:
    description = "Outlaw 'dota' SSH kit: the installer and cron scripts that drop the .configrc and .rsync folders, lock .ssh with chattr and plant the key commented mdrfckr"
    reference = "https://www.trendmicro.com/en_us/research/19/f/outlaw-hacking-groups-botnet-observed-spreading-miner-perl-based-backdoor.html"
    write_up = "http://nullroute.live/research/dota-ssh-worm"
    author = "ir-triage"
    severity = "critical"
  strings:
    $key = /ssh-rsa [A-Za-z0-9+\/=]{100,} mdrfckr/
    $k1 = "mdrfckr"
    $d1 = ".configrc"
    $d2 = ".rsync"
    $d3 = "dota3.tar.gz"
    $d4 = ".X25-unix"
    $c1 = /chattr -[a-z]*i[a-z]* [^\n]{0,40}\.ssh/
    $c2 = /lockr -[a-z]*i[a-z]* [^\n]{0,40}\.ssh/
    $irt = "ir-triage shipped rule text"
  condition:
    filesize < 20MB and ($key or ($k1 and (any of ($c*) or any of ($d*))) or (2 of ($d*) and any of ($c*))) and not $irt
}

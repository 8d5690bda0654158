import type { SshdConfigRecord } from '../../model/access.js';
import type { DraftFinding, Severity } from '../../model/finding.js';
import type { KnownFacts } from '../../model/facts.js';
import { printable } from '../../model/text.js';
import { defineRule } from '../types.js';

/** Failures from one address that make it a brute force (auth.bruteforce's shipped threshold). */
const BRUTE_FORCE_FAILURES = 10;

/**
 * Where an AuthorizedKeysFile entry lets sshd read keys from, judged before any user is known:
 * `%h/…` and relative paths are in the home folder; anything else is not.
 */
export function keysFilePlace(pattern: string): { outside: boolean; pseudo: string | null } {
  if (!pattern.startsWith('/')) return { outside: false, pseudo: null };
  // Ebury's AuthorizedKeysFile /proc/self/environ reads keys from sshd's own environment.
  const m = /^\/(proc|tmp|var\/tmp|dev\/shm|dev|run\/user|run\/shm)(\/|$)/.exec(pattern);
  return { outside: true, pseudo: m ? `/${m[1]}` : null };
}

interface Weakness {
  keyword: string;
  value: string;
  severity: Severity;
  what: string;
  advice: string;
}

function judge(facts: KnownFacts, keyword: string, value: string[]): Weakness[] {
  const v = (value[0] ?? '').toLowerCase();
  const out: Weakness[] = [];
  if (keyword === 'permitrootlogin' && v === 'yes') {
    out.push({ keyword, value: v, severity: 'informational', what: 'root may log in over ssh with a password', advice: '`PermitRootLogin no` (or `prohibit-password` when an administrator key is needed), and named accounts with sudo.' });
  }
  if (keyword === 'passwordauthentication' && v === 'yes') {
    const attackers = (facts.authTally ?? []).filter((r) => r.failures >= BRUTE_FORCE_FAILURES && (r.failuresByMethod.password ?? 0) > 0);
    const brute = attackers.length
      ? ` The auth log shows ${attackers.length} address(es) with ${BRUTE_FORCE_FAILURES} or more failed logins: this box is being brute-forced, and every guessed password is a way in.`
      : '';
    out.push({ keyword, value: v, severity: 'informational', what: `passwords are accepted over ssh.${brute}`, advice: '`PasswordAuthentication no` once every user has a key (and `KbdInteractiveAuthentication no`); meanwhile fail2ban or a rate limit on port 22.' });
  }
  if (keyword === 'permitemptypasswords' && v === 'yes') {
    out.push({ keyword, value: v, severity: 'informational', what: 'accounts with an empty password may log in over ssh (see account.empty-password)', advice: '`PermitEmptyPasswords no`.' });
  }
  if (keyword === 'permituserenvironment' && v !== 'no') {
    out.push({ keyword, value: value.join(' '), severity: 'informational', what: 'environment= options of authorized keys and ~/.ssh/environment take effect (LD_PRELOAD through a key option)', advice: '`PermitUserEnvironment no`.' });
  }
  if (keyword === 'authorizedkeysfile') {
    for (const p of value) {
      const place = keysFilePlace(p);
      if (!place.outside) continue;
      out.push({
        keyword,
        value: p,
        severity: 'high',
        what: place.pseudo
          ? `sshd reads authorized keys from ${p}, under ${place.pseudo}: ${place.pseudo === '/proc' ? "process memory (the Ebury backdoor sets /proc/self/environ so that keys in sshd's own environment let anyone in)" : 'a place any user or process can write'}`
          : `sshd reads authorized keys from ${p}, outside the users' home folders: whoever can write there can add keys for every account`,
        advice: `check who set it and what ${p} holds for each user; the default is \`.ssh/authorized_keys .ssh/authorized_keys2\`.`,
      });
    }
  }
  if (keyword === 'authorizedkeyscommand' && v !== 'none' && v !== '') {
    out.push({
      keyword,
      value: value.join(' '),
      severity: 'medium',
      what: `sshd asks a program for every user's authorized keys: ${value.join(' ')}; whatever it prints is accepted`,
      advice: 'confirm the program belongs to a known setup (SSSD, EC2 Instance Connect, a directory service) and hash it; a script nobody knows is a backdoor for every account.',
    });
  }
  return out;
}

function evidenceOf(s: SshdConfigRecord): string[] {
  return ['artifacts/sshd-config.json', ...(s.sshdT ? ['commands/sshd-T.txt'] : [])];
}

/** sshd.weak-config: settings that let an intruder in (or back in), from the files sshd reads. */
export const weakConfig = defineRule({
  id: 'sshd.weak-config',
  title: 'Weak or altered sshd configuration',
  description:
    'The hardening advice the field reports give, from the sshd configuration in force (and each Match block): PermitRootLogin yes, PasswordAuthentication yes (noting a brute force in the auth log), PermitEmptyPasswords yes, PermitUserEnvironment on — informational; an AuthorizedKeysCommand — medium; an AuthorizedKeysFile outside the home folders or under /proc, /tmp, /dev/shm (Ebury) — high. Also where sshd -T disagrees with the files.',
  level: 'informational',
  mitre: ['T1556', 'T1098.004', 'T1021.004'],
  references: [
    'https://man.openbsd.org/sshd_config',
    'https://attack.mitre.org/techniques/T1556/',
    'https://github.com/eset/malware-ioc/tree/master/windigo',
  ],
  falsePositives: [
    'Password logins are the upstream default and many boxes rely on them.',
    'A central keys folder such as /etc/ssh/authorized_keys/%u, and AuthorizedKeysCommand of SSSD or cloud agents, set on purpose by the administrators.',
  ],
  needs: ['sshdConfig'],
  thresholds: {},
  detect(facts) {
    const s = facts.sshdConfig;
    if (s.missing) return [];
    const out: DraftFinding[] = [];
    const push = (w: Weakness, file: string | null, line: number | null, match: string | null) => {
      const where = file ? `${file}:${line}` : 'OpenSSH default (no line sets it)';
      const scope = match ? ` for connections matching "Match ${printable(match, 80)}"` : '';
      out.push({
        rule: weakConfig.id,
        severity: w.severity,
        title: `sshd ${w.keyword} ${printable(w.value, 60)}${scope} (${where})`,
        detail: `${where}${scope}: ${w.what}. Advice: ${w.advice}`,
        mitre: weakConfig.mitre,
        subject: { path: file, line, setting: w.keyword, value: w.value, match, user: null, ip: null, pid: null },
        evidence: evidenceOf(s),
      });
    };
    // PermitRootLogin yes   (/etc/ssh/sshd_config:33)
    for (const [keyword, setting] of Object.entries(s.settings)) {
      for (const w of judge(facts, keyword, setting.value)) push(w, setting.file, setting.line, null);
    }
    for (const block of s.matchBlocks) {
      for (const set of block.settings) for (const w of judge(facts, set.keyword, set.value)) push(w, set.file, set.line, block.criteria);
    }
    for (const d of s.disagreements) {
      out.push({
        rule: weakConfig.id,
        severity: 'informational',
        title: `sshd -T and the config files disagree on ${d.keyword}`,
        detail: `The config files give ${d.keyword} "${printable(d.files, 80)}", the box's sshd -T prints "${printable(d.sshdT, 80)}". Either a setting this reading does not model, or an sshd binary or config path that is not what it seems: compare the running sshd's command line (-f) and check the binary (dpkg --verify openssh-server).`,
        mitre: weakConfig.mitre,
        subject: { path: s.main, line: null, setting: d.keyword, value: d.sshdT, match: null, user: null, ip: null, pid: null },
        evidence: evidenceOf(s),
      });
    }
    return out;
  },
});

import path from 'node:path';
import { severityRank, type DraftFinding, type Severity } from '../../model/finding.js';
import type { IntegrityRecord } from '../../model/integrity.js';
import { defineRule } from '../types.js';

/** What a lying copy of each tool hides from the person at the keyboard. */
const WHAT_IT_HIDES: Array<[string[], string]> = [
  [['ps', 'top', 'pgrep', 'pkill'], 'a replaced ps or top hides the scanner and its sshd'],
  [['ss', 'netstat', 'lsof'], 'a replaced ss, netstat or lsof hides the connections and open files of the kit'],
  [['who', 'w', 'last', 'lastb'], "a replaced who, w or last hides the intruder's logins"],
  [['find', 'ls'], 'a replaced find or ls hides the malware folder'],
  [['crontab', 'systemctl'], 'a replaced crontab or systemctl hides the persistence'],
  [
    ['sshd', 'sshd-session', 'sshd-auth', 'ssh', 'login', 'su', 'sudo', 'libkeyutils.so', 'libpam.so', 'pam_unix.so'],
    'a trojaned sshd, ssh, su, sudo, PAM module or libkeyutils (Ebury) records every password and key typed and lets a backdoor password in',
  ],
  [['libc.so.6'], 'every program on the box runs on libc: a changed libc can change what any tool reports'],
];

function hides(tools: string[]): string[] {
  return WHAT_IT_HIDES.filter(([names]) => names.some((n) => tools.includes(n))).map(([, text]) => text);
}

const TRUST_PROC =
  "The box's own tools may lie. ir-triage reads /proc and the raw files itself and compares them with the box's ps and ss (process.hidden, network.hidden-socket): trust those views, and read this run's other findings with that in mind.";

function nextSteps(r: IntegrityRecord, rpm: boolean): string {
  const pkg = r.package ?? 'the package';
  const bare = pkg.split(':')[0];
  const get = rpm
    ? `\`dnf download ${bare}\` (or yumdownloader) on a trusted machine of the same release, \`rpm2cpio | cpio -id\`, and compare the sha256`
    : `\`apt-get download ${pkg}${r.packageVersion ? `=${r.packageVersion}` : ''}\` on a trusted machine of the same release, \`dpkg-deb -x\` it, and compare the sha256 of ${r.path}`;
  const reinstall = rpm ? `\`dnf reinstall ${bare}\`` : `\`apt-get install --reinstall ${pkg}\``;
  return `Next: image the disk (or at least keep this bundle) first. Compare with a known-good package: ${get}; \`debsums -c\` or \`rpm -Va\` run from trusted media checks the rest of the box. Reinstall (${reinstall}) only after imaging, and treat the box as compromised at root level: rebuilding it is safer than cleaning it.`;
}

/** " Package md5 …; on disk: md5 …, sha256 …, size, mode, owner, times." — the facts an investigator compares. */
function hashesLine(r: IntegrityRecord): string {
  const disk: string[] = [];
  if (r.md5) disk.push(`md5 ${r.md5}`);
  if (r.sha256) disk.push(`sha256 ${r.sha256}`);
  if (r.size !== null) disk.push(`${r.size} bytes`);
  if (r.mode) disk.push(`mode ${r.mode}`);
  if (r.owner !== null || r.uid !== null) disk.push(`owner ${r.owner ?? r.uid}`);
  if (r.mtime) disk.push(`mtime ${r.mtime}`);
  if (r.ctime) disk.push(`ctime ${r.ctime}`);
  const parts: string[] = [];
  if (r.expectedMd5) parts.push(`Package md5 ${r.expectedMd5}`);
  if (r.expectedSha256) parts.push(`${parts.length ? 'package' : 'Package'} sha256 ${r.expectedSha256}`);
  if (disk.length) parts.push(`${parts.length ? 'on disk' : 'On disk'}: ${disk.join(', ')}`);
  return parts.length ? ` ${parts.join('; ')}.` : '';
}

function sentence(text: string): string {
  const t = text.trim().replace(/\.$/, '');
  return `${t.charAt(0).toUpperCase()}${t.slice(1)}.`;
}

function secondViewLine(r: IntegrityRecord): string {
  const v = r.secondView;
  if (!v) return '';
  if (!v.agrees) return ` ${v.tool} on the box did not say so${v.flags ? ` (it printed ${v.flags})` : ''}: the box's package tool, or a library under it, may lie as well.`;
  return v.flags ? ` ${v.tool} on the box reports it too (${v.flags}).` : '';
}

function label(r: IntegrityRecord): string {
  return r.tools[0] ?? path.posix.basename(r.realPath ?? r.path);
}

function isRpm(r: IntegrityRecord): boolean {
  return r.packageDb === 'rpm' || r.secondView?.tool === 'rpm -V';
}

function baseFinding(r: IntegrityRecord, severity: Severity, title: string, detail: string, mitre: string[], pid = r.runningPids[0] ?? null): DraftFinding {
  const evidence = ['artifacts/integrity.jsonl', 'artifacts/integrity-hashes.txt'];
  if (r.preserved) evidence.push(r.preserved);
  if (r.secondView?.tool === 'dpkg --verify') evidence.push('commands/dpkg-verify.txt');
  if (r.secondView?.tool === 'rpm -V') evidence.push('commands/rpm-V.txt');
  return {
    rule: modifiedBinary.id,
    severity,
    title,
    detail,
    mitre,
    subject: {
      pid,
      path: r.realPath ?? r.path,
      user: r.owner,
      ip: null,
      package: r.package,
      packagePath: r.path,
      status: r.status,
      tools: r.tools,
      sha256: r.sha256,
      md5: r.md5,
      expectedMd5: r.expectedMd5,
    },
    evidence,
  };
}

/** Severity for a packaged file: listed tools are critical, the rest of their packages high; an unfinished upgrade is medium. */
function packagedSeverity(r: IntegrityRecord): { severity: Severity; note: string } {
  if (r.packageState && r.packageState !== 'installed') {
    return {
      severity: 'medium',
      note: ` ${r.package} is in the dpkg state "${r.packageState}": an install or upgrade did not finish, so its files may be half old, half new. Finish it after imaging and check again; until then this proves nothing either way.`,
    };
  }
  return { severity: r.tools.length > 0 ? 'critical' : 'high', note: '' };
}

/**
 * integrity.modified-binary: a packaged binary whose content is not what the package installed,
 * a packaged file that is gone, an unpackaged tool met first in PATH, a setuid bit nothing
 * explains, or a running program that is not its file on disk.
 */
export const modifiedBinary = defineRule({
  id: 'integrity.modified-binary',
  title: "The box's own tools were modified",
  description:
    "SSH kits replace ps, ss, netstat, lsof, sshd or top, or drop a trojaned libkeyutils (Ebury), so that the box lies to its admin and hands passwords to the intruder. Each binary and library of the packages that ship those tools is hashed and compared with the package database (dpkg's md5sums, read as files; rpm -V live), unpackaged copies earlier in PATH are looked for, and setuid bits nothing explains are reported.",
  level: 'critical',
  mitre: ['T1554', 'T1014', 'T1574', 'T1548.001'],
  references: [
    'https://attack.mitre.org/techniques/T1554/',
    'https://www.welivesecurity.com/2014/03/18/operation-windigo-the-vivisection-of-a-large-linux-server-side-credential-stealing-malware-campaign/',
    'https://man7.org/linux/man-pages/man1/dpkg.1.html',
    'https://manpages.debian.org/bookworm/debsums/debsums.1.en.html',
  ],
  falsePositives: [
    'A package whose install or upgrade did not finish (dpkg state half-installed or unpacked): reported as medium.',
    "A file moved aside with dpkg-divert: reported as informational, not as modified.",
    'Binaries patched in place by an admin or a security agent (prelink on old systems rewrote libraries).',
  ],
  needs: ['integrity'],
  thresholds: {},
  detect(facts) {
    const out: DraftFinding[] = [];
    for (const r of facts.integrity) {
      const name = label(r);
      const where = r.realPath ?? r.path;
      const hidden = hides(r.tools);
      const why = hidden.length ? ` ${sentence(hidden.join('; '))}` : '';
      const kept = r.preserved ? ` The file is preserved in the bundle as ${r.preserved}.` : '';
      if (r.status === 'modified') {
        const { severity, note } = packagedSeverity(r);
        out.push(
          baseFinding(
            r,
            severity,
            `Modified ${name}: ${where} is not what ${r.package ?? 'its package'} installed`,
            `${sentence(r.reason ?? 'its content differs from the package database')}${hashesLine(r)}${secondViewLine(r)}${note}${why} ${TRUST_PROC}${kept} ${nextSteps(r, isRpm(r))}`,
            ['T1554', 'T1014'],
          ),
        );
      } else if (r.status === 'missing') {
        const { severity, note } = packagedSeverity(r);
        out.push(
          baseFinding(
            r,
            severity,
            `Missing ${name}: ${r.path} of ${r.package ?? 'a package'} is gone`,
            `${sentence(r.reason ?? 'the package installed this file and it is no longer there')}${secondViewLine(r)}${note} A kit that removes a tool usually puts its own elsewhere in PATH; an intruder may also have removed it to slow you down.${why} ${TRUST_PROC} ${nextSteps(r, isRpm(r))}`,
            ['T1554', 'T1070.004'],
          ),
        );
      } else if (r.status === 'not-packaged' && r.shadows) {
        const library = !r.tools.some((t) => !t.includes('.so'));
        out.push(
          baseFinding(
            r,
            'critical',
            library ? `Unpackaged copy of ${name}: ${where} beside the packaged ${r.shadows}` : `Unpackaged ${name} shadows the packaged one: ${where} comes before ${r.shadows} in PATH`,
            `${library ? `No package owns ${where}, while ${r.shadows} is the packaged ${name}: Ebury drops its libkeyutils this way (/lib64/tls/, libkeyutils.so.1.9), and the loader may pick it first.` : `A shell, and a responder typing \`${name}\`, runs ${where} instead of the packaged ${r.shadows}: no package owns it. Kits drop their own ps or ss into /usr/local/bin or /usr/local/sbin exactly for this.`}${hashesLine(r)}${why} ${TRUST_PROC}${kept} Next: run the packaged tool by its full path (${r.shadows}), look at the unpackaged file (\`file\`, \`strings\`, its times, who owns it) and preserve it before removing it.`,
            library ? ['T1554', 'T1574.006'] : ['T1554', 'T1036.005'],
          ),
        );
      } else if (r.status === 'diverted' && r.diversion) {
        const admin = r.diversion.by === ':';
        out.push(
          baseFinding(
            r,
            'informational',
            `Diverted ${name}: ${r.path} of ${r.package ?? 'a package'} moved to ${r.diversion.to} by ${admin ? 'the admin' : r.diversion.by}`,
            `dpkg-divert moved ${r.package ?? 'the package'}'s ${r.path} to ${r.diversion.to}; the file at ${r.path} belongs to ${admin ? 'no package (a local diversion made with dpkg-divert --local)' : r.diversion.by}, so it is not compared with ${r.package ?? 'the package'}'s checksum.${hashesLine(r)} Packages divert files for good reasons; ${admin ? 'a local diversion of a system tool is how a kit could slip its own copy past package checks: ask who made it.' : 'check that the diverting package is expected on this box.'}`,
            ['T1554'],
          ),
        );
      }
      if (r.unexpectedSetuid && r.status !== 'missing') {
        out.push(
          baseFinding(
            r,
            'high',
            `Unexpected setuid/setgid bit on ${name}: ${where} (mode ${r.mode})`,
            `${where} has mode ${r.mode}${r.owner ? `, owner ${r.owner}` : ''}: it runs with its owner's rights whoever starts it, though it is not a program that needs to. A setuid find, ls or shell hands root to any user (a classic backdoor).${r.package ? ` Its content is ${r.status === 'ok' ? `still what ${r.package} installed` : r.status}.` : ''}${hashesLine(r)} Next: note owner and times, keep this bundle, then remove the bit (\`chmod u-s,g-s ${where}\`) and look for what else the intruder did as root.`,
            ['T1548.001'],
          ),
        );
      }
      if (r.runningMismatchPids.length > 0) {
        out.push(
          baseFinding(
            r,
            'critical',
            `Running ${name} is not the file on disk: pid ${r.runningMismatchPids.join(', ')} runs a different ${where}`,
            `Pid ${r.runningMismatchPids.join(', ')} run ${where}, but the executable they run (read through /proc/PID/exe) does not hash like the file at that path (sha256 ${r.sha256}): the file was swapped after they started, or swapped back to hide it.${why} The processes' executables are preserved by the processes step when flagged; preserve them now otherwise (cp /proc/PID/exe). ${TRUST_PROC}`,
            ['T1554', 'T1036.005'],
            r.runningMismatchPids[0],
          ),
        );
      }
    }
    return out.sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.title.localeCompare(b.title));
  },
});

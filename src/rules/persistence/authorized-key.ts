import type { AuthorizedKeyRecord } from '../../model/access.js';
import type { DraftFinding, Severity } from '../../model/finding.js';
import type { FactsWith, KnownFacts } from '../../model/facts.js';
import { printable } from '../../model/text.js';
import { timesInWindow } from '../account/shared.js';
import { defineRule } from '../types.js';

/** ssh-keygen's short names, as the auth log prints a key ("ED25519 SHA256:…"). */
function typeLabel(type: string): string {
  const plain = type.replace(/-cert-v01@openssh\.com$/, '');
  const names: Record<string, string> = {
    'ssh-ed25519': 'ED25519',
    'sk-ssh-ed25519@openssh.com': 'ED25519-SK',
    'sk-ssh-ed25519': 'ED25519-SK',
    'ssh-rsa': 'RSA',
    'ssh-dss': 'DSA',
    'sk-ecdsa-sha2-nistp256@openssh.com': 'ECDSA-SK',
    'sk-ecdsa-sha2-nistp256': 'ECDSA-SK',
  };
  return (names[plain] ?? (plain.startsWith('ecdsa-') ? 'ECDSA' : plain)) + (plain === type ? '' : '-CERT');
}

/** Why a key deserves a look, strongest first; empty when it does not. */
function reasonsFor(facts: FactsWith<'window'>, k: AuthorizedKeyRecord): string[] {
  const reasons: string[] = [];
  for (const hit of k.knownBad) reasons.push(`it matches the known-bad key list (${hit.list}: ${hit.field} ${printable(hit.value, 60)} — ${printable(hit.description, 120)})`);
  const times = [...timesInWindow(facts.window, k.fileMeta)];
  if (times.length > 0) reasons.push(`its file changed in the incident window (${times.join(', ')})`);
  // command="/tmp/x" runs on every login with this key; environment= needs PermitUserEnvironment.
  const opt = (name: string) => k.options.find((o) => o.name.toLowerCase() === name);
  const command = opt('command');
  if (command) reasons.push(`it forces a command on every login: command="${printable(command.value ?? '', 120)}"`);
  const env = k.options.filter((o) => o.name.toLowerCase() === 'environment');
  if (env.length > 0) reasons.push(`it sets the environment of its sessions: ${env.map((o) => `environment="${printable(o.value ?? '', 80)}"`).join(', ')}`);
  const from = opt('from');
  if (from && k.uid === 0) reasons.push(`it is root's key limited to from="${printable(from.value ?? '', 120)}": whoever set that knew where they would come from`);
  const locked = [
    k.fileAttributes.immutable ? 'the file is immutable (chattr +i)' : null,
    k.fileAttributes.appendOnly ? 'the file is append-only (chattr +a)' : null,
    k.dirAttributes?.immutable ? `its folder ${k.dirMeta?.path ?? ''} is immutable (chattr +i)` : null,
    k.dirAttributes?.appendOnly ? `its folder ${k.dirMeta?.path ?? ''} is append-only (chattr +a)` : null,
  ].filter((x): x is string => x !== null);
  if (locked.length > 0) reasons.push(`${locked.join(' and ')}: kits lock their key in so it cannot be removed`);
  return reasons;
}

/** The auth log's accepted logins with this key (the log prints "ED25519 SHA256:…"). */
function loginsWith(facts: KnownFacts, fingerprint: string | null): string {
  if (!fingerprint) return '';
  const logins = (facts.authLogins ?? []).filter((l) => l.key?.endsWith(fingerprint));
  if (logins.length === 0) return facts.authLogins ? ' The auth log shows no accepted login with this key.' : '';
  const last = logins[logins.length - 1];
  const addresses = [...new Set(logins.map((l) => l.address ?? '?'))];
  return ` The auth log shows ${logins.length} accepted login(s) with this key, from ${addresses.slice(0, 5).join(', ')}${addresses.length > 5 ? ', …' : ''}; the latest at ${last.time} as ${last.user ?? '?'}.`;
}

/**
 * persistence.authorized-key: a key that would let someone back in and that carries a sign of
 * the intrusion — a known kit key, a file changed in the incident window, a forced command or
 * environment, root's key pinned to an address, a file locked with chattr.
 */
export const authorizedKey = defineRule({
  id: 'persistence.authorized-key',
  title: 'Suspicious authorized SSH key',
  description:
    "An authorized_keys entry that lets its holder log in without a password and shows a sign of the intrusion: a key or comment from the known-bad list (the Outlaw kit's mdrfckr), a file added or changed in the incident window (mtime, ctime or birth), a command= or environment= option, root's key limited with from=, an immutable or append-only file or folder. One finding per key, naming the account, file, line, type, fingerprint and comment.",
  level: 'high',
  mitre: ['T1098.004', 'T1021.004'],
  references: [
    'https://attack.mitre.org/techniques/T1098/004/',
    'https://man.openbsd.org/sshd#AUTHORIZED_KEYS_FILE_FORMAT',
    'https://man.openbsd.org/ssh-keygen',
  ],
  falsePositives: [
    'Keys an administrator added or rotated during the window (deployment tools rewrite authorized_keys, which also moves its mtime and ctime).',
    'Forced commands of backup, rsync or git accounts (command="…"), and from= restrictions an administrator set.',
    'Files restored from a backup or copied to a new disk (ctime and birth are then the copy time).',
  ],
  needs: ['authorizedKeys', 'window'],
  thresholds: {},
  detect(facts) {
    const out: DraftFinding[] = [];
    for (const k of facts.authorizedKeys) {
      if (k.type === null) continue;
      const reasons = reasonsFor(facts, k);
      if (reasons.length === 0) continue;
      const known = k.knownBad.length > 0;
      // A key sshd refuses, or keeps in a file it no longer reads, is not a way in today.
      const live = k.error === null && k.inUse;
      const severity: Severity = known ? 'critical' : live ? 'high' : 'medium';
      // root  /root/.ssh/authorized_keys:3  ssh-rsa AAAAB3NzaC1yc2E… mdrfckr
      const label = `${typeLabel(k.type)} ${k.fingerprint ?? '(no fingerprint)'}`;
      const comment = k.comment ? `"${printable(k.comment, 60)}"` : 'no comment';
      const head = known ? 'Known SSH kit key' : reasons[0].startsWith('its file changed') ? 'Authorized key added or changed in the incident window' : 'Suspicious authorized key';
      const notLive = [
        k.error ? `sshd would refuse this line (${k.error})` : null,
        k.inUse ? null : 'sshd does not read this file under the AuthorizedKeysFile in force (it would if the setting went back to the default)',
      ].filter(Boolean);
      out.push({
        rule: authorizedKey.id,
        severity,
        title: `${head} for ${k.user}: ${k.file}:${k.line} (${label}, ${comment})`,
        detail:
          `${k.file} line ${k.line} lets whoever holds this ${k.bits ?? '?'}-bit ${k.type} key log in as ${k.user} without a password. It is flagged because ${reasons.join('; ')}. ` +
          `The file: owner ${k.fileMeta.owner ?? k.fileMeta.uid}, mode ${k.fileMeta.mode}, modified ${k.fileMeta.mtime}, inode changed ${k.fileMeta.ctime}${k.fileMeta.birth ? `, created ${k.fileMeta.birth}` : ''}${k.fileMeta.linkTarget ? `, a link to ${k.fileMeta.linkTarget}` : ''}; ${facts.window.reason}.` +
          (notLive.length ? ` Note: ${notLive.join('; ')}.` : '') +
          loginsWith(facts, k.fingerprint) +
          ` Compare with \`ssh-keygen -lf ${k.file}\`. If nobody recognises the key, the intruder can come back with it: after the bundle is written, remove the line (lsattr -d the file and its folder first: \`chattr -i\` a locked one), and look for logins with this fingerprint in the auth log.`,
        mitre: authorizedKey.mitre,
        subject: {
          user: k.user,
          path: k.file,
          line: k.line,
          keyType: k.type,
          fingerprint: k.fingerprint,
          comment: k.comment,
          options: k.options.map((o) => (o.value === null ? o.name : `${o.name}="${o.value}"`)),
          knownBad: k.knownBad.map((h) => h.description),
          ip: null,
          pid: null,
        },
        evidence: ['artifacts/authorized-keys.jsonl', ...(k.copy ? [k.copy] : [])],
      });
    }
    return out;
  },
});

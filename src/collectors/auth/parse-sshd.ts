/**
 * Classifies one sshd / Dropbear / PAM / sudo / su log message into AuthEvent fields, through
 * the message catalogue (catalogue.ts). Pure.
 *
 * Version tolerance (see research/detection.md §6): pre-7.3 `Invalid user X from IP` (no port),
 * 7.5+ `authenticating user X` / `invalid user X` preambles, 8.0+ `kex_exchange_identification`,
 * 9.8+ `sshd-session`, 10.0+ `sshd-auth`, old `sshd(pam_unix)` tags whose messages carry no
 * `pam_unix(sshd:auth):` prefix.
 *
 * An invalid user's name is taken greedily up to the LAST ` from IP port N`: sshd logs the name
 * the client sent (spaces included, only control characters escaped), so a name such as
 * `x from 6.6.6.6 port 22 ssh2` cannot move the address. A valid user's name is an account of
 * the box: the first ` from IP port N ssh2` is the address, and text after `ssh2: ` never is.
 */
import {
  blank, matchCatalogue, type CatalogueEntry, type ClassifiedMessage,
} from './catalogue.js';

export type { AuthDetail, AuthKind, ClassifiedMessage } from './catalogue.js';

/** The programs whose messages are classified; other programs' lines are 'other'. */
export const SSHD_PROGRAMS: ReadonlySet<string> = new Set(['sshd', 'sshd-session', 'sshd-auth']);
/** Dropbear, the ssh server of routers and appliances. */
export const DROPBEAR_PROGRAMS: ReadonlySet<string> = new Set(['dropbear']);
/** Every ssh server program whose lines are counted per address. */
export const SSH_SERVER_PROGRAMS: ReadonlySet<string> = new Set([...SSHD_PROGRAMS, ...DROPBEAR_PROGRAMS]);

function base(program: string | null): string {
  if (!program) return '';
  return program.endsWith(')') ? program.replace(/\([^)]*\)$/, '') : program;
}

/** The body of a PAM message (after `pam_unix(svc:type): `, or the whole message of `sshd(pam_unix)`). */
function classifyPam(body: string, service: string | undefined): Classified {
  const hit = matchCatalogue('pam', body);
  const c = hit ? hit.cls : blank();
  if (service !== undefined) c.pamService = service;
  return { cls: c, entry: hit ? hit.entry : null };
}

/** sudo: `alice : [reason ; ]TTY=pts/0 ; PWD=/home/alice ; USER=root ; [GROUP=… ; ][ENV=… ; ]COMMAND=/bin/bash` */
function classifySudo(message: string): ClassifiedMessage {
  const msg = message.trim();
  const m = /^(\S+) : (.*)$/.exec(msg);
  if (!m) return blank();
  const rest = m[2];
  // The first COMMAND= that starts a field (COMMAND is the last field; the command may hold anything).
  let at = rest.startsWith('COMMAND=') ? 0 : -1;
  if (at < 0) {
    const i = rest.indexOf(' ; COMMAND=');
    if (i >= 0) at = i + 3;
  }
  if (at < 0) return blank();
  const c = blank('sudo');
  c.user = m[1];
  c.command = rest.slice(at + 'COMMAND='.length);
  for (const part of rest.slice(0, at).split(' ; ')) {
    const p = part.replace(/ ;\s*$/, '').trim();
    if (!p) continue;
    const eq = /^([A-Z]+)=(.*)$/.exec(p);
    if (!eq) c.reason = c.reason ? `${c.reason} ; ${p}` : p;
    else if (eq[1] === 'USER') c.targetUser = eq[2];
  }
  return c;
}

/** su (util-linux / shadow): `(to root) alice on pts/0`, `Successful su for root by alice`, `FAILED su for root by alice`. */
function classifySu(message: string): ClassifiedMessage {
  const msg = message.trim();
  let m: RegExpExecArray | null;
  if ((m = /^\(to (\S+)\) (\S+) on (\S+)$/.exec(msg))) {
    const c = blank('su');
    c.targetUser = m[1];
    c.user = m[2];
    return c;
  }
  if ((m = /^(Successful|FAILED) su for (\S+) by (\S+)$/.exec(msg))) {
    const c = blank('su');
    c.targetUser = m[2];
    c.user = m[3];
    if (m[1] === 'FAILED') c.reason = 'FAILED';
    return c;
  }
  return blank();
}

/** A classification and the catalogue entry that gave it (null: not in the catalogue). */
export interface Classified {
  cls: ClassifiedMessage;
  entry: CatalogueEntry | null;
}

const NONE = (): Classified => ({ cls: blank(), entry: null });

/**
 * Classifies a message of `program` (as written: sshd, sshd-session, sshd-auth, sshd(pam_unix),
 * dropbear, sudo, su, su(pam_unix)) and names the catalogue entry that matched. Messages not
 * recognised, and other programs (CRON's PAM session lines included), give kind 'other' and no entry.
 */
export function classifyEntry(program: string | null, message: string): Classified {
  const prog = base(program);
  const sshd = SSHD_PROGRAMS.has(prog);
  if (!sshd && prog !== 'sudo' && prog !== 'su' && prog !== 'dropbear') return NONE();
  const msg = message.trimEnd();
  // Old PAM tagged its own lines: `sshd(pam_unix)[pid]: authentication failure; …`.
  if (program !== null && program.endsWith(')') && /\(pam_[\w-]*\)$/.test(program)) return classifyPam(msg.trimStart(), prog);
  if (msg.startsWith('pam_')) {
    const pam = /^pam_[\w-]+\(([^:)]+):\w+\): (.*)$/.exec(msg);
    if (pam) return classifyPam(pam[2], pam[1]);
  }
  if (sshd) {
    const bare = msg.startsWith('error: ') || msg.startsWith('fatal: ') ? msg.slice(7) : msg;
    const hit = matchCatalogue('sshd', bare);
    return hit ?? NONE();
  }
  if (prog === 'dropbear') return matchCatalogue('dropbear', msg) ?? NONE();
  const cls = prog === 'sudo' ? classifySudo(msg) : classifySu(msg);
  return { cls, entry: null };
}

/** classifyEntry without the entry. */
export function classifyMessage(program: string | null, message: string): ClassifiedMessage {
  return classifyEntry(program, message).cls;
}

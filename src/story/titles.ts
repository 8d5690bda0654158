/**
 * An incident's title, as an officer reads it: what got in, what runs, what brings it back
 * ("Brute force and login as deploy from 127.0.0.3, then SSH scanner pscan2 running from
 * /tmp/.. /, restarted by cron"). Attacker values are kept one line and short.
 */
import type { Finding } from '../model/finding.js';
import { folderOf, LOGIN_RULES, type FindingSubjects } from './subjects.js';
import { processPhrase } from './story.js';
import { field, plural } from './words.js';

const BRUTE_RULES = new Set(['auth.bruteforce', 'login.btmp-bruteforce', 'network.ssh-inbound-flood', 'auth.enumeration']);

function has(findings: readonly Finding[], rule: string): boolean {
  return findings.some((f) => f.rule === rule);
}

/** What got in: a login, or the brute force alone. */
function entryPart(findings: readonly Finding[]): string | null {
  const login = findings.find((f) => LOGIN_RULES.has(f.rule));
  const brute = findings.filter((f) => BRUTE_RULES.has(f.rule));
  if (login) {
    const s = login.subject;
    const from = field(s.ip ?? s.host, 64);
    const user = field(s.user, 32);
    const forced = brute.length > 0 || (typeof s.failuresBefore === 'number' && s.failuresBefore > 0);
    return forced ? `Brute force and login as ${user} from ${from}` : `${user === 'root' ? 'root' : user} logged in from ${from}`;
  }
  if (brute.length === 0) return null;
  const addresses = [...new Set(brute.map((f) => String(f.subject.ip ?? f.subject.host ?? '?')))].sort();
  return addresses.length === 1 ? `SSH brute force from ${field(addresses[0], 64)}` : `SSH brute force from ${plural(addresses.length, 'address', 'addresses')}`;
}

/** What runs: a scanner or known tool, processes posing as a daemon, other flagged processes. */
function processPart(findings: readonly Finding[], subjects: readonly FindingSubjects[]): string | null {
  const procs = new Map<string, { comm: string; exe: string | null; rules: Set<string>; claimed: string | null }>();
  findings.forEach((f, i) => {
    const p = subjects[i]!.process;
    if (!p) return;
    const entry = procs.get(p.key) ?? { comm: p.record.comm, exe: p.record.exe, rules: new Set<string>(), claimed: null };
    entry.rules.add(f.rule);
    if (f.rule === 'process.masquerade' && typeof f.subject.claimed === 'string') entry.claimed = f.subject.claimed;
    procs.set(p.key, entry);
  });
  if (procs.size === 0) return null;
  const list = [...procs.values()];
  const where = (e: { exe: string | null }) => (e.exe ? ` running from ${field(folderOf(e.exe), 64)}` : '');
  const scanner = list.find((e) => e.rules.has('network.ssh-outbound-fanout'));
  const tool = list.find((e) => e.rules.has('process.known-tool'));
  if (scanner ?? tool) {
    const e = (scanner ?? tool)!;
    const more = list.length > 1 ? ` (${plural(list.length, 'process', 'processes')})` : '';
    return `${scanner ? 'SSH scanner' : 'known tool'} ${field(e.comm, 32)}${where(e)}${more}`;
  }
  const posing = list.filter((e) => e.claimed !== null);
  if (posing.length > 0) {
    const names = [...new Set(posing.map((e) => e.claimed!))].sort();
    const folders = [...new Set(posing.map((e) => (e.exe ? folderOf(e.exe) : '')))];
    const from = folders.length === 1 && folders[0] ? ` from ${field(folders[0], 64)}` : '';
    return posing.length === 1 ? `process posing as ${field(names[0], 32)}${from}` : `${plural(posing.length, 'process', 'processes')} posing as ${names.map((x) => field(x, 32)).join(', ')}${from}`;
  }
  if (list.length === 1) return `suspicious process ${field(list[0]!.comm, 32)}${where(list[0]!)}`;
  // Several processes: what the worst finding says of them, and their name when they share one.
  const worst = findings.find((_, i) => subjects[i]!.process !== null)!;
  const names = [...new Set(list.map((e) => e.comm))];
  const who = names.length === 1 ? `${plural(list.length, 'process', 'processes')} named ${field(names[0], 32)}` : plural(list.length, 'suspicious process', 'suspicious processes');
  return `${who}: ${processPhrase(worst)}`;
}

const FILE_WHAT: Readonly<Record<string, [string, string]>> = {
  'file.new-executable': ['new executable', 'new executables'],
  'file.setuid-unpackaged': ['setuid file', 'setuid files'],
};

/** Files planted: how many of each kind, and where. */
function filePart(findings: readonly Finding[]): string | null {
  const files = findings.filter((f) => FILE_WHAT[f.rule] !== undefined && typeof f.subject.path === 'string');
  if (files.length === 0) return null;
  const kinds = Object.entries(FILE_WHAT)
    .map(([rule, [one, many]]) => ({ count: files.filter((f) => f.rule === rule).length, one, many }))
    .filter((k) => k.count > 0)
    .map((k) => (files.length === 1 ? k.one : plural(k.count, k.one, k.many)));
  const folders = [...new Set(files.map((f) => folderOf(f.subject.path as string)))];
  if (files.length === 1) return `${kinds[0]} ${field(files[0]!.subject.path, 80)}`;
  return `${kinds.join(' and ')} ${folders.length === 1 ? `in ${field(folders[0], 64)}` : `in ${plural(folders.length, 'folder')}`}`;
}

/** The title of an incident from its findings (id order) and their subjects. */
export function incidentTitle(findings: readonly Finding[], subjects: readonly FindingSubjects[]): string {
  const parts: string[] = [];
  const entry = entryPart(findings);
  const procs = processPart(findings, subjects) ?? filePart(findings);
  if (entry) parts.push(entry);
  if (procs) parts.push(entry ? `then ${procs}` : procs);
  if (has(findings, 'persistence.preload') || (has(findings, 'process.preload') && findings.some((f) => f.rule === 'process.preload' && f.subject.path === '/etc/ld.so.preload'))) {
    parts.push('library preloaded into every process (/etc/ld.so.preload)');
  }
  const persistence = ['persistence.cron', 'persistence.systemd', 'persistence.startup'].filter((r) => has(findings, r));
  if (parts.length && persistence.length) {
    const how = persistence.map((r) => ({ 'persistence.cron': 'cron', 'persistence.systemd': 'a systemd unit', 'persistence.startup': 'a start-up file' })[r]).join(' and ');
    parts[parts.length - 1] += `, restarted by ${how}`;
  }
  if (parts.length === 0) {
    const worst = findings[0]!;
    return findings.length === 1 ? field(worst.title, 200) : `${field(worst.title, 200)} (and ${plural(findings.length - 1, 'related finding')})`;
  }
  const title = parts.join(', ');
  return title.charAt(0).toUpperCase() + title.slice(1);
}

import { settingDisablesHistory, type HistoryFile } from '../../model/activity.js';
import type { DraftFinding, Severity } from '../../model/finding.js';
import { short } from '../persistence/shared.js';
import { defineRule } from '../types.js';
import { commandFinding, signalsOf } from './shared.js';

/** Shell histories: the ones whose loss hides what was typed. */
const SHELL = new Set(['bash', 'zsh', 'fish', 'sh']);
/** A history written this long before a logout still counts as written at it (clocks, slow exits). */
const SLACK_MS = 60_000;

function isTty(line: string | null | undefined): boolean {
  return !!line && /^(?:pts\/|tty)/.test(line);
}

/**
 * activity.history-tampering: a history linked to /dev/null or elsewhere (or not a file), empty or
 * not written since the account's last login, turned off in a start-up file, or cleared by a
 * command in it (`history -c`, `unset HISTFILE`, `HISTFILE=/dev/null`, `> ~/.bash_history`).
 */
export const historyTampering = defineRule({
  id: 'activity.history-tampering',
  title: 'Shell history wiped, disabled or linked away',
  description: "Intruders hide what they typed: `history -c`, `unset HISTFILE`, `HISTFILE=/dev/null` at the prompt or in .bashrc, ~/.bash_history linked to /dev/null, emptied, or left unwritten by killing the shell. The missing history is itself the finding; the login records and the files changed in the window tell what the history does not.",
  level: 'high',
  mitre: ['T1070.003', 'T1562.003'],
  references: ['https://attack.mitre.org/techniques/T1070/003/', 'https://attack.mitre.org/techniques/T1562/003/'],
  falsePositives: [
    'Some administrators link ~/.mysql_history or ~/.psql_history to /dev/null on purpose (passwords typed in SQL): reported low.',
    'sftp, scp and non-interactive ssh commands log in without writing a history: a stale history is reported only after an interactive (pts/tty) session that ended.',
  ],
  needs: ['historyFiles', 'historyCommands', 'historySettings', 'window'],
  thresholds: {},
  detect(facts) {
    const out: DraftFinding[] = [];
    const windowStart = Date.parse(facts.window.start);
    const evidence = (f: HistoryFile) => ['artifacts/history-files.jsonl', ...(f.copy ? [f.copy] : [])];
    const fileFinding = (f: HistoryFile, severity: Severity, title: string, why: string, extra: Record<string, unknown> = {}): DraftFinding => ({
      rule: historyTampering.id,
      severity,
      title: `${title}: ${f.path}`,
      detail: `${f.user}'s ${f.format} history ${f.path}: ${why}. Read the login records and the files changed in the incident window for what the history no longer tells.`,
      mitre: historyTampering.mitre,
      subject: { pid: null, path: f.path, user: f.user, ip: null, format: f.format, type: f.type, linkTarget: f.linkTarget, mtime: f.mtime, ...extra },
      evidence: evidence(f),
    });
    // Interactive sessions per account (wtmp) and accepted ssh logins, in the window.
    const logins = new Map<string, Array<{ login: number; logout: number | null; tty: boolean }>>();
    const addLogin = (user: string | null, login: string, logout: string | null, tty: boolean) => {
      if (!user || !Number.isFinite(Date.parse(login)) || Date.parse(login) < windowStart) return;
      const l = logins.get(user) ?? [];
      l.push({ login: Date.parse(login), logout: logout ? Date.parse(logout) : null, tty });
      logins.set(user, l);
    };
    for (const s of facts.sessions ?? []) addLogin(s.user, s.login, s.logout, isTty(s.line));
    for (const l of facts.authLogins ?? []) addLogin(l.user, l.time, l.logout, false);

    for (const f of facts.historyFiles) {
      const shell = SHELL.has(f.format);
      if (f.type === 'link') {
        // Sample: ~/.bash_history -> /dev/null
        const toNull = f.linkTarget === '/dev/null';
        out.push(fileFinding(f, shell ? 'high' : 'low', toNull ? 'History linked to /dev/null' : 'History is a link', toNull ? 'it is a symbolic link to /dev/null: every command typed is thrown away' : `it is a symbolic link to ${JSON.stringify(f.linkTarget)}: commands go elsewhere (not followed, not read)`));
        continue;
      }
      if (f.type === 'other') {
        out.push(fileFinding(f, shell ? 'high' : 'low', 'History is not a regular file', 'it is a FIFO, device or folder: no history is kept in it'));
        continue;
      }
      if (!shell || f.notRead) continue;
      const sessions = logins.get(f.user) ?? [];
      if (f.size === 0 && sessions.length > 0) {
        out.push(fileFinding(f, 'medium', 'History empty although the account logged in', `it is empty, while ${f.user} logged in ${sessions.length} time(s) in the incident window (${facts.window.reason}): emptied, or never written`, { logins: sessions.length }));
        continue;
      }
      // The account's newest shell history, against its last interactive session that ended.
      const newest = facts.historyFiles.filter((x) => x.user === f.user && SHELL.has(x.format) && x.type === 'file').sort((a, b) => b.mtime.localeCompare(a.mtime))[0];
      if (newest !== f) continue;
      const lastLogout = Math.max(...sessions.filter((s) => s.tty && s.logout !== null).map((s) => s.logout!), -Infinity);
      if (Number.isFinite(lastLogout) && Date.parse(f.mtime) + SLACK_MS < lastLogout) {
        out.push(fileFinding(f, 'medium', 'History not written since the last login', `it was last written at ${f.mtime}, before ${f.user}'s interactive session that ended at ${new Date(lastLogout).toISOString()}: the shell did not save it (killed, HISTFILE unset) or it was put back`, { lastLogout: new Date(lastLogout).toISOString() }));
      }
    }

    for (const s of facts.historySettings) {
      // Sample: `export HISTFILE=/dev/null` in ~/.bashrc
      const why = settingDisablesHistory(s);
      if (!why) continue;
      out.push({
        rule: historyTampering.id,
        severity: 'high',
        title: `History turned off in ${s.file} line ${s.line}: ${short(s.text, 60)}`,
        detail: `${s.user ? `${s.user}'s start-up file` : 'The system-wide start-up file'} ${s.file}, line ${s.line}: ${JSON.stringify(short(s.text, 200))}: ${why}, for every ${s.user ? 'login of this account' : 'login on the box'}. Distributions never ship this; comment it out once the file is preserved.`,
        mitre: historyTampering.mitre,
        subject: { pid: null, path: s.file, line: s.line, user: s.user, ip: null, text: s.text },
        evidence: ['artifacts/history-settings.jsonl'],
      });
    }

    for (const c of facts.historyCommands) {
      // Sample: `history -c`, `unset HISTFILE`, `ln -sf /dev/null ~/.bash_history`
      const s = signalsOf(c, 'history-wipe');
      if (s.length === 0) continue;
      out.push(commandFinding(facts, historyTampering, c, 'high', 'History wiped from a shell', s.map((x) => x.what), 'What was typed before it (in this session) is gone from this file: look at the other histories, the login records and the files changed in the window.'));
    }
    return out;
  },
});

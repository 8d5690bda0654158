/**
 * What a history command does that a responder looks for, read from its text with the shell
 * lexer of the persistence collectors (simpleCommands): wiping logs or the history, turning off
 * defences, changing accounts and keys, running what an earlier line downloaded. Pure.
 */
import type { ActivitySignal } from '../../model/activity.js';
import { baseName, simpleCommands, type SimpleCommand } from '../persistence/parse-command.js';
import { parseHistorySettings, settingDisablesHistory } from './parse-settings.js';

/** Logs and login records an intruder wipes. */
const LOG_PATH = /^(?:\/var\/log(?:\/|$)|\/var\/run\/utmp$|\/run\/utmp$|\/var\/adm\/)|(?:^|\/)(?:wtmp|btmp|utmp|lastlog|auth\.log|secure|syslog|messages|audit\.log)(?:\.\d+)?(?:\.gz)?$/;
/** History files (by name). */
const HISTORY_NAME = /(?:^|\/)(?:\.bash_history|\.zsh_history|\.zhistory|\.histfile|\.ash_history|\.sh_history|\.ksh_history|fish_history|\.python_history|\.mysql_history|\.psql_history|\.lesshst|\.viminfo)$/;
/** Log cleaners of SSH and rootkit kits. */
const CLEANERS = /^(?:wtmpclean|mig-logcleaner|logcleaner|log-cleaner|zap[23]?|vanish2?|wipe|remove\.sh|cls)$/;
/** Services whose stop blinds the defender. */
const DEFENCES = /^(?:firewalld|ufw|iptables|ip6tables|nftables|netfilter-persistent|auditd|rsyslog|rsyslogd|syslog|syslog-ng|systemd-journald|journald|apparmor|fail2ban|falcon-sensor|osqueryd|wazuh-agent|ossec|ossec-hids|aide|clamav-daemon|clamd|sysmon|auoms|sentinelone|cbagentd|crowdstrike|elastic-agent|filebeat|auditbeat|snapd-apparmor|setroubleshoot)(?:\.service)?$/;
const DEFENCE_PROCS = /^(?:auditd|rsyslogd|syslogd|syslog-ng|systemd-journald|firewalld|fail2ban-server|falcon-sensor|osqueryd|wazuh-agentd|ossec-agentd|clamd)$/;
/** Account files whose edit changes who can log in or become root. */
const ACCOUNT_FILE = /^(?:\/etc\/(?:passwd|shadow|group|gshadow|sudoers)|\/etc\/sudoers\.d\/.*)$|(?:^|\/)authorized_keys2?$/;
const ACCOUNT_PROGS = new Set(['useradd', 'adduser', 'usermod', 'userdel', 'deluser', 'passwd', 'chpasswd', 'chage', 'gpasswd', 'groupadd', 'groupmod', 'vipw', 'vigr', 'visudo', 'newusers', 'addgroup']);
const FETCH = new Set(['curl', 'wget', 'fetch', 'tftp', 'aria2c', 'lwp-download']);

function truncatingRedirect(op: string): boolean {
  return op === '>' || op === '>|' || op === '&>';
}

/** File arguments (not options) of a command. */
function fileArgs(c: SimpleCommand): string[] {
  return c.words.slice(1).filter((a) => !a.startsWith('-'));
}

function logWipe(c: SimpleCommand, out: ActivitySignal[]): void {
  for (const r of c.redirects) {
    if (truncatingRedirect(r.op) && LOG_PATH.test(r.target)) out.push({ kind: 'log-wipe', what: `empties ${r.target} (\`${r.op} ${r.target}\`)`, target: r.target });
  }
  if (c.words.length === 0) return;
  const prog = baseName(c.words[0]);
  const args = c.words.slice(1);
  if (['rm', 'shred', 'unlink', 'truncate', 'srm', 'wipe'].includes(prog)) {
    for (const a of fileArgs(c)) if (LOG_PATH.test(a)) out.push({ kind: 'log-wipe', what: `${prog} ${a}`, target: a });
  } else if (prog === 'journalctl' && args.some((a) => /^--vacuum-(?:time|size|files)/.test(a))) {
    out.push({ kind: 'log-wipe', what: `journalctl ${args.find((a) => a.startsWith('--vacuum'))}: deletes journal files`, target: '/var/log/journal' });
  } else if (prog === 'find' && args.some((a) => LOG_PATH.test(a)) && args.some((a) => a === '-delete' || a === 'rm' || a === 'shred' || a === 'truncate')) {
    out.push({ kind: 'log-wipe', what: 'find … -delete/-exec rm over log files', target: args.find((a) => LOG_PATH.test(a)) ?? null });
  } else if ((prog === 'sed' || prog === 'perl') && args.some((a) => /^-[a-zA-Z]*i/.test(a)) && args.some((a) => LOG_PATH.test(a))) {
    out.push({ kind: 'log-wipe', what: `${prog} -i edits ${args.find((a) => LOG_PATH.test(a))}: lines removed from a log`, target: args.find((a) => LOG_PATH.test(a)) ?? null });
  } else if (prog === 'ln' && args.includes('/dev/null') && fileArgs(c).some((a) => LOG_PATH.test(a))) {
    out.push({ kind: 'log-wipe', what: `links ${fileArgs(c).find((a) => LOG_PATH.test(a))} to /dev/null`, target: fileArgs(c).find((a) => LOG_PATH.test(a)) ?? null });
  } else if (CLEANERS.test(prog)) {
    out.push({ kind: 'log-wipe', what: `runs the log cleaner ${prog}`, target: null });
  } else if (prog === 'utmpdump' && c.redirects.some((r) => /(?:wtmp|btmp|utmp)$/.test(r.target))) {
    out.push({ kind: 'log-wipe', what: 'utmpdump writes back an edited login record', target: c.redirects.find((r) => /(?:wtmp|btmp|utmp)$/.test(r.target))!.target });
  }
}

function historyWipe(c: SimpleCommand, out: ActivitySignal[]): void {
  for (const r of c.redirects) {
    if (truncatingRedirect(r.op) && HISTORY_NAME.test(r.target)) out.push({ kind: 'history-wipe', what: `empties the history file ${r.target}`, target: r.target });
  }
  if (c.words.length === 0) return;
  const prog = baseName(c.words[0]);
  const args = c.words.slice(1);
  if (prog === 'history' && args.some((a) => /^-[a-z]*c/.test(a))) out.push({ kind: 'history-wipe', what: 'history -c: clears the shell history', target: null });
  else if (prog === 'history' && args[0] === '-d') out.push({ kind: 'history-wipe', what: 'history -d: deletes history entries', target: null });
  else if (prog === 'history' && args[0] === '-w' && args[1] === '/dev/null') out.push({ kind: 'history-wipe', what: 'history -w /dev/null', target: null });
  else if (['rm', 'shred', 'unlink', 'truncate', 'srm', 'wipe'].includes(prog)) {
    for (const a of fileArgs(c)) if (HISTORY_NAME.test(a)) out.push({ kind: 'history-wipe', what: `${prog} ${a}`, target: a });
  } else if (prog === 'ln' && args.includes('/dev/null') && fileArgs(c).some((a) => HISTORY_NAME.test(a))) {
    out.push({ kind: 'history-wipe', what: `links ${fileArgs(c).find((a) => HISTORY_NAME.test(a))} to /dev/null`, target: fileArgs(c).find((a) => HISTORY_NAME.test(a)) ?? null });
  } else if (prog === 'kill' && args.some((a) => a === '$$') && args.some((a) => a === '-9' || a === '-KILL' || a === '-SIGKILL')) {
    out.push({ kind: 'history-wipe', what: 'kill -9 $$: the shell dies before it writes its history', target: null });
  }
}

function defenceOff(c: SimpleCommand, out: ActivitySignal[]): void {
  if (c.words.length === 0) return;
  const prog = baseName(c.words[0]);
  const args = c.words.slice(1);
  const add = (what: string, target: string | null) => out.push({ kind: 'defence-off', what, target });
  if ((prog === 'iptables' || prog === 'ip6tables' || prog === 'iptables-legacy' || prog === 'iptables-nft') && args.some((a) => a === '-F' || a === '--flush' || /^-[a-zA-Z]*F$/.test(a))) add(`${prog} -F: flushes the firewall rules`, prog);
  else if ((prog === 'iptables' || prog === 'ip6tables') && args.includes('-P') && args.includes('ACCEPT')) add(`${prog} -P … ACCEPT: opens the firewall's default policy`, prog);
  else if (prog === 'nft' && args.join(' ').startsWith('flush ruleset')) add('nft flush ruleset: removes every firewall rule', 'nftables');
  else if (prog === 'ufw' && args[0] === 'disable') add('ufw disable', 'ufw');
  else if (prog === 'setenforce' && (args[0] === '0' || /^permissive$/i.test(args[0] ?? ''))) add('setenforce 0: SELinux stops enforcing', 'selinux');
  else if (prog === 'auditctl' && (args.includes('-D') || (args.includes('-e') && args[args.indexOf('-e') + 1] === '0'))) add(`auditctl ${args.includes('-D') ? '-D: deletes every audit rule' : '-e 0: turns auditing off'}`, 'auditd');
  else if (prog === 'aa-teardown' || (prog === 'apparmor_parser' && args.includes('-R'))) add(`${prog}: unloads AppArmor profiles`, 'apparmor');
  else if (prog === 'systemctl') {
    const verb = args.find((a) => !a.startsWith('-'));
    if (verb && ['stop', 'disable', 'mask', 'kill'].includes(verb)) for (const u of args.slice(args.indexOf(verb) + 1).filter((a) => !a.startsWith('-'))) if (DEFENCES.test(u)) add(`systemctl ${verb} ${u}`, u.replace(/\.service$/, ''));
  } else if ((prog === 'service' || prog === 'rc-service') && args[0] && DEFENCES.test(args[0]) && ['stop', 'disable'].includes(args[1] ?? '')) add(`${prog} ${args[0]} ${args[1]}`, args[0]);
  else if (/^\/etc\/(?:rc\.d\/)?init\.d\//.test(c.words[0]) && DEFENCES.test(prog) && args[0] === 'stop') add(`${c.words[0]} stop`, prog);
  else if ((prog === 'pkill' || prog === 'killall') && fileArgs(c).some((a) => DEFENCE_PROCS.test(a))) add(`${prog} ${fileArgs(c).find((a) => DEFENCE_PROCS.test(a))}`, fileArgs(c).find((a) => DEFENCE_PROCS.test(a)) ?? null);
  else if ((prog === 'sed' || prog === 'perl') && args.some((a) => /SELINUX=(?:disabled|permissive)/.test(a))) add('edits the SELinux configuration to disabled', 'selinux');
}

function accountChange(c: SimpleCommand, out: ActivitySignal[]): void {
  for (const r of c.redirects) {
    if ((r.op === '>' || r.op === '>>' || r.op === '>|') && ACCOUNT_FILE.test(r.target)) out.push({ kind: 'account-change', what: `writes to ${r.target}`, target: r.target });
  }
  if (c.words.length === 0) return;
  const prog = baseName(c.words[0]);
  const args = c.words.slice(1);
  const files = fileArgs(c);
  if (ACCOUNT_PROGS.has(prog)) {
    out.push({ kind: 'account-change', what: `${prog} ${args.join(' ')}`.trim().slice(0, 200), target: files[files.length - 1] ?? null });
  } else if (prog === 'tee' && files.some((a) => ACCOUNT_FILE.test(a))) {
    out.push({ kind: 'account-change', what: `tee writes to ${files.find((a) => ACCOUNT_FILE.test(a))}`, target: files.find((a) => ACCOUNT_FILE.test(a)) ?? null });
  } else if ((prog === 'cp' || prog === 'mv' || prog === 'install' || prog === 'ln') && files.length >= 2 && ACCOUNT_FILE.test(files[files.length - 1])) {
    out.push({ kind: 'account-change', what: `${prog} over ${files[files.length - 1]}`, target: files[files.length - 1] });
  } else if ((prog === 'sed' || prog === 'perl') && args.some((a) => /^-[a-zA-Z]*i/.test(a)) && files.some((a) => ACCOUNT_FILE.test(a))) {
    out.push({ kind: 'account-change', what: `${prog} -i edits ${files.find((a) => ACCOUNT_FILE.test(a))}`, target: files.find((a) => ACCOUNT_FILE.test(a)) ?? null });
  } else if (prog === 'chattr' && files.some((a) => ACCOUNT_FILE.test(a))) {
    out.push({ kind: 'account-change', what: `chattr ${args[0] ?? ''} ${files.find((a) => ACCOUNT_FILE.test(a))}: locks or unlocks an account file`, target: files.find((a) => ACCOUNT_FILE.test(a)) ?? null });
  }
}

/** Files a fetch writes: `curl -o F`, `curl -O URL` (the URL's last part), `wget URL`, `wget -O F`. */
export function downloadedNames(c: SimpleCommand): string[] {
  if (c.words.length === 0 || !FETCH.has(baseName(c.words[0]))) return [];
  const prog = baseName(c.words[0]);
  const args = c.words.slice(1);
  const urls = args.filter((a) => /^[a-z]+:\/\//i.test(a) || /^\d+\.\d+\.\d+\.\d+[:/]/.test(a));
  const fromUrl = (u: string) => baseName(u.replace(/[?#].*$/, '')) || null;
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if ((prog === 'curl' && (a === '-o' || a === '--output')) || (prog === 'wget' && (a === '-O' || a === '--output-document'))) {
      if (args[i + 1] && args[i + 1] !== '-') out.push(args[i + 1]);
      i++;
    } else if (prog === 'curl' && (a === '-O' || a === '--remote-name' || /^-[a-zA-Z]*O$/.test(a))) {
      for (const u of urls) if (fromUrl(u)) out.push(fromUrl(u)!);
    } else if (prog === 'wget' && /^--output-document=/.test(a)) out.push(a.slice(a.indexOf('=') + 1));
  }
  if (prog === 'wget' && out.length === 0 && !args.some((a) => a === '-O' || a === '-qO-' || a === '-O-' || /^-[a-zA-Z]*O-?$/.test(a))) for (const u of urls) if (fromUrl(u)) out.push(fromUrl(u)!);
  return out.filter((n) => n !== '-');
}

/** State carried from line to line of one history file. */
export interface FileState {
  /** The working folder a `cd` left, when absolute or home-relative. */
  cwd: string | null;
  /** Files downloaded by earlier lines (base name → line). */
  downloads: Map<string, number>;
}

export function newFileState(): FileState {
  return { cwd: null, downloads: new Map() };
}

/** The signals of one shell command, and what it teaches the state (its `cd`, its downloads). */
export function classifyCommand(text: string, state: FileState, home: string | null): ActivitySignal[] {
  const out: ActivitySignal[] = [];
  const cmds = simpleCommands(text);
  for (const c of cmds) {
    logWipe(c, out);
    historyWipe(c, out);
    defenceOff(c, out);
    accountChange(c, out);
    if (c.words.length === 0) continue;
    const prog = baseName(c.words[0]);
    // Running (or making executable) a file a line before downloaded.
    const touched = prog === 'chmod' ? fileArgs(c).slice(1) : [c.words[0], ...(/^(?:sh|bash|dash|ash|zsh|ksh|busybox|perl|python[0-9.]*|php|nohup|setsid)$/.test(prog) ? fileArgs(c).slice(0, 1) : [])];
    for (const t of touched) {
      const name = baseName(t);
      const line = state.downloads.get(name);
      if (line === undefined || (prog !== 'chmod' && t === c.words[0] && !t.includes('/'))) continue;
      out.push({ kind: 'download-run', what: `${prog === 'chmod' ? 'makes executable' : 'runs'} ${t}, downloaded on line ${line}`, target: t });
      state.downloads.delete(name);
    }
  }
  // HISTFILE=/dev/null, HISTSIZE=0, unset HISTFILE, set +o history typed at the prompt.
  for (const s of parseHistorySettings(text, '', null)) {
    const why = settingDisablesHistory(s);
    if (why && !out.some((o) => o.kind === 'history-wipe' && o.what === why)) out.push({ kind: 'history-wipe', what: why, target: null });
  }
  return out;
}

/** Learns the downloads and the `cd` of a command (after classifying it, so a line does not match itself). */
export function learn(text: string, state: FileState, home: string | null, lineNo: number): void {
  for (const c of simpleCommands(text)) {
    if (c.words.length === 0) continue;
    for (const n of downloadedNames(c)) state.downloads.set(baseName(n), lineNo);
    if (c.words[0] === 'cd') {
      const d = c.words[1];
      if (!d || d === '~') state.cwd = home;
      else if (d.startsWith('/')) state.cwd = d;
      else if (d.startsWith('~/') && home) state.cwd = `${home}${d.slice(1)}`;
      else if (state.cwd && !d.startsWith('-') && !d.includes('$')) state.cwd = `${state.cwd.replace(/\/$/, '')}/${d}`;
    }
  }
}

/** The command as analyzeCommand should read it: after the `cd` of earlier lines, so `./x` resolves. */
export function withCwd(text: string, state: FileState): string {
  if (!state.cwd) return text;
  return `cd '${state.cwd.replace(/'/g, `'\\''`)}'\n${text}`;
}

import type { SshdMatchBlock, SshdSetting } from '../../model/access.js';
import { sshdPorts, type ListenAddress } from './sshd-ports.js';
import { walkSshdConfig } from './parse-sshd-config.js';
import { lookup } from '../../model/lookup.js';

/**
 * The settings that decide who can log in and how, with OpenSSH's defaults (sshd_config(5),
 * servconf.c fill_default_server_options) for when no line sets them. UsePAM is off upstream;
 * Debian and RHEL set it in the shipped file.
 */
export const SSHD_DEFAULTS: Readonly<Record<string, readonly string[]>> = {
  permitrootlogin: ['prohibit-password'],
  passwordauthentication: ['yes'],
  kbdinteractiveauthentication: ['yes'],
  permitemptypasswords: ['no'],
  pubkeyauthentication: ['yes'],
  authorizedkeysfile: ['.ssh/authorized_keys', '.ssh/authorized_keys2'],
  authorizedkeyscommand: ['none'],
  authorizedkeyscommanduser: ['none'],
  authorizedprincipalsfile: ['none'],
  trustedusercakeys: ['none'],
  maxauthtries: ['6'],
  usepam: ['no'],
  permituserenvironment: ['no'],
};

/** Old names sshd still reads as another keyword (servconf.c keywords[]). */
export const SSHD_ALIASES: Readonly<Record<string, string>> = {
  challengeresponseauthentication: 'kbdinteractiveauthentication',
};

/** Keywords whose lines add up instead of the first one winning. */
const ACCUMULATE = new Set(['allowusers', 'denyusers', 'allowgroups', 'denygroups', 'acceptenv', 'hostkey', 'subsystem', 'setenv', 'hostcertificate']);
/** Counted by the ports parser, not here. */
const NOT_SETTINGS = new Set(['match', 'port', 'listenaddress']);

export interface SshdSettingsResult {
  settings: Record<string, SshdSetting>;
  matchBlocks: SshdMatchBlock[];
  ports: number[];
  listenAddresses: ListenAddress[];
  files: string[];
  errors: string[];
}

/** The keyword sshd stores a line under (aliases folded), lower case. */
export function canonicalKeyword(keyword: string): string {
  const k = keyword.toLowerCase();
  return lookup(SSHD_ALIASES, k) ?? k;
}

/**
 * Every setting in force for a connection no Match block matches: for each keyword the first
 * line that sets it wins, as in sshd; the defaults above fill the rest. Match blocks are kept
 * apart with their own settings.
 */
export function resolveSshdSettings(
  readFile: (absPath: string) => string | null,
  listGlob: (pattern: string) => string[],
  mainPath = '/etc/ssh/sshd_config',
): SshdSettingsResult {
  // Keywords come from the box: no prototype, so `__proto__` or `constructor` is a keyword like any other.
  const settings: Record<string, SshdSetting> = Object.create(null) as Record<string, SshdSetting>;
  const blocks = new Map<string, SshdMatchBlock>();
  const walk = walkSshdConfig(readFile, listGlob, mainPath, {}, (d) => {
    if (d.keyword === 'match') {
      if (d.match) blocks.set(`${d.match.file}:${d.match.line}`, { criteria: d.match.criteria, file: d.match.file, line: d.match.line, settings: [] });
      return;
    }
    const keyword = canonicalKeyword(d.keyword);
    if (d.match) {
      const key = `${d.match.file}:${d.match.line}`;
      if (!blocks.has(key)) blocks.set(key, { criteria: d.match.criteria, file: d.match.file, line: d.match.line, settings: [] });
      blocks.get(key)!.settings.push({ keyword, value: d.args, file: d.file, line: d.line });
      return;
    }
    if (!d.active || NOT_SETTINGS.has(keyword)) return;
    const seen = settings[keyword];
    if (!seen) settings[keyword] = { value: d.args, file: d.file, line: d.line, source: 'config' };
    else if (ACCUMULATE.has(keyword)) seen.value = [...seen.value, ...d.args];
  });
  for (const [keyword, value] of Object.entries(SSHD_DEFAULTS)) {
    settings[keyword] ??= { value: [...value], file: null, line: null, source: 'default' };
  }
  const ports = sshdPorts(readFile, listGlob, mainPath);
  return {
    settings,
    matchBlocks: [...blocks.values()],
    ports: ports.effectivePorts,
    listenAddresses: ports.listenAddresses,
    files: walk.files,
    // The ports parse walks the same files: its list holds the walk's messages plus its own.
    errors: ports.errors,
  };
}

/** `sshd -T` output: one `keyword value…` a line; repeated keywords (listenaddress, port) add up. */
export function parseSshdT(text: string): Record<string, string[]> {
  const out: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const sp = line.indexOf(' ');
    const keyword = (sp < 0 ? line : line.slice(0, sp)).toLowerCase();
    const value = sp < 0 ? '' : line.slice(sp + 1).trim();
    (out[keyword] ??= []).push(value);
  }
  return out;
}

/** The settings compared between the files and sshd -T. */
export const COMPARED = [
  'permitrootlogin',
  'passwordauthentication',
  'kbdinteractiveauthentication',
  'permitemptypasswords',
  'pubkeyauthentication',
  'authorizedkeysfile',
  'authorizedkeyscommand',
  'maxauthtries',
  'usepam',
  'permituserenvironment',
] as const;

/** One spelling per value: lower case, sshd's alias for prohibit-password folded. */
export function normalizeSettingValue(keyword: string, value: string): string {
  let v = value.trim().replace(/\s+/g, ' ');
  if (keyword !== 'authorizedkeysfile' && keyword !== 'authorizedkeyscommand') v = v.toLowerCase();
  if (keyword === 'permitrootlogin' && v === 'without-password') v = 'prohibit-password';
  if (keyword === 'authorizedkeyscommand' && v === '') v = 'none';
  return v;
}

/** Where the files and sshd -T disagree on the settings that matter here. */
export function compareWithSshdT(settings: Record<string, SshdSetting>, sshdT: Record<string, string[]>): Array<{ keyword: string; files: string; sshdT: string }> {
  const out: Array<{ keyword: string; files: string; sshdT: string }> = [];
  for (const keyword of COMPARED) {
    const t = sshdT[keyword];
    const f = settings[keyword];
    if (!t || !f) continue;
    const files = normalizeSettingValue(keyword, f.value.join(' '));
    const fromT = normalizeSettingValue(keyword, t.join(' '));
    if (files !== fromT) out.push({ keyword, files, sshdT: fromT });
  }
  return out;
}

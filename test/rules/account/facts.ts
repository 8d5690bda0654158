import type { AccountRecord, AuthorizedKeyRecord, FileMeta, SshdConfigRecord } from '../../../src/model/access.js';
import type { IncidentWindow } from '../../../src/model/window.js';

/** A window opening on 2026-03-01: times from then on are new. */
export const WINDOW: IncidentWindow = { start: '2026-03-01T00:00:00.000Z', end: '2026-03-10T00:00:00.000Z', source: 'since', reason: 'the incident window starts at 2026-03-01T00:00:00.000Z (--since)' };
export const OLD = '2025-06-01T00:00:00.000Z';
export const NEW = '2026-03-05T10:00:00.000Z';
/** 2026-03-05 as an /etc/shadow day. */
export const NEW_DAY = Math.floor(Date.parse(NEW) / 86_400_000);
export const OLD_DAY = Math.floor(Date.parse(OLD) / 86_400_000);

export function meta(over: Partial<FileMeta> & { path: string }): FileMeta {
  return { type: 'file', linkTarget: null, size: 100, mode: '0600', uid: 1000, gid: 1000, owner: 'alice', mtime: OLD, ctime: OLD, birth: OLD, ...over };
}

export function account(over: Partial<AccountRecord> & { user: string }): AccountRecord {
  return {
    uid: 1000,
    gid: 1000,
    gecos: '',
    home: `/home/${over.user}`,
    shell: '/bin/bash',
    line: 5,
    loginShell: true,
    passwdField: 'shadow',
    shadow: { state: 'hash', algorithm: 'yescrypt', lastChangeDay: OLD_DAY, lastChange: '2025-06-01', minDays: 0, maxDays: 99999, warnDays: 7, inactiveDays: null, expireDay: null, expire: null, expired: false, line: 5 },
    groups: [over.user],
    privilegedGroups: [],
    homeMeta: meta({ path: `/home/${over.user}`, type: 'dir', mode: '0750' }),
    ...over,
  };
}

export function key(over: Partial<AuthorizedKeyRecord> & { user: string }): AuthorizedKeyRecord {
  const file = over.file ?? `/home/${over.user}/.ssh/authorized_keys`;
  return {
    uid: 1000,
    file,
    line: 1,
    inUse: true,
    type: 'ssh-ed25519',
    bits: 256,
    fingerprint: 'SHA256:O+rejNZlBi8rCevgMMDoXYDj+t8YU35h3RXccFr+fgg',
    comment: `${over.user}@laptop`,
    options: [],
    error: null,
    fileMeta: meta({ path: file }),
    fileAttributes: { flags: '--------------e-------', immutable: false, appendOnly: false, note: null },
    dirMeta: meta({ path: file.replace(/\/[^/]+$/, ''), type: 'dir', mode: '0700' }),
    dirAttributes: { flags: '--------------e-------', immutable: false, appendOnly: false, note: null },
    copy: `files/ssh-keys${file}`,
    knownBad: [],
    ...over,
  };
}

export function sshd(settings: Record<string, string[]>, over: Partial<SshdConfigRecord> = {}): SshdConfigRecord {
  const defaults: Record<string, string[]> = {
    permitrootlogin: ['prohibit-password'],
    passwordauthentication: ['no'],
    kbdinteractiveauthentication: ['no'],
    permitemptypasswords: ['no'],
    pubkeyauthentication: ['yes'],
    authorizedkeysfile: ['.ssh/authorized_keys', '.ssh/authorized_keys2'],
    authorizedkeyscommand: ['none'],
    maxauthtries: ['6'],
    usepam: ['yes'],
    permituserenvironment: ['no'],
  };
  const all = { ...defaults, ...settings };
  return {
    main: '/etc/ssh/sshd_config',
    missing: false,
    files: ['/etc/ssh/sshd_config'],
    settings: Object.fromEntries(Object.entries(all).map(([k, v], i) => [k, { value: v, file: '/etc/ssh/sshd_config', line: i + 1, source: 'config' as const }])),
    ports: [22],
    listenAddresses: [],
    matchBlocks: [],
    errors: [],
    sshdT: null,
    sshdTNote: null,
    disagreements: [],
    ...over,
  };
}

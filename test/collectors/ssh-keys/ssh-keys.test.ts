import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { attributesFromFlags, fileMeta, parseLsattr } from '../../../src/collectors/file-meta.js';
import { matchKnownKeys, parseKnownKeys } from '../../../src/collectors/ssh-keys/known-keys.js';
import { expandKeysFile, keyCopyPath, keyFileCandidates, keysFilePatterns } from '../../../src/collectors/ssh-keys/ssh-keys.js';
import { RootedFs } from '../../../src/host/rooted-fs.js';
import type { SshdConfigRecord } from '../../../src/model/access.js';
import { tmpDir } from '../../helpers/bundle.js';
import { isRoot, REPO } from '../../helpers/cli.js';

function config(authorizedkeysfile: string[], match: Array<{ criteria: string; files: string[] }> = []): SshdConfigRecord {
  return {
    main: '/etc/ssh/sshd_config',
    missing: false,
    files: [],
    settings: { authorizedkeysfile: { value: authorizedkeysfile, file: '/etc/ssh/sshd_config', line: 1, source: 'config' } },
    ports: [22],
    listenAddresses: [],
    matchBlocks: match.map((m, i) => ({ criteria: m.criteria, file: '/etc/ssh/sshd_config', line: 10 + i, settings: [{ keyword: 'authorizedkeysfile', value: m.files, file: '/etc/ssh/sshd_config', line: 11 + i }] })),
    errors: [],
    sshdT: null,
    sshdTNote: null,
    disagreements: [],
  };
}

describe('which files sshd reads keys from', () => {
  it('expands %h %u %U %% and puts relative paths under the home', () => {
    const u = { user: 'alice', uid: 1000, home: '/home/alice/' };
    expect(expandKeysFile('.ssh/authorized_keys', u)).toBe('/home/alice/.ssh/authorized_keys');
    expect(expandKeysFile('%h/.ssh/keys_%u', u)).toBe('/home/alice/.ssh/keys_alice');
    expect(expandKeysFile('/etc/ssh/keys/%U', u)).toBe('/etc/ssh/keys/1000');
    expect(expandKeysFile('/srv/100%%/%u', u)).toBe('/srv/100%/alice');
    expect(expandKeysFile('../../etc/x', u)).toBe('/etc/x');
  });

  it('the setting in force, every Match block, and the default names (marked not in use when the setting replaced them)', () => {
    expect(keysFilePatterns(undefined)).toEqual({ inUse: ['.ssh/authorized_keys', '.ssh/authorized_keys2'], all: ['.ssh/authorized_keys', '.ssh/authorized_keys2'] });
    const c = config(['/etc/ssh/keys/%u'], [{ criteria: 'User deploy', files: ['%h/.ssh/deploy_keys'] }]);
    expect(keysFilePatterns(c)).toEqual({ inUse: ['/etc/ssh/keys/%u', '%h/.ssh/deploy_keys'], all: ['/etc/ssh/keys/%u', '%h/.ssh/deploy_keys', '.ssh/authorized_keys', '.ssh/authorized_keys2'] });
    const files = keyFileCandidates([{ user: 'alice', uid: 1000, home: '/home/alice' }], c);
    expect(files.map((f) => [f.user, f.file, f.inUse])).toEqual([
      ['alice', '/etc/ssh/keys/alice', true],
      ['alice', '/home/alice/.ssh/deploy_keys', true],
      ['alice', '/home/alice/.ssh/authorized_keys', false],
      ['alice', '/home/alice/.ssh/authorized_keys2', false],
      ['root', '/etc/ssh/keys/root', true],
      ['root', '/root/.ssh/deploy_keys', true],
      ['root', '/root/.ssh/authorized_keys', false],
      ['root', '/root/.ssh/authorized_keys2', false],
    ]);
    expect(keyFileCandidates([], config(['none'])).map((f) => f.inUse)).toEqual([false, false]);
  });

  it('one candidate per file when accounts share a home; homes that are not absolute are skipped', () => {
    const files = keyFileCandidates([{ user: 'root', uid: 0, home: '/root' }, { user: 'toor', uid: 0, home: '/root' }, { user: 'odd', uid: 5, home: 'relative' }], undefined);
    expect(files.map((f) => [f.user, f.file])).toEqual([['root', '/root/.ssh/authorized_keys'], ['root', '/root/.ssh/authorized_keys2']]);
  });

  it('bundle paths are safe', () => {
    expect(keyCopyPath('/home/a b/.ssh/authorized_keys')).toBe('files/ssh-keys/home/a_b/.ssh/authorized_keys');
    expect(keyCopyPath('/../../etc/x')).toBe('files/ssh-keys/etc/x');
  });
});

describe('the known-bad key list', () => {
  it('the shipped list parses without errors and holds the Outlaw key', async () => {
    const { readFileSync } = await import('node:fs');
    const file = path.join(REPO, 'playbooks/tools/keys.txt');
    const { entries, errors } = parseKnownKeys(readFileSync(file, 'utf8'), file);
    expect(errors).toEqual([]);
    expect(matchKnownKeys(entries, { comment: 'mdrfckr', fingerprint: null }).map((h) => [h.field, h.list])).toEqual([['comment', 'keys.txt:20']]);
    expect(matchKnownKeys(entries, { comment: 'renamed', fingerprint: 'SHA256:MkYY9qiVsFGBC5WkjoClCkwEFW5iSjcGQF7m4n4H7Cw' })).toHaveLength(1);
    expect(matchKnownKeys(entries, { comment: 'mdrfckr2', fingerprint: 'SHA256:x' })).toEqual([]);
  });

  it('fields, regexes, descriptions with ";", bad lines by number', () => {
    const text = ['# c', 'comment;evil;Kit X', 'comment-re;(?i)^hax0r;Kit Y; with a semicolon', 'fingerprint;SHA256:short;bad', 'nope;x;y', 'comment-re;([;bad', 'justonefield', 'comment;;empty'].join('\n');
    const { entries, errors } = parseKnownKeys(text, '/x/k.txt');
    expect(entries.map((e) => [e.field, e.value, e.description, e.line])).toEqual([
      ['comment', 'evil', 'Kit X', 2],
      ['comment-re', '(?i)^hax0r', 'Kit Y; with a semicolon', 3],
    ]);
    expect(errors.map((e) => e.line)).toEqual([4, 5, 6, 7, 8]);
    expect(matchKnownKeys(entries, { comment: 'HAX0R@box', fingerprint: null }).map((h) => h.list)).toEqual(['k.txt:3']);
    expect(matchKnownKeys(entries, { comment: 'Evil', fingerprint: null })).toEqual([]);
  });
});

describe('file metadata through the root', () => {
  it('a link is recorded with its target and never followed out of the root', async () => {
    const root = tmpDir('irt-pk-meta-');
    mkdirSync(path.join(root, 'home/a/.ssh'), { recursive: true });
    writeFileSync(path.join(root, 'home/a/.ssh/real'), 'x');
    symlinkSync('real', path.join(root, 'home/a/.ssh/authorized_keys'));
    symlinkSync('/etc/hostname', path.join(root, 'home/a/.ssh/authorized_keys2'));
    const fs = new RootedFs(root);
    expect(await fileMeta(fs, '/home/a/.ssh/authorized_keys', new Map())).toMatchObject({ type: 'file', linkTarget: 'real', size: 1 });
    // /etc/hostname inside the root does not exist: the link dangles, it does not reach the examiner's file.
    expect(await fileMeta(fs, '/home/a/.ssh/authorized_keys2', new Map())).toMatchObject({ type: 'link', linkTarget: '/etc/hostname' });
    rmSync(root, { recursive: true, force: true });
  });
});

describe('lsattr', () => {
  it('parses FLAGS PATH lines, paths with spaces too', () => {
    const m = parseLsattr('----i---------e------- /home/a/.ssh/authorized_keys\n-----a--------e------- /home/b c/.ssh\n');
    expect([...m]).toEqual([
      ['/home/a/.ssh/authorized_keys', '----i---------e-------'],
      ['/home/b c/.ssh', '-----a--------e-------'],
    ]);
    expect(attributesFromFlags('----i---------e-------')).toEqual({ flags: '----i---------e-------', immutable: true, appendOnly: false, note: null });
  });

  it.skipIf(!isRoot || !existsSync('/usr/bin/chattr'))('reads what the real chattr set (root)', () => {
    const dir = tmpDir('irt-pk-lsattr-');
    const file = path.join(dir, 'authorized keys');
    writeFileSync(file, 'x');
    try {
      execFileSync('chattr', ['+i', file]);
      const m = parseLsattr(execFileSync('lsattr', ['-d', '--', file, dir], { encoding: 'utf8' }));
      expect(attributesFromFlags(m.get(file)!)).toMatchObject({ immutable: true, appendOnly: false });
      expect(attributesFromFlags(m.get(dir)!)).toMatchObject({ immutable: false });
    } finally {
      execFileSync('chattr', ['-i', file]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

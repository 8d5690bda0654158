import { describe, expect, it } from 'vitest';
import { findShadows, uniqueDirs } from '../../../src/collectors/integrity/shadowing.js';

describe('findShadows', () => {
  it('flags an unpackaged tool met before the packaged one', () => {
    const hits = [
      { path: '/usr/local/bin/ss', packaged: false },
      { path: '/usr/bin/ss', packaged: true },
    ];
    expect(findShadows(hits)).toEqual([{ path: '/usr/local/bin/ss', shadows: '/usr/bin/ss' }]);
  });

  it('flags every unpackaged copy before the packaged one, each once', () => {
    const hits = [
      { path: '/usr/local/sbin/ps', packaged: false },
      { path: '/usr/local/bin/ps', packaged: false },
      { path: '/usr/local/bin/ps', packaged: false },
      { path: '/usr/bin/ps', packaged: true },
    ];
    expect(findShadows(hits).map((s) => s.path)).toEqual(['/usr/local/sbin/ps', '/usr/local/bin/ps']);
  });

  it('ignores unpackaged copies after the packaged one: the shell never reaches them', () => {
    expect(findShadows([{ path: '/usr/sbin/sshd', packaged: true }, { path: '/usr/local/bin/sshd-later', packaged: false }])).toEqual([]);
  });

  it('says nothing when no copy is packaged (a tool built from source) or all are', () => {
    expect(findShadows([{ path: '/usr/local/bin/lsof', packaged: false }])).toEqual([]);
    expect(findShadows([{ path: '/usr/sbin/x', packaged: true }, { path: '/usr/bin/x', packaged: true }])).toEqual([]);
    expect(findShadows([])).toEqual([]);
  });

  it('never reports the packaged file as shadowing itself', () => {
    expect(findShadows([{ path: '/usr/bin/ps', packaged: false }, { path: '/usr/bin/ps', packaged: true }])).toEqual([]);
  });
});

describe('uniqueDirs', () => {
  it('folds /sbin and /bin into /usr/sbin and /usr/bin on a /usr-merged box, keeping PATH order', () => {
    const dirs = [
      { dir: '/usr/local/sbin', real: '/usr/local/sbin' },
      { dir: '/usr/local/bin', real: '/usr/local/bin' },
      { dir: '/usr/sbin', real: '/usr/sbin' },
      { dir: '/usr/bin', real: '/usr/bin' },
      { dir: '/sbin', real: '/usr/sbin' },
      { dir: '/bin', real: '/usr/bin' },
    ];
    expect(uniqueDirs(dirs)).toEqual(['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin']);
  });
});

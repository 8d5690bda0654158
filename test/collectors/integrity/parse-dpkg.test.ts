import { describe, expect, it } from 'vitest';
import {
  fnmatchRegExp,
  isPathExcluded,
  parseDiversions,
  parseDpkgList,
  parseDpkgStatus,
  parseMd5sums,
  parsePathFilters,
  parseStatOverride,
} from '../../../src/collectors/integrity/parse-dpkg.js';

describe('parseMd5sums', () => {
  it('reads md5sum lines, makes paths absolute and lower-cases the hash', () => {
    const text = '08a07e7517a09d2f40e2618eff4adf22  bin/ps\n5FB40A2D75DA02B308F6B8014AFBB9E7  usr/bin/pgrep\n';
    expect(parseMd5sums(text)).toEqual({
      entries: [
        { path: '/bin/ps', md5: '08a07e7517a09d2f40e2618eff4adf22' },
        { path: '/usr/bin/pgrep', md5: '5fb40a2d75da02b308f6b8014afbb9e7' },
      ],
      problems: [],
    });
  });

  it('keeps spaces in names, reads the binary-mode marker, an absolute or ./ path, and a last line without newline', () => {
    const text = [
      'd41d8cd98f00b204e9800998ecf8427e  usr/share/doc/a b/c  d.txt',
      'd41d8cd98f00b204e9800998ecf8427e *usr/lib/x.so',
      'd41d8cd98f00b204e9800998ecf8427e  /usr/bin/abs',
      'd41d8cd98f00b204e9800998ecf8427e  ./usr/bin/dot',
    ].join('\n');
    expect(parseMd5sums(text).entries.map((e) => e.path)).toEqual(['/usr/share/doc/a b/c  d.txt', '/usr/lib/x.so', '/usr/bin/abs', '/usr/bin/dot']);
  });

  it("undoes md5sum's escaping of names with a backslash or a newline", () => {
    const text = '\\d41d8cd98f00b204e9800998ecf8427e  usr/bin/back\\\\slash\n\\d41d8cd98f00b204e9800998ecf8427e  usr/bin/new\\nline\n';
    expect(parseMd5sums(text).entries.map((e) => e.path)).toEqual(['/usr/bin/back\\slash', '/usr/bin/new\nline']);
  });

  it('reports lines that are not md5sum lines, with their number', () => {
    const text = 'garbage\nd41d8cd98f00b204e9800998ecf8427e  usr/bin/ok\nd41d8cd98f00b204e9800998ecf8427  short/hash\nd41d8cd98f00b204e9800998ecf8427e\n';
    const r = parseMd5sums(text);
    expect(r.entries.map((e) => e.path)).toEqual(['/usr/bin/ok']);
    expect(r.problems.map((p) => p.line)).toEqual([1, 3, 4]);
  });

  it('reads an empty file as no entries', () => {
    expect(parseMd5sums('')).toEqual({ entries: [], problems: [] });
  });
});

describe('parseDpkgList', () => {
  it('drops the /. root line and empty lines, keeps folders and files in order', () => {
    expect(parseDpkgList('/.\n/bin\n/bin/ps\n/usr/bin/pkill\n\n')).toEqual(['/bin', '/bin/ps', '/usr/bin/pkill']);
  });

  it('keeps names with spaces as they are and ignores lines that are not paths', () => {
    expect(parseDpkgList('/.\n/usr/share/a b\nnot a path\n/usr/bin/x')).toEqual(['/usr/share/a b', '/usr/bin/x']);
  });
});

describe('parseDiversions', () => {
  it('reads entries of three lines: the path, where it goes, who holds it', () => {
    const text = '/usr/bin/perf\n/usr/bin/perf.wrapper\nlinux-perf\n/bin/ps\n/bin/ps.real\n:\n';
    expect(parseDiversions(text)).toEqual({
      diversions: [
        { from: '/usr/bin/perf', to: '/usr/bin/perf.wrapper', by: 'linux-perf' },
        { from: '/bin/ps', to: '/bin/ps.real', by: ':' },
      ],
      problems: [],
    });
  });

  it('reports an entry out of shape and an incomplete tail', () => {
    const r = parseDiversions('/a\n/b\n/c\n/d\n/e\npkg\n/f\n/g\n');
    expect(r.diversions).toEqual([{ from: '/d', to: '/e', by: 'pkg' }]);
    expect(r.problems.map((p) => p.line)).toEqual([1, 7]);
  });

  it('reads an empty file as no diversion', () => {
    expect(parseDiversions('')).toEqual({ diversions: [], problems: [] });
  });
});

describe('parseDpkgStatus', () => {
  const status = [
    'Package: procps',
    'Status: install ok installed',
    'Architecture: amd64',
    'Version: 2:4.0.2-3',
    'Conffiles:',
    ' /etc/sysctl.conf 0123456789abcdef0123456789abcdef',
    ' /etc/init.d/procps fedcba9876543210fedcba9876543210 obsolete',
    ' /etc/new file.conf newconffile',
    'Description: /proc file system utilities',
    ' continuation line of the description',
    '',
    'Package: libc6',
    'Status: install ok half-installed',
    'Architecture: amd64',
    'Multi-Arch: same',
    'Version: 2.36-9+deb12u4',
    '',
    'Package: iproute2',
    'Status: install ok unpacked',
    'Version: 6.1.0-3',
    '',
  ].join('\n');

  it('keys multi-arch "same" packages by name:arch as their info/ files are named', () => {
    expect([...parseDpkgStatus(status).keys()]).toEqual(['procps', 'libc6:amd64', 'iproute2']);
  });

  it('reads version, state and conffiles (obsolete and newconffile markers dropped)', () => {
    const map = parseDpkgStatus(status);
    expect(map.get('procps')).toEqual({
      name: 'procps',
      architecture: 'amd64',
      version: '2:4.0.2-3',
      state: 'installed',
      multiArchSame: false,
      conffiles: ['/etc/sysctl.conf', '/etc/init.d/procps', '/etc/new file.conf'],
    });
    expect(map.get('libc6:amd64')!.state).toBe('half-installed');
    expect(map.get('iproute2')).toMatchObject({ state: 'unpacked', architecture: null });
  });

  it('keeps the installed paragraph when a package appears twice', () => {
    const twice = 'Package: x\nStatus: install ok installed\nVersion: 1\n\nPackage: x\nStatus: deinstall ok config-files\nVersion: 0\n';
    expect(parseDpkgStatus(twice).get('x')).toMatchObject({ version: '1', state: 'installed' });
  });
});

describe('parseStatOverride', () => {
  it('reads user, group, octal mode and path', () => {
    const text = 'root crontab 2755 /usr/bin/crontab\nroot messagebus 4754 /usr/lib/dbus-1.0/dbus-daemon-launch-helper\nbad line\n';
    expect(parseStatOverride(text)).toEqual([
      { user: 'root', group: 'crontab', mode: '2755', path: '/usr/bin/crontab' },
      { user: 'root', group: 'messagebus', mode: '4754', path: '/usr/lib/dbus-1.0/dbus-daemon-launch-helper' },
    ]);
  });
});

describe('dpkg path filters', () => {
  const filters = parsePathFilters(
    [
      '# Drop docs and man pages (minimal images)',
      'path-exclude=/usr/share/doc/*',
      'path-include=/usr/share/doc/*/copyright',
      'path-exclude /usr/share/man/*',
      'path-exclude=/usr/lib/x86_64-linux-gnu/gconv/IBM???.so',
      'no-debsig',
    ].join('\n'),
  );

  it('reads path-exclude and path-include lines in order', () => {
    expect(filters.map((f) => `${f.kind} ${f.glob}`)).toEqual([
      'exclude /usr/share/doc/*',
      'include /usr/share/doc/*/copyright',
      'exclude /usr/share/man/*',
      'exclude /usr/lib/x86_64-linux-gnu/gconv/IBM???.so',
    ]);
  });

  it("lets the last matching filter decide, with * crossing / as dpkg's fnmatch does", () => {
    expect(isPathExcluded('/usr/share/doc/procps/changelog.gz', filters)).toBe(true);
    expect(isPathExcluded('/usr/share/doc/procps/copyright', filters)).toBe(false);
    expect(isPathExcluded('/usr/share/man/man1/ps.1.gz', filters)).toBe(true);
    expect(isPathExcluded('/usr/lib/x86_64-linux-gnu/gconv/IBM037.so', filters)).toBe(true);
    expect(isPathExcluded('/usr/lib/x86_64-linux-gnu/gconv/IBM1047.so', filters)).toBe(false);
    expect(isPathExcluded('/usr/bin/ps', filters)).toBe(false);
  });

  it('reads bracket classes and escapes as fnmatch does', () => {
    expect(fnmatchRegExp('/usr/bin/[pq]s').test('/usr/bin/ps')).toBe(true);
    expect(fnmatchRegExp('/usr/bin/[!pq]s').test('/usr/bin/ps')).toBe(false);
    expect(fnmatchRegExp('/usr/bin/a\\*b').test('/usr/bin/a*b')).toBe(true);
    expect(fnmatchRegExp('/usr/bin/a\\*b').test('/usr/bin/axxb')).toBe(false);
    expect(fnmatchRegExp('/usr/lib/libc.so.6').test('/usr/lib/libcXso.6')).toBe(false);
  });
});

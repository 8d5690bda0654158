import { describe, expect, it } from 'vitest';
import { splitArgs } from '../../../src/collectors/sshd-config/parse-sshd-config.js';
import { parseListenAddress, sshdPorts } from '../../../src/collectors/sshd-config/sshd-ports.js';

/** An in-memory /etc/ssh: readFile and a glob(3)-like lister over its paths (`*`, `?`, `[…]` within one path segment). */
function fakeFs(files: Record<string, string>) {
  const reads: string[] = [];
  const globs: string[] = [];
  const readFile = (p: string): string | null => {
    reads.push(p);
    return Object.prototype.hasOwnProperty.call(files, p) ? files[p] : null;
  };
  const listGlob = (pattern: string): string[] => {
    globs.push(pattern);
    const re = new RegExp(
      '^' +
        pattern
          .split('')
          .map((c) => (c === '*' ? '[^/]*' : c === '?' ? '[^/]' : c === '[' || c === ']' ? c : c.replace(/[.+^${}()|\\]/g, '\\$&')))
          .join('') +
        '$',
    );
    // Unsorted on purpose: the parser must sort like glob(3).
    return Object.keys(files).filter((p) => re.test(p)).reverse();
  };
  return { readFile, listGlob, reads, globs };
}

const MAIN = '/etc/ssh/sshd_config';

describe('sshdPorts', () => {
  it('defaults to 22 when the config names no Port', () => {
    const fs = fakeFs({ [MAIN]: '# nothing\nPermitRootLogin no\n' });
    const r = sshdPorts(fs.readFile, fs.listGlob);
    expect(r).toMatchObject({ ports: [], defaulted: true, effectivePorts: [22], files: [MAIN], errors: [] });
  });

  it('collects every Port, keywords case-insensitive, = separator, comments', () => {
    const fs = fakeFs({
      [MAIN]: [
        '#Port 1111',
        '  # Port 1112',
        'Port 2222',
        'port=2223',
        'PORT = 2224',
        '\tpOrT\t2225   # admin port',
        'Port "2226"',
        'Port 22',
        'Port 2222',
        'Portx 9999',
        '',
      ].join('\r\n'),
    });
    const r = sshdPorts(fs.readFile, fs.listGlob);
    expect(r.ports).toEqual([22, 2222, 2223, 2224, 2225, 2226]);
    expect(r.defaulted).toBe(false);
    expect(r.effectivePorts).toEqual([22, 2222, 2223, 2224, 2225, 2226]);
    expect(r.errors).toEqual([]);
  });

  it('does not imply 22 once a Port line exists', () => {
    const fs = fakeFs({ [MAIN]: 'Port 2222\n' });
    const r = sshdPorts(fs.readFile, fs.listGlob);
    expect(r.ports).toEqual([2222]);
    expect(r.defaulted).toBe(false);
    expect(r.effectivePorts).toEqual([2222]);
  });

  it('reports bad port numbers and keeps the good ones', () => {
    const fs = fakeFs({ [MAIN]: 'Port 0\nPort 65536\nPort abc\nPort ssh\nPort\nPort 2200 2201\n' });
    const r = sshdPorts(fs.readFile, fs.listGlob);
    expect(r.ports).toEqual([22, 2200]);
    expect(r.errors).toEqual([
      `${MAIN}:1: bad port number "0"`,
      `${MAIN}:2: bad port number "65536"`,
      `${MAIN}:3: bad port number "abc"`,
      `${MAIN}:5: no argument after keyword "Port"`,
      `${MAIN}:6: garbage at end of line after Port 2200`,
    ]);
  });

  it('reads ListenAddress in every form', () => {
    const fs = fakeFs({
      [MAIN]: [
        'Port 2222',
        'ListenAddress 127.0.0.1',
        'ListenAddress 127.0.0.2:2200',
        'ListenAddress [::1]:2201',
        'ListenAddress ::1',
        'ListenAddress [::1]',
        'ListenAddress 127.0.0.3/2202',
        'listenaddress=localhost:2203 rdomain vrf0',
        'ListenAddress [::ffff:127.0.0.1]:2204',
        'ListenAddress 127.0.0.4:',
        'ListenAddress [::1]x',
        'ListenAddress 127.0.0.5:99999',
      ].join('\n'),
    });
    const r = sshdPorts(fs.readFile, fs.listGlob);
    expect(r.listenAddresses.map((l) => [l.host, l.port, l.line])).toEqual([
      ['127.0.0.1', null, 2],
      ['127.0.0.2', 2200, 3],
      ['::1', 2201, 4],
      ['::1', null, 5],
      ['::1', null, 6],
      ['127.0.0.3', 2202, 7],
      ['localhost', 2203, 8],
      ['::ffff:127.0.0.1', 2204, 9],
    ]);
    expect(r.ports).toEqual([2200, 2201, 2202, 2203, 2204, 2222]);
    expect(r.effectivePorts).toEqual([2200, 2201, 2202, 2203, 2204, 2222]);
    expect(r.errors).toEqual([
      `${MAIN}:10: bad port number "" in ListenAddress "127.0.0.4:"`,
      `${MAIN}:11: bad address:port usage "[::1]x"`,
      `${MAIN}:12: bad port number "99999" in ListenAddress "127.0.0.5:99999"`,
    ]);
  });

  it('listens only on the ListenAddress ports when every address has one', () => {
    const fs = fakeFs({ [MAIN]: 'ListenAddress 127.0.0.1:2200\nListenAddress [::1]:2201\n' });
    const r = sshdPorts(fs.readFile, fs.listGlob);
    expect(r.defaulted).toBe(true);
    expect(r.ports).toEqual([2200, 2201]);
    expect(r.effectivePorts).toEqual([2200, 2201]);
    const mixed = fakeFs({ [MAIN]: 'ListenAddress 127.0.0.1:2200\nListenAddress ::1\n' });
    expect(sshdPorts(mixed.readFile, mixed.listGlob).effectivePorts).toEqual([22, 2200]);
  });

  it('follows Include with relative paths (under /etc/ssh), absolute paths and globs, in glob order', () => {
    const fs = fakeFs({
      [MAIN]: 'Include sshd_config.d/*.conf\nInclude /etc/ssh/extra.conf /etc/ssh/missing.conf\nPort 2000\n',
      '/etc/ssh/sshd_config.d/20-b.conf': 'Port 2020\n',
      '/etc/ssh/sshd_config.d/10-a.conf': 'Port 2010\nInclude nested/*\n',
      '/etc/ssh/sshd_config.d/readme.txt': 'Port 9999\n',
      '/etc/ssh/nested/x': 'ListenAddress [::1]:2030\n',
      '/etc/ssh/extra.conf': 'Port=2040\n',
    });
    const r = sshdPorts(fs.readFile, fs.listGlob);
    expect(r.files).toEqual([
      MAIN,
      '/etc/ssh/sshd_config.d/10-a.conf',
      '/etc/ssh/nested/x',
      '/etc/ssh/sshd_config.d/20-b.conf',
      '/etc/ssh/extra.conf',
    ]);
    expect(fs.globs).toEqual(['/etc/ssh/sshd_config.d/*.conf', '/etc/ssh/nested/*']);
    expect(r.ports).toEqual([2000, 2010, 2020, 2030, 2040]);
    expect(r.errors).toEqual([
      `${MAIN}:2: included file /etc/ssh/missing.conf not found or unreadable (sshd skips a missing include)`,
    ]);
  });

  it('resolves relative Include paths against the sshDir option', () => {
    const fs = fakeFs({ '/srv/box/etc/ssh/sshd_config': 'Include conf.d/*\n', '/srv/box/etc/ssh/conf.d/a': 'Port 2500\n' });
    const r = sshdPorts(fs.readFile, fs.listGlob, '/srv/box/etc/ssh/sshd_config', { sshDir: '/srv/box/etc/ssh/' });
    expect(r.ports).toEqual([2500]);
  });

  it('stops at an Include cycle and reports it', () => {
    const fs = fakeFs({
      [MAIN]: 'Port 2100\nInclude a.conf\n',
      '/etc/ssh/a.conf': 'Port 2101\nInclude b*.conf\n',
      '/etc/ssh/b1.conf': 'Port 2102\nInclude /etc/ssh/a.conf\nInclude sshd_config\n',
    });
    const r = sshdPorts(fs.readFile, fs.listGlob);
    expect(r.ports).toEqual([2100, 2101, 2102]);
    expect(r.files).toEqual([MAIN, '/etc/ssh/a.conf', '/etc/ssh/b1.conf']);
    expect(r.errors).toHaveLength(2);
    expect(r.errors[0]).toMatch(
      /^\/etc\/ssh\/b1\.conf:2: Include cycle \/etc\/ssh\/sshd_config -> \/etc\/ssh\/a\.conf -> \/etc\/ssh\/b1\.conf -> \/etc\/ssh\/a\.conf /,
    );
    expect(r.errors[1]).toMatch(/^\/etc\/ssh\/b1\.conf:3: Include cycle .* -> \/etc\/ssh\/sshd_config /);
  });

  it('a self-include is a cycle too', () => {
    const fs = fakeFs({ [MAIN]: 'Include *_config\nPort 2300\n' });
    const r = sshdPorts(fs.readFile, fs.listGlob);
    expect(r.ports).toEqual([2300]);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toContain('Include cycle');
  });

  it('stops at the depth limit on a long include chain', () => {
    const files: Record<string, string> = { [MAIN]: 'Include c1\n' };
    for (let i = 1; i <= 20; i++) files[`/etc/ssh/c${i}`] = `Port ${3000 + i}\nInclude c${i + 1}\n`;
    const fs = fakeFs(files);
    const r = sshdPorts(fs.readFile, fs.listGlob);
    // Depth 1..16 are read (OpenSSH SERVCONF_MAX_DEPTH = 16), c17 is refused.
    expect(r.ports).toEqual(Array.from({ length: 16 }, (_, i) => 3001 + i));
    expect(r.errors).toEqual([`/etc/ssh/c16:2: Include of /etc/ssh/c17 is deeper than 16 levels (sshd would fail)`]);
    const shallow = sshdPorts(fs.readFile, fs.listGlob, MAIN, { maxDepth: 2 });
    expect(shallow.ports).toEqual([3001, 3002]);
  });

  it('does not collect Port or ListenAddress inside a Match block, and resumes after Match all', () => {
    const fs = fakeFs({
      [MAIN]: [
        'Port 2222',
        'Match User backup',
        '  Port 2223',
        '  ListenAddress 127.0.0.1:2224',
        '  PasswordAuthentication no',
        'Match Address 127.0.0.0/8',
        'Port 2225',
        'match ALL',
        'Port 2226',
        'Match all # back to global',
        'ListenAddress 127.0.0.1:2227',
      ].join('\n'),
    });
    const r = sshdPorts(fs.readFile, fs.listGlob);
    expect(r.ports).toEqual([2222, 2226, 2227]);
    expect(r.errors).toEqual([
      `${MAIN}:3: Port is not allowed within a Match block (sshd would refuse to start); ignored`,
      `${MAIN}:4: ListenAddress is not allowed within a Match block (sshd would refuse to start); ignored`,
      `${MAIN}:7: Port is not allowed within a Match block (sshd would refuse to start); ignored`,
    ]);
  });

  it('ends a Match from an included file at the end of that file; files included inside Match never match', () => {
    const fs = fakeFs({
      [MAIN]: ['Include inc/match.conf', 'Port 2400', 'Match User x', 'Include inc/in-match.conf', 'Match all', 'Port 2401'].join('\n'),
      '/etc/ssh/inc/match.conf': 'Match Group admins\nPort 2402\n',
      '/etc/ssh/inc/in-match.conf': 'Port 2403\nMatch all\nPort 2404\n',
    });
    const r = sshdPorts(fs.readFile, fs.listGlob);
    expect(r.ports).toEqual([2400, 2401]);
    expect(r.errors).toEqual([
      '/etc/ssh/inc/match.conf:2: Port is not allowed within a Match block (sshd would refuse to start); ignored',
      '/etc/ssh/inc/in-match.conf:1: Port is not allowed within a Match block (sshd would refuse to start); ignored',
      '/etc/ssh/inc/in-match.conf:3: Port is not allowed within a Match block (sshd would refuse to start); ignored',
    ]);
  });

  it('reports an unreadable main file and an unterminated quote without throwing', () => {
    const none = fakeFs({});
    expect(sshdPorts(none.readFile, none.listGlob)).toMatchObject({
      ports: [],
      defaulted: true,
      files: [],
      errors: [`${MAIN}: cannot read`],
    });
    const q = fakeFs({ [MAIN]: 'Include "sshd config.d/*\nPort 2600\n' });
    const r = sshdPorts(q.readFile, q.listGlob);
    expect(r.ports).toEqual([2600]);
    expect(r.errors).toEqual([`${MAIN}:1: unterminated quote`]);
  });

  it('passes quoted Include paths with spaces to the glob', () => {
    const fs = fakeFs({ [MAIN]: 'Include "sshd config.d/*.conf"\n', '/etc/ssh/sshd config.d/a.conf': 'Port 2700\n' });
    const r = sshdPorts(fs.readFile, fs.listGlob);
    expect(fs.globs).toEqual(['/etc/ssh/sshd config.d/*.conf']);
    expect(r.ports).toEqual([2700]);
  });
});

describe('helpers', () => {
  it('splitArgs follows argv_split: quotes, escapes, comments', () => {
    expect(splitArgs('a b\tc')).toEqual(['a', 'b', 'c']);
    expect(splitArgs('"a b" \'c d\' e\\ f')).toEqual(['a b', 'c d', 'e f']);
    expect(splitArgs('a #comment')).toEqual(['a']);
    expect(splitArgs('a#b')).toEqual(['a#b']);
    expect(splitArgs('"unterminated')).toBeNull();
  });

  it('parseListenAddress', () => {
    expect(parseListenAddress('::')).toEqual({ host: '::', port: null });
    expect(parseListenAddress('[::]:22')).toEqual({ host: '::', port: 22 });
    expect(parseListenAddress('0.0.0.0')).toEqual({ host: '0.0.0.0', port: null });
    expect(parseListenAddress('127.0.0.1:ssh')).toEqual({ host: '127.0.0.1', port: 22 });
    expect(parseListenAddress('[::1')).toEqual({ error: 'bad address:port usage "[::1"' });
  });
});

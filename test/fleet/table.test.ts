/** The fleet table and its order, on inline rows: fitting, cutting, sanitising, sorting. */
import { describe, expect, it } from 'vitest';
import { compareRows, type FleetRow } from '../../src/fleet/summary.js';
import { cut, renderFleetFooter, renderFleetTable } from '../../src/fleet/table.js';

function row(over: Partial<FleetRow>): FleetRow {
  return {
    bundle: 'evidence/web1/web1-20261122T034340Z.tar.gz',
    ok: true,
    problems: [],
    host: 'web1',
    case: 'web1-20261122T034340Z',
    examiner: null,
    startedAt: null,
    action: null,
    verdict: 'clean',
    headline: 'No sign of compromise found',
    partial: false,
    counts: { informational: 0, low: 0, medium: 0, high: 0, critical: 0 },
    findings: 0,
    top: [],
    incidents: null,
    ...over,
  };
}

const counts = (critical: number, high: number, medium = 0) => ({ informational: 0, low: 0, medium, high, critical });

describe('cut', () => {
  it('keeps text that fits, marks a cut with one ellipsis at the chosen end', () => {
    expect(cut('abcdef', 6)).toBe('abcdef');
    expect(cut('abcdef', 4)).toBe('abc…');
    expect(cut('abcdef', 4, 'start')).toBe('…def');
    expect(cut('abcdef', 1)).toBe('…');
    expect(cut('abcdef', 0)).toBe('');
  });

  it('never splits a character made of two UTF-16 units', () => {
    expect(cut('😀😀😀', 2)).toBe('😀…');
    expect(cut('😀😀😀', 2, 'start')).toBe('…😀');
  });
});

describe('compareRows', () => {
  it('orders by verdict, then the counts from critical down, then host; no verdict and broken last', () => {
    const rows = [
      row({ host: 'clean-b' }),
      row({ host: 'broken', ok: false, verdict: null, counts: null, problems: ['x'] }),
      row({ host: 'q', verdict: null, counts: null, action: 'quarantine' }),
      row({ host: 'attacked', verdict: 'attacked', counts: counts(0, 0, 2) }),
      row({ host: 'comp-1', verdict: 'compromised', counts: counts(0, 3) }),
      row({ host: 'clean-a' }),
      row({ host: 'comp-2', verdict: 'compromised', counts: counts(1, 0) }),
      row({ host: 'attacking', verdict: 'attacking', counts: counts(0, 1) }),
      row({ host: 'suspicious', verdict: 'suspicious', counts: counts(0, 0, 1) }),
    ];
    expect(rows.sort(compareRows).map((r) => r.host)).toEqual(['comp-2', 'comp-1', 'attacking', 'attacked', 'suspicious', 'clean-a', 'clean-b', 'q', 'broken']);
  });
});

describe('renderFleetTable', () => {
  const long = row({
    verdict: 'compromised',
    counts: counts(1, 2, 3),
    findings: 6,
    top: ['Login accepted after 212 failures: deploy from 203.0.113.7 (password)', 'Known SSH scanner running: pscan2 (pid 4242)', 'root logged in over ssh from 203.0.113.7'],
    bundle: '/srv/incidents/2026-11-abuse-report/evidence/web1.example.org/web1-20261122T034340Z.tar.gz',
  });

  it('without a width: every cell whole, one line per row, columns aligned', () => {
    const lines = renderFleetTable([long, row({ host: 'db2', case: 'db2-X', bundle: 'evidence/db2/db2-X.tar.gz' })]).split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toContain(long.top.join('; '));
    expect(lines[2].endsWith(long.bundle)).toBe(true);
    expect(lines[2]).toMatch(/^web1 +web1-20261122T034340Z +compromised +no +1 +2 +3 +0 +0  Login/);
    expect(lines[3]).toMatch(/^db2  +db2-X +clean +no +0 +0 +0 +0 +0  - +evidence\/db2\/db2-X\.tar\.gz$/);
    const verdictAt = lines[0].indexOf('verdict');
    expect(lines[2].indexOf('compromised')).toBe(verdictAt);
    expect(lines[3].indexOf('clean')).toBe(verdictAt);
  });

  it('fits the width: the titles keep their start, the path its end; the widest gives way first', () => {
    for (const width of [160, 140, 120]) {
      const lines = renderFleetTable([long], width).split('\n');
      for (const l of lines) expect(l.length).toBeLessThanOrEqual(width);
      const cells = lines[2].split(/ {2,}/);
      const [top, bundle] = cells.slice(-2);
      expect(top).toMatch(/^Login acc.*…$/);
      expect(bundle).toMatch(/^….*\.tar\.gz$/);
      expect(long.bundle.endsWith(bundle.slice(1))).toBe(true);
      // Titles weigh more than the path: they keep more of the room.
      expect(top.length).toBeGreaterThan(bundle.length);
      expect(cells[1]).toMatch(/^web1-20261122T03/);
      expect(cells.slice(2, 9)).toEqual(['compromised', 'no', '1', '2', '3', '0', '0']);
    }
    // Below what the fixed columns need, lines overflow rather than lose the verdict or the counts.
    expect(renderFleetTable([long], 40).split('\n')[2]).toMatch(/compromised +no +1 +2 +3 +0 +0/);
  });

  it('box text is data: controls become visible, a title cannot break the line', () => {
    const evil = row({
      host: 'h\x1b[2J',
      case: 'c\u202eexe.txt',
      verdict: 'suspicious',
      counts: counts(0, 1),
      top: ['bad\x1b]0;title\x07\nsecond line', 'x'.repeat(500)],
    });
    const text = renderFleetTable([evil]);
    expect(text.split('\n')).toHaveLength(3);
    expect(text).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]/);
    expect(text).toContain('h\\x1b[2J');
    expect(text).toContain('c\\u202eexe.txt');
    expect(text).toContain('bad\\x1b]0;title\\x07\\x0asecond line; ');
    expect(text).toContain(`${'x'.repeat(119)}…`);
    expect(text).not.toContain('x'.repeat(120));
  });

  it('a broken bundle says so in the verdict column with its first problem; a quarantine bundle has no verdict', () => {
    const lines = renderFleetTable([
      row({ ok: false, host: null, case: null, verdict: null, partial: null, counts: null, problems: ['junk.tar.gz is not a readable .tar.gz: incorrect header check'], bundle: 'ev/junk.tar.gz' }),
      row({ verdict: null, counts: null, action: 'quarantine', bundle: 'ev/q.tar.gz' }),
    ]).split('\n');
    expect(lines[2]).toMatch(/^\? +\? +NOT INTACT +- +- +- +- +- +-  junk\.tar\.gz is not a readable \.tar\.gz: incorrect header check  ev\/junk\.tar\.gz$/);
    expect(lines[3]).toMatch(/^web1 .* - +no +- +- +- +- +-  \(quarantine bundle: no findings\) +ev\/q\.tar\.gz$/);
  });
});

describe('renderFleetTable with incidents', () => {
  const story = row({
    verdict: 'compromised',
    counts: counts(1, 7, 4),
    findings: 12,
    top: ['Login as deploy from 127.0.0.3 after 30 failed attempts'],
    incidents: { count: 2, main: 'deploy logged in from 127.0.0.3 and started pscan2', titles: ['deploy logged in from 127.0.0.3 and started pscan2', 'Three fake sshd'] },
  });
  const older = row({ host: 'db2', case: 'db2-X', bundle: 'evidence/db2/db2-X.tar.gz' });

  it('adds a main-incident column before the finding titles only when a bundle has incidents', () => {
    expect(renderFleetTable([older]).split('\n')[0]).not.toContain('main incident');
    const lines = renderFleetTable([story, older]).split('\n');
    expect(lines[0]).toMatch(/^host +case +verdict +partial +crit +high +med +low +info +main incident +top findings +bundle$/);
    expect(lines[2]).toMatch(/ 1 +7 +4 +0 +0  2 · deploy logged in from 127\.0\.0\.3 and started pscan2 +Login as deploy/);
    // A bundle without incidents.json (older) shows a dash there.
    expect(lines[3]).toMatch(/ 0 +0 +0 +0 +0  - +- +evidence\/db2/);
  });

  it('the main incident gives way on a narrow terminal, and its title is data', () => {
    for (const width of [160, 120]) {
      const lines = renderFleetTable([story, older], width).split('\n');
      for (const l of lines) expect(l.length).toBeLessThanOrEqual(width);
      expect(lines[2]).toMatch(/ 2 · deploy.*…/);
    }
    const evil = renderFleetTable([row({ ...story, incidents: { count: 1, main: 'a\x1b]8;;http://e/\x07link\x1b]8;;\x07\nnext', titles: [] } })]);
    expect(evil.split('\n')).toHaveLength(3);
    expect(evil).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
    expect(evil).toContain('1 · a\\x1b]8;;http://e/\\x07link');
  });
});

describe('renderFleetFooter', () => {
  it('counts per verdict, then one line per broken bundle with its first problem', () => {
    const rows = [
      row({ verdict: 'compromised' }),
      row({}),
      row({}),
      row({ ok: false, verdict: null, counts: null, problems: ['hash mismatch: findings.json (…)', 'another'], bundle: 'ev/a.tar.gz' }),
    ];
    expect(renderFleetFooter(rows)).toEqual([
      '4 bundles: 1 compromised, 2 clean; 1 NOT INTACT',
      'NOT INTACT: ev/a.tar.gz: hash mismatch: findings.json (…) (and 1 more: ir-triage verify ev/a.tar.gz)',
    ]);
    expect(renderFleetFooter([rows[3]])[0]).toBe('1 bundle: 1 NOT INTACT');
  });
});

/**
 * Every catalogue entry's sample line, through the parser in-process and through the built CLI
 * (`ir-triage analyze --json`): each gives one event of the entry's kind, and nothing is left
 * "not understood".
 */
import { utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AnalyzeResult } from '../../../src/cli/analyze.js';
import { CATALOGUE, type CatalogueEntry } from '../../../src/collectors/auth/catalogue.js';
import { AuthLogParser } from '../../../src/collectors/auth/events.js';
import { makeYearResolver, parseSyslogLine } from '../../../src/collectors/auth/parse-syslog.js';
import { classifyEntry } from '../../../src/collectors/auth/parse-sshd.js';
import { tmpDir } from '../../helpers/bundle.js';
import { runCli } from '../../helpers/cli.js';

const eventKind = (e: CatalogueEntry) => (e.kind === 'ignored' ? 'other' : e.kind);

describe('the message catalogue', () => {
  it('has unique ids, a sample per entry, OpenSSH and Dropbear entries of every kind a rule reads', () => {
    const ids = CATALOGUE.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    const kinds = new Set(CATALOGUE.map((e) => e.kind));
    for (const k of ['accepted', 'failed', 'invalid-user', 'root-refused', 'max-attempts', 'preauth-disconnect', 'no-identification', 'kex-failed', 'auth-timeout', 'pam-failure', 'session-opened', 'session-closed', 'ignored']) {
      expect(kinds, k).toContain(k);
    }
    expect(CATALOGUE.filter((e) => e.scope === 'dropbear').map((e) => e.kind)).toEqual(expect.arrayContaining(['failed', 'accepted', 'invalid-user', 'max-attempts', 'auth-timeout']));
    for (const e of CATALOGUE) expect(e.versions, e.id).toMatch(/OpenSSH|Dropbear|PAM|pam_/);
  });

  for (const entry of CATALOGUE) {
    it(`${entry.id}: its sample is understood as ${entry.kind}`, () => {
      const rec = parseSyslogLine(entry.sample);
      expect(rec, entry.sample).not.toBeNull();
      const hit = classifyEntry(rec!.program, rec!.message);
      expect(hit.entry, entry.sample).not.toBeNull();
      expect(hit.cls.kind, entry.sample).toBe(eventKind(entry));

      const p = new AuthLogParser({ source: 'x', yearResolver: makeYearResolver(new Date(Date.UTC(2025, 11, 31))) });
      const events = [...p.push(entry.sample, 1), ...p.end()];
      expect(events.map((e) => e.kind)).toEqual([eventKind(entry)]);
      expect(p.stats.notUnderstood).toBe(0);
      expect(p.stats.ignored).toBe(entry.kind === 'ignored' ? 1 : 0);
      // A kind counted per address names the address (or, for messages without one, leaves it to the pid).
      if (['failed', 'invalid-user', 'root-refused', 'kex-failed', 'auth-timeout', 'accepted'].includes(entry.kind) && !/rejected|is locked/.test(entry.sample)) {
        expect(events[0].ip, entry.sample).not.toBeNull();
      }
    });
  }

  it('analyze --json reads the whole catalogue: events per kind as the catalogue says, none not understood', async () => {
    const dir = tmpDir('irt-catalogue-');
    const file = path.join(dir, 'auth.log');
    writeFileSync(file, CATALOGUE.map((e) => e.sample).join('\n') + '\n');
    utimesSync(file, new Date(Date.UTC(2025, 2, 4)), new Date(Date.UTC(2025, 2, 4)));
    const r = await runCli(['analyze', '--json', file]);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as AnalyzeResult;
    const stats = result.files[0].stats!;
    const expected: Record<string, number> = {};
    for (const e of CATALOGUE) expected[eventKind(e)] = (expected[eventKind(e)] ?? 0) + 1;
    expect(stats.kinds).toEqual(expected);
    expect(stats.notUnderstood).toBe(0);
    expect(stats.ignored).toBe(CATALOGUE.filter((e) => e.kind === 'ignored').length);
    expect(stats.lines).toBe(CATALOGUE.length);
  });
});

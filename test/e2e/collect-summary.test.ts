import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCENARIO, writeBruteForceRoot } from '../../bench/report-scenario.mjs';
import { extract, tmpDir } from '../helpers/bundle.js';
import { runCli } from '../helpers/cli.js';

/*
 * collect's summary at the terminal names the incidents (worst first, with their finding counts)
 * before the findings, as artifacts/incidents.json holds them, on a brute-forced image where one
 * address logged in and others only failed.
 */

const noUtmpdump = existsSync('/usr/bin/utmpdump') ? null : 'utmpdump (util-linux) is not installed';

describe.skipIf(noUtmpdump)("collect's summary names the incidents", () => {
  it('lists each incident of the bundle with its id, level, title and size, the main one first', async () => {
    const root = tmpDir('irt-sum-root-');
    writeBruteForceRoot(root);
    const out = tmpDir('irt-sum-out-');
    const r = await runCli(['collect', '--root', root, '--out', out, '--case', 'SUM']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    const bundle = lines.find((l) => l.startsWith('bundle:'))!.replace(/^bundle:\s+/, '');
    const file = JSON.parse(readFileSync(path.join(extract(bundle), 'artifacts/incidents.json'), 'utf8'));
    expect(file.incidents.length).toBeGreaterThan(0);
    const at = lines.indexOf(`incidents: ${file.incidents.length}`);
    expect(at).toBeGreaterThan(lines.findIndex((l) => l.startsWith('verdict:')));
    expect(at).toBeLessThan(lines.findIndex((l) => l.startsWith('findings:')));
    file.incidents.forEach((i: { id: string; severity: string; title: string; findings: string[] }, k: number) => {
      const line = lines[at + 1 + k]!;
      expect(line.startsWith(`  ${i.id} ${i.severity}`)).toBe(true);
      expect(line).toContain(i.title);
      expect(line.endsWith(`(${i.findings.length} finding${i.findings.length === 1 ? '' : 's'})`)).toBe(true);
    });
    // The intruder's thread is the main incident, named by its address.
    expect(lines[at + 1]).toContain(SCENARIO.intruder.address);
  });
});

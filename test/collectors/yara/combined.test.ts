/**
 * The YARA step scans each file's bytes once with all the rule files together when that changes
 * nothing, and scans copies of the same bytes once: matches keep their own rule file and tags, a
 * global rule or a name in two files keeps the files apart, and a rule whose header the tag reader
 * cannot read still gets its file.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CollectContext, YaraRuleSource } from '../../../src/collectors/types.js';
import { YaraEngine, yaraCollector } from '../../../src/collectors/yara/yara.js';
import { CaseStore } from '../../../src/evidence/store.js';
import { createHostContext } from '../../../src/host/context.js';
import type { OpenFilesRecord } from '../../../src/model/processes.js';
import { tmpDir } from '../../helpers/bundle.js';

const rule = (name: string, tags: string, marker: string) => `rule ${name} : ${tags} {\n  strings:\n    $m = "${marker}"\n  condition:\n    $m\n}\n`;

function flagged(folder: string): OpenFilesRecord {
  return { pid: 4242, comm: 'kswapd0', user: 'root', exe: null, exeDeleted: false, exeSha256: null, preserved: null, cwd: folder, root: '/', folders: [folder], openFiles: [], mappedFiles: [] } as unknown as OpenFilesRecord;
}

/** A fake root with /tmp/.kit holding `files`, flagged; the step run with `rules`; the engine's calls counted. */
async function scan(files: Record<string, string>, rules: YaraRuleSource[]) {
  const root = tmpDir('irt-yara-comb-root-');
  mkdirSync(path.join(root, 'tmp/.kit'), { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(root, 'tmp/.kit', name), text);
  const store = await CaseStore.create(tmpDir('irt-yara-comb-out-'), 'Y');
  const ctx: CollectContext = {
    host: createHostContext({ root, mode: 'offline' }),
    sink: store,
    facts: { openFiles: [flagged('/tmp/.kit')] },
    options: { sshPorts: [], maxFileBytes: 1 << 20, maxCommandBytes: 1 << 20, commandTimeoutMs: 10_000, toolLists: { names: [], hashes: [] }, yaraRules: rules },
  };
  const runs = vi.spyOn(YaraEngine.prototype, 'run');
  const r = await yaraCollector.collect(ctx);
  const calls = runs.mock.calls.map(([data]) => data.length);
  runs.mockRestore();
  const s = r.facts!.yaraScan!;
  return { scan: s, matches: s.matches.map((m) => [m.file, m.rule, m.ruleFile, m.tags.join(' ')]), scans: calls.filter((n) => n > 0).length, skipped: s.skipped };
}

afterEach(() => vi.restoreAllMocks());

describe('YARA: one scan per distinct content, all rule files at once', () => {
  it('two rule files, three copies of one kit file and another: two scans, each match with its own file and tags', async () => {
    const kit = 'xx KIT-ONE xx KIT-TWO';
    const r = await scan({ a: kit, b: kit, c: kit, d: 'only KIT-TWO here' }, [
      { file: '/rules/one.yar', source: rule('One', 'miner', 'KIT-ONE') },
      { file: '/rules/two.yar', source: rule('Two', 'scanner ssh', 'KIT-TWO') },
    ]);
    expect(r.scans).toBe(2);
    expect(r.scan.scanned).toBe(4);
    expect(r.matches).toEqual([
      ['/tmp/.kit/a', 'One', '/rules/one.yar', 'miner'], ['/tmp/.kit/a', 'Two', '/rules/two.yar', 'scanner ssh'],
      ['/tmp/.kit/b', 'One', '/rules/one.yar', 'miner'], ['/tmp/.kit/b', 'Two', '/rules/two.yar', 'scanner ssh'],
      ['/tmp/.kit/c', 'One', '/rules/one.yar', 'miner'], ['/tmp/.kit/c', 'Two', '/rules/two.yar', 'scanner ssh'],
      ['/tmp/.kit/d', 'Two', '/rules/two.yar', 'scanner ssh'],
    ]);
    expect(new Set(r.scan.matches.filter((m) => m.rule === 'One').map((m) => m.sha256)).size).toBe(1);
  });

  it('the same rule name in two files: each file scanned on its own, both matches kept with their files', async () => {
    const r = await scan({ a: 'SAME-A and SAME-B' }, [
      { file: '/rules/a.yar', source: rule('Same', 'x', 'SAME-A') },
      { file: '/rules/b.yar', source: rule('Same', 'y', 'SAME-B') },
    ]);
    expect(r.scans).toBe(2);
    expect(r.matches).toEqual([['/tmp/.kit/a', 'Same', '/rules/a.yar', 'x'], ['/tmp/.kit/a', 'Same', '/rules/b.yar', 'y']]);
  });

  it('a global rule stays with its own file: it does not silence another file\'s rules', async () => {
    const big = 'global rule OnlyBig {\n  condition:\n    filesize > 1000000\n}\n' + rule('BigOnly', 'g', 'MARK-G');
    const r = await scan({ a: 'small MARK-G MARK-B' }, [
      { file: '/rules/global.yar', source: big },
      { file: '/rules/plain.yar', source: rule('Plain', 'p', 'MARK-B') },
    ]);
    expect(r.matches).toEqual([['/tmp/.kit/a', 'Plain', '/rules/plain.yar', 'p']]);
    expect(r.scans).toBe(2);
  });

  it('a rule whose header the tag reader does not read: the file is scanned file by file and the match keeps its file', async () => {
    const odd = 'rule Odd /* a comment before the brace */ {\n  strings:\n    $m = "ODD-MARK"\n  condition:\n    $m\n}\n';
    const r = await scan({ a: 'ODD-MARK PLAIN-MARK' }, [
      { file: '/rules/odd.yar', source: odd },
      { file: '/rules/plain.yar', source: rule('Plain', 'p', 'PLAIN-MARK') },
    ]);
    expect(r.matches).toEqual([['/tmp/.kit/a', 'Odd', '/rules/odd.yar', ''], ['/tmp/.kit/a', 'Plain', '/rules/plain.yar', 'p']]);
    expect(r.skipped).toEqual([]);
  });
});

/**
 * The YARA step compiles its rules on the first file to scan: a box where nothing was flagged
 * loads no engine and compiles nothing, yet still names the rule files it was given.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CollectContext, YaraRuleSource } from '../../../src/collectors/types.js';
import { yaraCollector } from '../../../src/collectors/yara/yara.js';
import { CaseStore } from '../../../src/evidence/store.js';
import { createHostContext } from '../../../src/host/context.js';
import type { OpenFilesRecord } from '../../../src/model/processes.js';
import { tmpDir } from '../../helpers/bundle.js';

const GOOD = 'rule IrtLazy : kit {\n  strings:\n    $m = "IRT-LAZY-MARKER"\n  condition:\n    $m\n}\n';
const BROKEN = 'rule Broken {\n  strings:\n    $a = "x"\n  condition:\n    $b\n}\n';
const RULES: YaraRuleSource[] = [
  { file: '/rules/good.yar', source: GOOD },
  { file: '/rules/broken.yar', source: BROKEN },
  { file: '/rules/gone.yar', error: 'ENOENT: /rules/gone.yar: no such file' },
];

function flagged(folder: string): OpenFilesRecord {
  return { pid: 4242, comm: 'kswapd0', user: 'root', exe: null, exeDeleted: false, exeSha256: null, preserved: null, cwd: folder, root: '/', folders: [folder], openFiles: [], mappedFiles: [] } as unknown as OpenFilesRecord;
}

async function collect(root: string, openFiles: OpenFilesRecord[]) {
  const store = await CaseStore.create(tmpDir('irt-yara-lazy-out-'), 'Y');
  const ctx: CollectContext = {
    host: createHostContext({ root, mode: 'offline' }),
    sink: store,
    facts: { openFiles },
    options: { sshPorts: [], maxFileBytes: 1 << 20, maxCommandBytes: 1 << 20, commandTimeoutMs: 10_000, toolLists: { names: [], hashes: [] }, yaraRules: RULES },
  };
  return yaraCollector.collect(ctx);
}

describe('YARA rules compiled on the first target', () => {
  it('nothing flagged: no compile, the unreadable file still named, the rule files and their rules counted from the text', async () => {
    const r = await collect(tmpDir('irt-yara-lazy-root-'), []);
    expect(r.sources.filter((s) => s.id === 'yara.rules')).toEqual([{ id: 'yara.rules', path: '/rules/gone.yar', status: 'error', message: 'ENOENT: /rules/gone.yar: no such file' }]);
    expect(r.sources.find((s) => s.id === 'yara')).toMatchObject({ status: 'ok', detail: expect.stringContaining('2 rule(s) in 2 file(s) (not compiled: nothing flagged to scan), 0 file(s) scanned') });
    expect(r.facts!.yaraScan).toMatchObject({ ruleFiles: ['/rules/good.yar', '/rules/broken.yar'], rules: 2, scanned: 0 });
  });

  it('a flagged folder: compiled before the first scan, the broken file named with its line and left out, the match found', async () => {
    const root = tmpDir('irt-yara-lazy-root-');
    mkdirSync(path.join(root, 'tmp/.kit'), { recursive: true });
    writeFileSync(path.join(root, 'tmp/.kit/payload'), 'xx IRT-LAZY-MARKER xx');
    const r = await collect(root, [flagged('/tmp/.kit')]);
    const broken = r.sources.find((s) => s.id === 'yara.rules' && s.path === '/rules/broken.yar');
    expect(broken).toMatchObject({ status: 'error', message: expect.stringMatching(/\/rules\/broken\.yar line \d+: undefined string/) });
    expect(r.facts!.yaraScan).toMatchObject({ ruleFiles: ['/rules/good.yar'], rules: 1, scanned: 1 });
    expect(r.facts!.yaraScan!.matches.map((m) => [m.rule, m.file])).toEqual([['IrtLazy', '/tmp/.kit/payload']]);
    expect(r.sources.find((s) => s.id === 'yara')!).toMatchObject({ detail: expect.not.stringContaining('not compiled') });
  });
});

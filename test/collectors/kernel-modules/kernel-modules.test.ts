import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { kernelModulesCollector } from '../../../src/collectors/kernel-modules/kernel-modules.js';
import { decodeTaint, parseModulesDep, parseProcModules } from '../../../src/collectors/kernel-modules/parse-kernel.js';
import { CaseStore } from '../../../src/evidence/store.js';
import { createHostContext } from '../../../src/host/context.js';
import { hiddenModule } from '../../../src/rules/kernel/hidden-module.js';
import { tainted } from '../../../src/rules/kernel/tainted.js';
import { runRule } from '../../../src/rules/types.js';
import { tmpDir } from '../../helpers/bundle.js';
import { replayExec } from '../../helpers/fake-proc.js';
import { collectFacts } from '../../helpers/facts.js';

const RELEASE = '6.1.0-test-amd64';

interface Box {
  procModules: string | null;
  /** name → initstate (null: built in, no initstate file). */
  sysModules: Record<string, string | null>;
  tainted: string;
  dep?: string | null;
  /** Packaged module files (under /lib/modules/RELEASE). */
  packaged?: string[];
}

function fakeBox(box: Box): { root: string; proc: string; sys: string } {
  const root = tmpDir('irt-kmod-');
  const proc = path.join(root, 'proc');
  const sys = path.join(root, 'sys');
  mkdirSync(path.join(proc, 'sys/kernel'), { recursive: true });
  writeFileSync(path.join(proc, 'sys/kernel/osrelease'), `${RELEASE}\n`);
  writeFileSync(path.join(proc, 'sys/kernel/tainted'), `${box.tainted}\n`);
  if (box.procModules !== null) writeFileSync(path.join(proc, 'modules'), box.procModules);
  for (const [name, init] of Object.entries(box.sysModules)) {
    mkdirSync(path.join(sys, 'module', name, 'parameters'), { recursive: true });
    if (init !== null) writeFileSync(path.join(sys, 'module', name, 'initstate'), `${init}\n`);
  }
  const mods = path.join(root, 'lib/modules', RELEASE);
  mkdirSync(mods, { recursive: true });
  if (box.dep !== null) writeFileSync(path.join(mods, 'modules.dep'), box.dep ?? '');
  const info = path.join(root, 'var/lib/dpkg/info');
  mkdirSync(info, { recursive: true });
  writeFileSync(path.join(root, 'var/lib/dpkg/status'), '');
  writeFileSync(path.join(info, `linux-image-${RELEASE}.list`), (box.packaged ?? []).map((f) => `/lib/modules/${RELEASE}/${f}\n`).join(''));
  return { root, proc, sys };
}

async function collect(box: Box) {
  const { root, proc, sys } = fakeBox(box);
  const unexpected: string[] = [];
  const host = createHostContext({ root, mode: 'live', procDir: proc, sysDir: sys, exec: replayExec({ lsmod: 'Module                  Size  Used by\n' }, unexpected) });
  const sink = await CaseStore.create(tmpDir('irt-kmod-out-'), 'T');
  const options = { sshPorts: [22], maxFileBytes: 1 << 20, maxCommandBytes: 1 << 20, commandTimeoutMs: 1000, toolLists: { names: [], hashes: [] } };
  const r = await collectFacts([kernelModulesCollector], { host, sink, options });
  expect(unexpected).toEqual([]);
  return r.facts;
}

const LINES = 'nf_tables 266240 1 nft_chain_nat, Live 0xffffffffc0a00000\next4 1003520 1 - Live 0xffffffffc0b00000\n';
const DEP = 'kernel/net/netfilter/nf_tables.ko.xz: kernel/lib/libcrc32c.ko.xz\nkernel/fs/ext4/ext4.ko.xz:\n';
const PACKAGED = ['kernel/net/netfilter/nf_tables.ko.xz', 'kernel/fs/ext4/ext4.ko.xz'];

describe('kernel module parsers', () => {
  it('reads /proc/modules with and without taint letters', () => {
    expect(parseProcModules('diamorphine 16384 0 - Live 0xffffffffc0c00000 (OE)\n' + LINES)).toEqual([
      { name: 'diamorphine', size: 16384, state: 'Live', taint: 'OE' },
      { name: 'nf_tables', size: 266240, state: 'Live', taint: '' },
      { name: 'ext4', size: 1003520, state: 'Live', taint: '' },
    ]);
  });

  it('decodes taint bits, unknown ones by number', () => {
    expect(decodeTaint(12288).map((f) => f.letter)).toEqual(['O', 'E']);
    expect(decodeTaint(2 + 2 ** 30).map((f) => [f.letter, f.bit])).toEqual([['F', 1], ['?', 30]]);
    expect(decodeTaint(0)).toEqual([]);
  });

  it('maps modules.dep names with dashes to the kernel names', () => {
    expect(parseModulesDep('kernel/drivers/x/snd-hda-intel.ko.zst: a\n').get('snd_hda_intel')).toBe('kernel/drivers/x/snd-hda-intel.ko.zst');
  });
});

describe('kernel.hidden-module and kernel.tainted on fixture trees', () => {
  it('is silent on a clean box: built-in modules (in /sys/module, no initstate) never count', async () => {
    const facts = await collect({ procModules: LINES, sysModules: { nf_tables: 'live', ext4: 'live', kernel: null, printk: null }, tainted: '0', dep: DEP, packaged: PACKAGED });
    expect(facts.kernelModules!.modules.map((m) => m.name)).toEqual(['ext4', 'nf_tables']);
    expect(facts.kernelModules!.modules[1]).toMatchObject({ file: `/lib/modules/${RELEASE}/kernel/net/netfilter/nf_tables.ko.xz`, packages: [`linux-image-${RELEASE}`] });
    expect(runRule(hiddenModule, facts)).toEqual([]);
    expect(runRule(tainted, facts)).toEqual([]);
  });

  it('names a module in /sys/module that /proc/modules hides, and the taint it left', async () => {
    const facts = await collect({ procModules: LINES, sysModules: { nf_tables: 'live', ext4: 'live', diamorphine: 'live', kernel: null }, tainted: '12288', dep: DEP, packaged: PACKAGED });
    expect(facts.kernelModules!.disagreeing).toEqual(['diamorphine']);
    expect(runRule(hiddenModule, facts)).toEqual([expect.objectContaining({ rule: 'kernel.hidden-module', severity: 'critical', subject: expect.objectContaining({ module: 'diamorphine' }) })]);
    const t = runRule(tainted, facts);
    expect(t.map((f) => [f.severity, f.title])).toEqual([['medium', expect.stringContaining('Kernel tainted: OE')]]);
    expect(t[0].detail).toContain('the one that set them is unloaded or hidden');
  });

  it('names a module /proc/modules lists with no /sys/module folder', async () => {
    const facts = await collect({ procModules: LINES, sysModules: { ext4: 'live' }, tainted: '0', dep: DEP, packaged: PACKAGED });
    expect(runRule(hiddenModule, facts).map((f) => f.subject.module)).toEqual(['nf_tables']);
  });

  it('a forced load is high; a loaded module from outside modules.dep and one no package ships are medium', async () => {
    const procModules = `${LINES}rootkit 16384 0 - Live 0xffffffffc0d00000 (FOE)\n`;
    const facts = await collect({ procModules, sysModules: { nf_tables: 'live', ext4: 'live', rootkit: 'live' }, tainted: String(2 + 4096 + 8192), dep: DEP, packaged: ['kernel/fs/ext4/ext4.ko.xz'] });
    const t = runRule(tainted, facts);
    expect(t.map((f) => [f.severity, f.subject.module ?? null])).toEqual([
      ['high', null],
      ['medium', 'nf_tables'],
      ['medium', 'rootkit'],
    ]);
    expect(t[0].subject.modules).toEqual(['rootkit']);
  });

  it('a kernel without module support (no /proc/modules) and a container without modules.dep stay silent', async () => {
    const none = await collect({ procModules: null, sysModules: { kernel: null, printk: null }, tainted: '0' });
    expect(none.kernelModules).toMatchObject({ loadable: false, modules: [], disagreeing: [] });
    expect(runRule(tainted, none)).toEqual([]);
    const container = await collect({ procModules: LINES, sysModules: { nf_tables: 'live', ext4: 'live' }, tainted: '0', dep: null });
    expect(runRule(tainted, container)).toEqual([]);
  });
});

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { closeActionCase, openActionCase } from '../../src/case/action-case.js';
import { verifyBundle } from '../../src/evidence/verify.js';
import { createHostContext } from '../../src/host/context.js';
import { extract, tmpDir } from '../helpers/bundle.js';

const TOOL = { name: 'ir-triage', version: 'test' };

async function open(examiner: string | null, isRoot: boolean) {
  const out = tmpDir('irt-acase-');
  let t = Date.parse('2031-05-06T07:08:09.000Z');
  const host = createHostContext({ now: () => new Date((t += 1000)), isRoot });
  const c = await openActionCase({ out, caseId: 'A-1', examiner, hostname: 'web1', command: ['ir-triage', 'quarantine', '/x'], host, maxFileBytes: 1 << 20, force: false, tool: TOOL });
  return { c, out };
}

function read(bundle: string): { manifest: Record<string, unknown>; custody: Array<Record<string, unknown>> } {
  const dir = extract(bundle);
  return {
    manifest: JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Record<string, unknown>,
    custody: readFileSync(path.join(dir, 'custody.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('action cases', () => {
  it("the tool opens and closes; the action's context writes as the examiner; the manifest keeps its order", async () => {
    const { c, out } = await open('alice', true);
    c.ctx.custody('action-planned', { action: 'quarantine' });
    c.ctx.custody('answer', { answer: 'yes' });
    await c.ctx.sink.writeFile('actions/quarantine-1.json', '{}\n');
    const sealed = await closeActionCase(c, 'quarantine', {
      target: '/x',
      folder: '/x',
      ok: true,
      undoRecord: 'actions/quarantine-1.json',
      partial: true,
      partialReasons: ['1 entry of the folder not covered'],
      limits: { maxFileBytes: 1, maxTotalBytes: 2, maxDepth: 3 },
      notCovered: 1,
    });
    expect(sealed.bundle).toBe(path.join(out, 'A-1.tar.gz'));
    expect((await verifyBundle(sealed.bundle)).ok).toBe(true);
    const { manifest, custody } = read(sealed.bundle);
    expect(custody.map((e) => [e.event, e.actor])).toEqual([
      ['case-opened', 'ir-triage'],
      ['action-planned', 'examiner:alice'],
      ['answer', 'examiner:alice'],
      ['case-closed', 'ir-triage'],
    ]);
    // Every custody time is the host clock's (one second a reading, from 07:08:10).
    expect(custody.map((e) => e.time)).toEqual(['2031-05-06T07:08:11.000Z', '2031-05-06T07:08:12.000Z', '2031-05-06T07:08:13.000Z', '2031-05-06T07:08:14.000Z']);
    expect(Object.keys(manifest)).toEqual([
      'tool', 'case', 'examiner', 'host', 'commandLine', 'mode', 'root', 'startedAt', 'endedAt', 'partial', 'partialReasons',
      'action', 'target', 'folder', 'ok', 'undoRecord', 'limits', 'notCovered', 'sources', 'files',
    ]);
    expect(manifest).toMatchObject({
      case: 'A-1', examiner: 'alice', host: { hostname: 'web1' }, mode: 'live', root: true, startedAt: '2031-05-06T07:08:10.000Z', endedAt: '2031-05-06T07:08:15.000Z',
      partial: true, partialReasons: ['1 entry of the folder not covered'], action: 'quarantine', sources: [],
    });
  });

  it('without root the manifest says partial, and an unnamed examiner is examiner', async () => {
    const { c } = await open(null, false);
    c.ctx.custody('record-loaded', {});
    const sealed = await closeActionCase(c, 'restore', { records: [{ source: 'r.json', sha256: 'a'.repeat(64) }], ok: true, from: 'r.json' });
    const { manifest, custody } = read(sealed.bundle);
    expect(custody.map((e) => e.actor)).toEqual(['ir-triage', 'examiner', 'ir-triage']);
    expect(manifest).toMatchObject({ examiner: null, root: false, partial: true, partialReasons: ['not run as root: files and processes of other users could not be changed or copied'] });
    expect(Object.keys(manifest).slice(11)).toEqual(['action', 'records', 'ok', 'from', 'sources', 'files']);
  });
});

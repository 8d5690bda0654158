import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Case } from '../../src/case/case.js';
import { buildManifest } from '../../src/case/manifest.js';
import { ManifestSchema } from '../../src/evidence/bundle-schemas.js';
import { examinerActor, TOOL_ACTOR } from '../../src/evidence/custody.js';
import { verifyBundle } from '../../src/evidence/verify.js';
import { createHostContext } from '../../src/host/context.js';
import { extract, tmpDir } from '../helpers/bundle.js';

/** A clock that moves one second each time it is read, from a fixed start. */
function steppingClock(startIso: string): () => Date {
  let t = Date.parse(startIso);
  return () => {
    const d = new Date(t);
    t += 1000;
    return d;
  };
}

function custodyOf(dir: string): Array<Record<string, unknown>> {
  return readFileSync(path.join(dir, 'custody.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

const TOOL = { name: 'ir-triage', version: 'test' };

async function openCase(examiner: string | null, now = steppingClock('2030-01-02T03:04:05.000Z')) {
  const out = tmpDir('irt-case-');
  const host = createHostContext({ root: tmpDir('irt-case-root-'), now, isRoot: true });
  const c = await Case.open({ out, caseId: 'CASE-1', examiner, hostname: 'web1', command: ['ir-triage', 'test'], host, tool: TOOL, opened: { playbook: { id: 'p', sha256: null } } });
  return { c, out };
}

describe('examiner actors', () => {
  it('is examiner:NAME, or examiner without a name; the tool is ir-triage', () => {
    expect(examinerActor('alice')).toBe('examiner:alice');
    expect(examinerActor(null)).toBe('examiner');
    expect(examinerActor(undefined)).toBe('examiner');
    expect(examinerActor('')).toBe('examiner');
    expect(TOOL_ACTOR).toBe('ir-triage');
  });
});

describe('Case', () => {
  it('opens with a case-opened event by the tool, timed by the host clock, with the opening details in order', async () => {
    const { c } = await openCase('alice');
    const [opened] = custodyOf(c.store.dir);
    expect(Object.keys(opened)).toEqual(['seq', 'time', 'actor', 'event', 'prev', 'case', 'examiner', 'host', 'mode', 'root', 'command', 'tool', 'playbook']);
    expect(opened).toMatchObject({ seq: 1, actor: 'ir-triage', event: 'case-opened', case: 'CASE-1', examiner: 'alice', host: 'web1', mode: 'offline', root: true, tool: TOOL });
    // The first reading is startedAt, the second the custody line: both from the host's clock.
    expect(c.startedAt.toISOString()).toBe('2030-01-02T03:04:05.000Z');
    expect(opened.time).toBe('2030-01-02T03:04:06.000Z');
    c.store.removeStaging();
  });

  it("attributes what the examiner decided to examiner:NAME and the rest to the tool", async () => {
    const named = await openCase('bob');
    named.c.byExaminer('answer', { answer: 'yes' });
    named.c.custody('finding', { id: 'F1' });
    named.c.custody('answer', { answer: 'no' }, named.c.examinerActor);
    expect(custodyOf(named.c.store.dir).map((e) => e.actor)).toEqual(['ir-triage', 'examiner:bob', 'ir-triage', 'examiner:bob']);
    named.c.store.removeStaging();

    const unnamed = await openCase(null);
    unnamed.c.byExaminer('answer', { answer: 'yes' });
    expect(custodyOf(unnamed.c.store.dir).map((e) => e.actor)).toEqual(['ir-triage', 'examiner']);
    unnamed.c.store.removeStaging();
  });

  it('builds the manifest head in the order manifest.json has it, ended by the host clock, partial only with a reason', async () => {
    const { c } = await openCase('alice');
    const clean = c.manifest({ hostname: 'web1' }, [], { action: 'test', sources: [] });
    expect(Object.keys(clean)).toEqual(['tool', 'case', 'examiner', 'host', 'commandLine', 'mode', 'root', 'startedAt', 'endedAt', 'partial', 'partialReasons', 'action', 'sources']);
    expect(clean).toMatchObject({ tool: TOOL, case: 'CASE-1', examiner: 'alice', commandLine: ['ir-triage', 'test'], mode: 'offline', root: true, partial: false, partialReasons: [] });
    expect(clean.startedAt).toBe('2030-01-02T03:04:05.000Z');
    // 05 start, 06 case-opened, 07 this end.
    expect(clean.endedAt).toBe('2030-01-02T03:04:07.000Z');
    const partial = c.manifest({ hostname: 'web1' }, ['not run as root'], { sources: [] });
    expect(partial).toMatchObject({ partial: true, partialReasons: ['not run as root'] });
    c.store.removeStaging();
  });

  it('never lets what follows the head reorder it', () => {
    const head = { tool: TOOL, case: 'X', examiner: null, host: { hostname: 'h' }, commandLine: [], mode: 'live', root: false, startedAt: 's', endedAt: 'e', partialReasons: [] };
    const body = buildManifest(head, { interrupted: false, verdict: { level: 'clean', headline: 'ok', partial: false }, sources: [], withheld: [], linksNotFollowed: [] });
    expect(Object.keys(body)).toEqual(['tool', 'case', 'examiner', 'host', 'commandLine', 'mode', 'root', 'startedAt', 'endedAt', 'partial', 'partialReasons', 'interrupted', 'verdict', 'sources', 'withheld', 'linksNotFollowed']);
  });

  it('seals: manifest.json is the body with every file listed last, fits the schema, the bundle verifies, the staging folder goes', async () => {
    const { c, out } = await openCase('alice');
    await c.store.writeFile('findings.json', '[]\n');
    c.custody('case-closed', {});
    const body = c.manifest({ hostname: 'web1', machineId: null, bootId: null }, [], { interrupted: false, sources: [], withheld: [], linksNotFollowed: [] });
    const sealed = await c.seal(body);
    expect(sealed.bundle).toBe(path.join(out, 'CASE-1.tar.gz'));
    expect(existsSync(path.join(out, 'CASE-1'))).toBe(false);
    expect((await verifyBundle(sealed.bundle)).ok).toBe(true);
    const caseDir = extract(sealed.bundle);
    const text = readFileSync(path.join(caseDir, 'manifest.json'), 'utf8');
    const written = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(written)).toEqual([...Object.keys(body), 'files']);
    expect((written.files as Array<{ path: string }>).map((f) => f.path)).toEqual(['custody.jsonl', 'findings.json']);
    expect(text).toBe(JSON.stringify({ ...body, files: written.files }, null, 2) + '\n');
    expect(ManifestSchema.safeParse(written).success).toBe(true);
  });

  it('keeps the staging folder with keepDir', async () => {
    const { c, out } = await openCase(null);
    const sealed = await c.seal(c.manifest({ hostname: 'web1' }, [], { sources: [] }), { keepDir: true });
    expect(existsSync(path.join(out, 'CASE-1', 'manifest.json'))).toBe(true);
    expect((await verifyBundle(path.join(out, 'CASE-1'))).ok).toBe(true);
    expect((await verifyBundle(sealed.bundle)).ok).toBe(true);
  });
});

describe('bundles written before one actor convention', () => {
  it('verify takes a bare examiner name, examiner:NAME and the tool alike', async () => {
    const { craftCase, custodyLines, packCase } = await import('../helpers/craft.js');
    const parent = tmpDir('irt-old-actors-');
    const dir = craftCase(parent, 'OLD-1', {
      custody: custodyLines([
        { event: 'case-opened', actor: 'alice' },
        { event: 'action-planned', actor: 'alice' },
        { event: 'answer', actor: 'examiner:alice' },
        { event: 'case-closed', actor: 'ir-triage' },
      ]),
    });
    const report = await verifyBundle(packCase(dir, path.join(parent, 'OLD-1.tar.gz')));
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
  });
});

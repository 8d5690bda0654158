import { runRule } from '../../src/rules/types.js';
import { collectFacts } from '../helpers/facts.js';
/**
 * The disable action on a copy of the infected fake root: targets drawn from real findings, the
 * exact planned change, the copy before the change, refusals when the file changed, and undo
 * (in-process and through `ir-triage restore BUNDLE`) giving back every byte, mode and link.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { closeActionCase, openActionCase, type ActionCase } from '../../src/case/action-case.js';
import { applyDisable, commentOut, planDisable } from '../../src/actions/disable.js';
import type { DisableRecord } from '../../src/actions/disable-record.js';
import { disableTargets, parseTarget } from '../../src/actions/disable-targets.js';
import { checkDisableRecord, planUndoDisable, undoDisable } from '../../src/actions/restore-disable.js';
import { cronCollector } from '../../src/collectors/cron/cron.js';
import { startupFilesCollector } from '../../src/collectors/startup-files/startup-files.js';
import { systemdUnitsCollector } from '../../src/collectors/systemd-units/systemd-units.js';
import type { CollectOptions } from '../../src/collectors/types.js';
import { createHostContext } from '../../src/host/context.js';
import type { DraftFinding } from '../../src/model/finding.js';
import type { KnownFacts } from '../../src/model/facts.js';
import { RULES } from '../../src/rules/index.js';
import { extract, tmpDir } from '../helpers/bundle.js';
import { runCli } from '../helpers/cli.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/persistence-autostart/infected', import.meta.url));
const OPTIONS: CollectOptions = { sshPorts: [], maxFileBytes: 1 << 20, maxCommandBytes: 1 << 20, commandTimeoutMs: 10_000, toolLists: { names: [], hashes: [] } };

interface Setup {
  root: string;
  out: string;
  c: ActionCase;
  facts: KnownFacts;
  findings: DraftFinding[];
  events: Array<{ event: string; details: Record<string, unknown> }>;
}

/** A copy of the infected root (changed by `prepare` first), collected by the three collectors into an action case. */
async function setup(prepare: (root: string) => void = () => {}): Promise<Setup> {
  const base = tmpDir('irt-dis-');
  const root = path.join(base, 'root');
  execFileSync('cp', ['-a', FIXTURE, root]);
  prepare(root);
  const out = path.join(base, 'out');
  mkdirSync(out);
  const host = createHostContext({ root });
  const c = await openActionCase({ out, caseId: 'D', examiner: 'alice', hostname: 'infected-debian', command: ['test'], host, maxFileBytes: 1 << 20, force: false, tool: { name: 'ir-triage', version: 'test' } });
  const { facts } = await collectFacts([cronCollector, systemdUnitsCollector, startupFilesCollector], { host, sink: c.store, options: OPTIONS });
  c.ctx.facts = facts;
  const events: Setup['events'] = [];
  const custody = c.ctx.custody;
  c.ctx.custody = (event, details) => {
    events.push({ event, details });
    custody(event, details);
  };
  const findings = RULES.filter((r) => r.id.startsWith('persistence.') && r.needs.every((k) => facts[k] !== undefined)).flatMap((r) => runRule(r, facts, r.thresholds));
  return { root, out, c, facts, findings, events };
}

const file = (s: Setup, p: string) => path.join(s.root, p);

describe('disable: targets', () => {
  it('offers every persistence finding as one item: a line, a script or job, or a unit with its timer', async () => {
    const s = await setup();
    const values = disableTargets(s.facts, s.findings).map((t) => t.value).sort();
    expect(values).toEqual(
      [
        'line:5:/var/spool/cron/crontabs/alice',
        'line:6:/var/spool/cron/crontabs/alice',
        'line:7:/var/spool/cron/crontabs/alice',
        'line:1:/var/spool/cron/root',
        'line:2:/etc/cron.d/php-update',
        'exec:/etc/cron.hourly/gcc.sh',
        'exec:/var/spool/cron/atjobs/a00001019e2f41',
        'unit:/etc/systemd/system/kswapd0.service',
        'unit:/etc/systemd/system/apt-refresh.service',
        'unit:/etc/systemd/system/app.service',
        'line:2:/etc/rc.local',
        'line:114:/home/alice/.bashrc',
        'line:2:/etc/environment',
        'line:1:/etc/ld.so.preload',
      ].sort(),
    );
    const names = disableTargets(s.facts, s.findings);
    expect(names.find((t) => t.value === 'line:5:/var/spool/cron/crontabs/alice')).toMatchObject({
      name: '/var/spool/cron/crontabs/alice line 5: * * * * * /tmp/.X25-unix/.rsync/c/a >/dev/null 2>&1',
      description: 'persistence.cron',
    });
    // An authorized-key finding (path and 1-based line in its subject) is offered as a line too.
    const key: DraftFinding = { rule: 'persistence.authorized-key', severity: 'high', title: 'k', detail: 'd', mitre: [], subject: { path: '/root/.ssh/authorized_keys', line: 3 }, evidence: [] };
    expect(disableTargets(s.facts, [key]).map((t) => t.value)).toEqual(['line:3:/root/.ssh/authorized_keys']);
    // process.preload reports /etc/ld.so.preload live (no line): each of its entries is offered.
    const live: DraftFinding = { rule: 'process.preload', severity: 'critical', title: 'p', detail: 'd', mitre: [], subject: { pid: null, path: '/etc/ld.so.preload' }, evidence: [] };
    expect(disableTargets(s.facts, [live]).map((t) => [t.value, t.name])).toEqual([['line:1:/etc/ld.so.preload', '/etc/ld.so.preload line 1: /usr/local/lib/libns2.so']]);
    expect(parseTarget('line:3:/a:b')).toEqual({ method: 'comment-line', path: '/a:b', line: 3 });
    expect(parseTarget('rm -rf /')).toBeNull();
  });
});

describe('disable: a crontab line', () => {
  it('plans the exact change, copies the file, comments the line out keeping owner and mode; undo gives back every byte', async () => {
    const s = await setup();
    const p = file(s, 'var/spool/cron/crontabs/alice');
    chmodSync(p, 0o600);
    const original = readFileSync(p);
    const plan = await planDisable(s.c.ctx, 'line:5:/var/spool/cron/crontabs/alice');
    expect(plan.refused).toBeNull();
    expect(plan.changes.map((c) => [c.op, c.target, c.detail])).toContainEqual(['comment', '/var/spool/cron/crontabs/alice:5', '"* * * * * /tmp/.X25-unix/.rsync/c/a >/dev/null 2>&1" → "#* * * * * /tmp/.X25-unix/.rsync/c/a >/dev/null 2>&1"']);
    expect(readFileSync(p)).toEqual(original); // a plan changes nothing

    const result = await applyDisable(s.c.ctx, plan);
    expect(result.ok, result.message).toBe(true);
    const lines = readFileSync(p, 'utf8').split('\n');
    expect(lines[4]).toBe('#* * * * * /tmp/.X25-unix/.rsync/c/a >/dev/null 2>&1');
    expect(readFileSync(p, 'utf8').replace(lines[4], lines[4].slice(1))).toBe(original.toString());
    expect(statSync(p).mode & 0o7777).toBe(0o600);
    const record = JSON.parse(readFileSync(path.join(s.c.store.dir, result.undoRecord!), 'utf8')) as DisableRecord;
    expect(record).toMatchObject({ action: 'disable', method: 'comment-line', path: '/var/spool/cron/crontabs/alice', line: 5, lineBefore: lines[4].slice(1), lineAfter: lines[4] });
    expect(readFileSync(path.join(s.c.store.dir, record.copy!.path))).toEqual(original);
    expect(s.events.map((e) => e.event)).toEqual(['action-applied']);
    expect(s.events[0].details).toMatchObject({ action: 'disable', path: '/var/spool/cron/crontabs/alice', line: 5, ok: true });

    const undo = await planUndoDisable(s.c.ctx, checkDisableRecord(record));
    expect(undo.changes.map((c) => c.op)).toEqual(['uncomment']);
    const back = await undoDisable(s.c.ctx, undo);
    expect(back.ok, back.message).toBe(true);
    expect(readFileSync(p)).toEqual(original);
    expect(statSync(p).mode & 0o7777).toBe(0o600);
  });

  it('refuses a file that changed since the collection, and one that changed between plan and apply', async () => {
    const s = await setup();
    const p = file(s, 'var/spool/cron/crontabs/alice');
    appendFileSync(p, '# edited after the collection\n');
    const plan = await planDisable(s.c.ctx, 'line:5:/var/spool/cron/crontabs/alice');
    expect(plan.refused).toMatch(/^\/var\/spool\/cron\/crontabs\/alice: its content changed since the collection \(sha256 [0-9a-f]{12}… then, [0-9a-f]{12}… now\): refused/);

    const s2 = await setup();
    const p2 = file(s2, 'etc/cron.d/php-update');
    const plan2 = await planDisable(s2.c.ctx, 'line:2:/etc/cron.d/php-update');
    expect(plan2.refused).toBeNull();
    const before = readFileSync(p2);
    writeFileSync(p2, `${before.toString()}* * * * * root true\n`);
    const r = await applyDisable(s2.c.ctx, plan2);
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/its content changed since the plan/);
    expect(readFileSync(p2, 'utf8')).toBe(`${before.toString()}* * * * * root true\n`);
    expect(s2.events.map((e) => e.event)).toEqual(['action-refused']);
  });

  it('refuses a line that is already a comment, a line that does not exist, a continued shell line', async () => {
    const s = await setup();
    expect((await planDisable(s.c.ctx, 'line:1:/var/spool/cron/crontabs/alice')).refused).toMatch(/line 1 is already a comment/);
    expect((await planDisable(s.c.ctx, 'line:99:/var/spool/cron/crontabs/alice')).refused).toMatch(/has no line 99/);
    expect((await planDisable(s.c.ctx, 'line:1:/etc/nope')).refused).toBe('/etc/nope: no such file');
    const s2 = await setup((root) => writeFileSync(path.join(root, 'etc/rc.local'), '#!/bin/sh -e\nnohup /var/tmp/.x/a \\\n  -p 1 &\nexit 0\n'));
    expect((await planDisable(s2.c.ctx, 'line:2:/etc/rc.local')).refused).toMatch(/continues on the next line/);
  });

  it('an authorized_keys line: checked against the ssh-keys collector\'s times, bytes that are not UTF-8 kept exactly', async () => {
    const keys = Buffer.concat([Buffer.from('# cl\xe9s de l\'\xe9quipe\n', 'latin1'), Buffer.from('ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC mdrfckr\n'), Buffer.from([0xff, 0xfe, 0x0a])]);
    const s = await setup((root) => {
      mkdirSync(path.join(root, 'root/.ssh'), { recursive: true });
      writeFileSync(path.join(root, 'root/.ssh/authorized_keys'), keys);
    });
    const p = file(s, 'root/.ssh/authorized_keys');
    const st = statSync(p);
    const fileMeta = { path: '/root/.ssh/authorized_keys', type: 'file', linkTarget: null, size: st.size, mode: '0644', uid: 0, gid: 0, owner: 'root', mtime: st.mtime.toISOString(), ctime: st.ctime.toISOString(), birth: null };
    s.c.ctx.facts.authorizedKeys = [{ file: '/root/.ssh/authorized_keys', line: 2, fileMeta } as unknown as NonNullable<KnownFacts['authorizedKeys']>[number]];
    const plan = await planDisable(s.c.ctx, 'line:2:/root/.ssh/authorized_keys');
    expect(plan.refused).toBeNull();
    expect(plan.data.checkedAgainst).toBe('collection');
    expect(plan.summary).toBe('comment out /root/.ssh/authorized_keys line 2: "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC mdrfckr" → "#ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC mdrfckr"');
    const r = await applyDisable(s.c.ctx, plan);
    expect(r.ok, r.message).toBe(true);
    const at = keys.indexOf('ssh-rsa');
    expect(readFileSync(p)).toEqual(Buffer.concat([keys.subarray(0, at), Buffer.from('#'), keys.subarray(at)]));
    const record = checkDisableRecord(JSON.parse(readFileSync(path.join(s.c.store.dir, r.undoRecord!), 'utf8')));
    const back = await undoDisable(s.c.ctx, await planUndoDisable(s.c.ctx, record));
    expect(back.ok, back.message).toBe(true);
    expect(readFileSync(p)).toEqual(keys);
    // Written to since the ssh-keys collector looked (times of a fresh copy, then one more key): refused.
    const s2 = await setup((root) => {
      mkdirSync(path.join(root, 'root/.ssh'), { recursive: true });
      writeFileSync(path.join(root, 'root/.ssh/authorized_keys'), keys);
    });
    const p2 = file(s2, 'root/.ssh/authorized_keys');
    const st2 = statSync(p2);
    s2.c.ctx.facts.authorizedKeys = [{ file: '/root/.ssh/authorized_keys', line: 2, fileMeta: { ...fileMeta, size: st2.size, mtime: st2.mtime.toISOString(), ctime: st2.ctime.toISOString() } } as unknown as NonNullable<KnownFacts['authorizedKeys']>[number]];
    expect((await planDisable(s2.c.ctx, 'line:2:/root/.ssh/authorized_keys')).refused).toBeNull();
    appendFileSync(p2, 'ssh-ed25519 AAAAC3 new\n');
    expect((await planDisable(s2.c.ctx, 'line:2:/root/.ssh/authorized_keys')).refused).toMatch(/changed since the collection \(size \d+, modified .* then; \d+, .* now\): refused/);
  });

  it('shell files get `: #` so an if/then block stays valid; other formats `#`', async () => {
    expect(commentOut('/tmp/x &', true)).toBe(': #/tmp/x &');
    expect(commentOut('ssh-rsa AAAA k', false)).toBe('#ssh-rsa AAAA k');
    const s = await setup();
    const p = file(s, 'etc/rc.local');
    const r = await applyDisable(s.c.ctx, await planDisable(s.c.ctx, 'line:2:/etc/rc.local'));
    expect(r.ok, r.message).toBe(true);
    expect(readFileSync(p, 'utf8')).toBe('#!/bin/sh -e\n: #nohup /var/tmp/.ICE-unix/.. /sshd -p 2222 >/dev/null 2>&1 &\nexit 0\n');
    execFileSync('sh', ['-n', p]);
    expect(statSync(p).mode & 0o777).toBe(0o755);
  });
});

describe('disable: a cron script, an at job, a unit', () => {
  it('chmod a-x a cron.hourly script; undo gives the mode back', async () => {
    const s = await setup();
    const p = file(s, 'etc/cron.hourly/gcc.sh');
    expect(statSync(p).mode & 0o7777).toBe(0o755);
    const plan = await planDisable(s.c.ctx, 'exec:/etc/cron.hourly/gcc.sh');
    expect(plan.refused).toBeNull();
    expect(plan.changes.find((c) => c.op === 'chmod')?.detail).toMatch(/^0755 → 0644/);
    const r = await applyDisable(s.c.ctx, plan);
    expect(r.ok, r.message).toBe(true);
    expect(statSync(p).mode & 0o7777).toBe(0o644);
    const record = JSON.parse(readFileSync(path.join(s.c.store.dir, r.undoRecord!), 'utf8')) as DisableRecord;
    expect(await planDisable(s.c.ctx, 'exec:/etc/cron.hourly/gcc.sh').then((x) => x.refused)).toMatch(/content changed|no execute bit/);
    const back = await undoDisable(s.c.ctx, await planUndoDisable(s.c.ctx, record));
    expect(back.ok, back.message).toBe(true);
    expect(statSync(p).mode & 0o7777).toBe(0o755);
  });

  it('disables a unit and the timer that starts it by removing their links; undo recreates them exactly', async () => {
    const s = await setup();
    const kLink = file(s, 'etc/systemd/system/multi-user.target.wants/kswapd0.service');
    const tLink = file(s, 'etc/systemd/system/timers.target.wants/apt-refresh.timer');
    const plan = await planDisable(s.c.ctx, 'unit:/etc/systemd/system/kswapd0.service');
    expect(plan.changes.map((c) => [c.op, c.target, c.detail])).toEqual([
      ['copy', '/etc/systemd/system/kswapd0.service', expect.stringMatching(/bytes → files\/persistence\/disable-N\//)],
      ['unlink', '/etc/systemd/system/multi-user.target.wants/kswapd0.service', '→ /etc/systemd/system/kswapd0.service (the link is recorded and recreated by undo)'],
    ]);
    expect(plan.warnings.join(' ')).toMatch(/An image: the links are removed in it/);
    const r = await applyDisable(s.c.ctx, plan);
    expect(r.ok, r.message).toBe(true);
    expect(lstatSync(kLink, { throwIfNoEntry: false })).toBeUndefined();
    expect(existsSync(file(s, 'etc/systemd/system/kswapd0.service'))).toBe(true); // the unit itself is never deleted

    const timerPlan = await planDisable(s.c.ctx, 'unit:/etc/systemd/system/apt-refresh.service');
    expect(timerPlan.summary).toBe('disable apt-refresh.service, apt-refresh.timer');
    const r2 = await applyDisable(s.c.ctx, timerPlan);
    expect(r2.ok, r2.message).toBe(true);
    expect(lstatSync(tLink, { throwIfNoEntry: false })).toBeUndefined();

    // app.service has no link and no timer: nothing to disable offline.
    expect((await planDisable(s.c.ctx, 'unit:/etc/systemd/system/app.service')).refused).toMatch(/^app.service: no .wants\/.requires link enables it/);

    for (const rec of [r.undoRecord!, r2.undoRecord!]) {
      const record = checkDisableRecord(JSON.parse(readFileSync(path.join(s.c.store.dir, rec), 'utf8')));
      const back = await undoDisable(s.c.ctx, await planUndoDisable(s.c.ctx, record));
      expect(back.ok, back.message).toBe(true);
    }
    expect(readlinkSync(kLink)).toBe('/etc/systemd/system/kswapd0.service');
    expect(readlinkSync(tLink)).toBe('/etc/systemd/system/apt-refresh.timer');
  });

  it('an undo record edited to set other bits, or to put a link elsewhere, is refused', async () => {
    const state = { sha256: 'a'.repeat(64), size: 1, dev: '1', ino: '2', mode: 0o755, uid: 0, gid: 0 };
    const base = { action: 'disable', version: 1, appliedAt: '', record: 'actions/disable-1.json', summary: '', path: '/x', hostPath: '/x', copy: null, before: state, after: null, line: null, lineBefore: null, lineAfter: null, units: [], systemctl: false, outcome: '' };
    expect(() => checkDisableRecord({ ...base, method: 'chmod-x', modeBefore: 0o4755, modeAfter: 0o644 })).toThrow(/mode change disable cannot have made/);
    expect(() => checkDisableRecord({ ...base, method: 'unit', units: [{ name: 'evil.service', links: [{ hostLink: '/etc/cron.d/evil', target: '/tmp/x', link: '/etc/cron.d/evil' }], removed: [] }] })).toThrow(/outside a .wants/);
    expect(() => checkDisableRecord({ ...base, action: 'quarantine' })).toThrow(/not a disable record/);
    expect(checkDisableRecord({ ...base, method: 'chmod-x', modeBefore: 0o755, modeAfter: 0o644 }).method).toBe('chmod-x');
  });
});

describe('ir-triage restore BUNDLE (the built CLI)', () => {
  it('undoes every disable of a sealed case, the last first, and records the undo in its own bundle', async () => {
    const s = await setup();
    const p = file(s, 'var/spool/cron/crontabs/alice');
    const original = readFileSync(p);
    for (const n of [5, 7]) {
      const r = await applyDisable(s.c.ctx, await planDisable(s.c.ctx, `line:${n}:/var/spool/cron/crontabs/alice`));
      // The second line of the same file is planned against the first change, which the action knows.
      expect(r.ok, r.message).toBe(true);
    }
    expect(readFileSync(p, 'utf8').split('\n').filter((l) => l.startsWith('#*') || l.startsWith('#*/5'))).toHaveLength(2);
    const sealed = await closeActionCase(s.c, 'disable');
    const dry = await runCli(['restore', sealed.bundle, '--dry-run', '--out', s.out]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('uncomment  /var/spool/cron/crontabs/alice:7');
    expect(dry.stdout).toContain('uncomment  /var/spool/cron/crontabs/alice:5');
    expect(dry.stdout).toMatch(/dry run: nothing was changed\n$/);

    const r = await runCli(['restore', sealed.bundle, '--yes', '--out', s.out, '--case', 'U']);
    expect(r.stderr).toBe('');
    expect(r.code, r.stdout).toBe(0);
    expect(readFileSync(p)).toEqual(original);
    expect((await runCli(['verify', path.join(s.out, 'U.tar.gz')])).code).toBe(0);
    const u = extract(path.join(s.out, 'U.tar.gz'));
    const events = readFileSync(path.join(u, 'custody.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).event);
    expect(events).toEqual(['case-opened', 'record-loaded', 'action-planned', 'answer', 'action-undone', 'record-loaded', 'action-planned', 'answer', 'action-undone', 'case-closed']);
  });
});

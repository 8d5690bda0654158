import { collectOn, link, put } from '../../helpers/fake-root.js';
import { runRule } from '../../../src/rules/types.js';
/**
 * The cron, systemd-units and startup-files collectors on small fake roots made here: links that
 * try to leave the root, an empty root, drop-ins over a packaged unit, user units with %h.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cronCollector } from '../../../src/collectors/cron/cron.js';
import { startupFilesCollector } from '../../../src/collectors/startup-files/startup-files.js';
import { systemdUnitsCollector } from '../../../src/collectors/systemd-units/systemd-units.js';
import { systemd } from '../../../src/rules/persistence/systemd.js';
import { tmpDir } from '../../helpers/bundle.js';

function collectAll(root: string) {
  return collectOn(root, [cronCollector, systemdUnitsCollector, startupFilesCollector]);
}

describe('persistence collectors on fake roots', () => {
  it('an empty root: every source ok, nothing found, nothing copied', async () => {
    const { facts, sources } = await collectAll(tmpDir('irt-pcol-'));
    expect(sources.map((s) => [s.id, s.status])).toEqual([
      ['cron', 'ok'],
      ['systemd-units.packages', 'ok'],
      ['systemd-units', 'ok'],
      ['startup-files', 'ok'],
    ]);
    expect([facts.cronEntries, facts.systemdUnits, facts.startupEntries, facts.persistenceFiles]).toEqual([[], [], [], []]);
  });

  it('links never leave the root: a crontab linked to /etc/passwd reads the root\'s own file, or nothing', async () => {
    const root = tmpDir('irt-pcol-');
    put(root, 'etc/passwd', 'root:x:0:0:root:/root:/bin/bash\n');
    link(root, 'var/spool/cron/crontabs/alice', '/etc/passwd');
    link(root, 'var/spool/cron/crontabs/bob', '../../../../../../../../etc/shadow');
    link(root, 'etc/cron.d/escape', '/etc/hostname');
    const { facts, store } = await collectAll(root);
    // The absolute link resolves inside the root: its passwd (not a crontab: one invalid line).
    expect(facts.cronEntries!.map((e) => [e.file, e.kind])).toEqual([['/var/spool/cron/crontabs/alice', 'invalid']]);
    expect(facts.persistenceFiles!.map((f) => f.path)).toEqual(['/var/spool/cron/crontabs/alice']);
    expect(readFileSync(path.join(store.dir, 'files/persistence/var/spool/cron/crontabs/alice'), 'utf8')).toBe('root:x:0:0:root:/root:/bin/bash\n');
  });

  it('a drop-in over a packaged unit is read after it, and the rule sees the ExecStart it put in', async () => {
    const root = tmpDir('irt-pcol-');
    put(root, 'lib/systemd/system/ssh.service', '[Service]\nExecStart=/usr/sbin/sshd -D\n[Install]\nWantedBy=multi-user.target\n');
    put(root, 'var/lib/dpkg/info/openssh-server.list', '/lib/systemd/system/ssh.service\n');
    put(root, 'etc/systemd/system/ssh.service.d/override.conf', '[Service]\nExecStart=\nExecStart=/var/tmp/.ssh/sshd -D -p 2222\n');
    link(root, 'etc/systemd/system/multi-user.target.wants/ssh.service', '/lib/systemd/system/ssh.service');
    // A packaged unit without an override is left out.
    put(root, 'lib/systemd/system/cron.service', '[Service]\nExecStart=/usr/sbin/cron -f\n');
    put(root, 'var/lib/dpkg/info/cron.list', '/lib/systemd/system/cron.service\n');
    const { facts } = await collectAll(root);
    expect(facts.systemdUnits!.map((u) => u.name)).toEqual(['ssh.service']);
    const u = facts.systemdUnits![0];
    expect(u).toMatchObject({ package: 'openssh-server', packaged: true, enabled: true, dropIns: ['/etc/systemd/system/ssh.service.d/override.conf'] });
    expect(u.exec.map((e) => [e.key, e.path, e.file, e.line])).toEqual([['ExecStart', '/var/tmp/.ssh/sshd', '/etc/systemd/system/ssh.service.d/override.conf', 3]]);
    const f = runRule(systemd, facts, systemd.thresholds);
    expect(f.map((x) => [x.severity, x.subject.path, x.subject.line])).toEqual([['high', '/lib/systemd/system/ssh.service', 3]]);
    expect(f[0].detail).toContain('ExecStart (/etc/systemd/system/ssh.service.d/override.conf line 3)');
  });

  it('user units in a home: %h expanded, enabled by default.target.wants', async () => {
    const root = tmpDir('irt-pcol-');
    put(root, 'etc/passwd', 'alice:x:1000:1000::/home/alice:/bin/bash\n');
    put(root, 'home/alice/.config/systemd/user/dbus-helper.service', '[Service]\nExecStart=%h/.cache/.x/helper --quiet\nRestart=always\n');
    link(root, 'home/alice/.config/systemd/user/default.target.wants/dbus-helper.service', '/home/alice/.config/systemd/user/dbus-helper.service');
    const { facts } = await collectAll(root);
    expect(facts.systemdUnits!.map((u) => [u.name, u.scope, u.owner, u.enabled, u.exec[0].path])).toEqual([
      ['dbus-helper.service', 'user', 'alice', true, '/home/alice/.cache/.x/helper'],
    ]);
    const f = runRule(systemd, facts, systemd.thresholds);
    expect(f.map((x) => [x.severity, x.title])).toEqual([['high', 'User unit (alice) dbus-helper.service runs "/home/alice/.cache/.x/helper"']]);
  });
});

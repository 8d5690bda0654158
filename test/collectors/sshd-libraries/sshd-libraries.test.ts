import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sshdLibrariesCollector } from '../../../src/collectors/sshd-libraries/sshd-libraries.js';
import { createHostContext } from '../../../src/host/context.js';
import { CaseStore } from '../../../src/evidence/store.js';
import { injectedLibrary } from '../../../src/rules/sshd/injected-library.js';
import { runRule } from '../../../src/rules/types.js';
import { tmpDir } from '../../helpers/bundle.js';
import { collectFacts } from '../../helpers/facts.js';
import { proc } from '../../helpers/records.js';

const LIBDIR = '/usr/lib/x86_64-linux-gnu';

/** A fake root whose dpkg lists own libc and libcrypto, not libkeyutils (Ebury's disguise). */
function fakeRoot(): string {
  const root = tmpDir('irt-sshd-libs-');
  const info = path.join(root, 'var/lib/dpkg/info');
  mkdirSync(info, { recursive: true });
  mkdirSync(path.join(root, LIBDIR.slice(1)), { recursive: true });
  writeFileSync(path.join(root, 'var/lib/dpkg/status'), 'Package: libc6\nStatus: install ok installed\n\n');
  writeFileSync(path.join(info, 'libc6:amd64.list'), `/.\n/usr\n${LIBDIR}\n${LIBDIR}/libc.so.6\n`);
  writeFileSync(path.join(info, 'libssl3:amd64.list'), `${LIBDIR}/libcrypto.so.3\n`);
  writeFileSync(path.join(info, 'openssh-server.list'), '/usr/sbin/sshd\n');
  return root;
}

async function collect(processes: ReturnType<typeof proc>[]) {
  const root = fakeRoot();
  const host = createHostContext({ root, mode: 'live', procDir: path.join(root, 'proc'), sysDir: null });
  const sink = await CaseStore.create(tmpDir('irt-sshd-libs-out-'), 'T');
  const options = { sshPorts: [22], maxFileBytes: 1 << 20, maxCommandBytes: 1 << 20, commandTimeoutMs: 1000, toolLists: { names: [], hashes: [] } };
  return collectFacts([sshdLibrariesCollector], { host, sink, options }, { processes });
}

describe('sshd.injected-library', () => {
  it('names an unpackaged library and a deleted one in sshd; packaged ones and other processes are left alone', async () => {
    const sshd = proc({ pid: 700, comm: 'sshd', exe: '/usr/sbin/sshd', argv: ['sshd: /usr/sbin/sshd -D [listener]'], mappedFiles: ['/usr/sbin/sshd', `${LIBDIR}/libc.so.6`, `${LIBDIR}/libcrypto.so.3`, `${LIBDIR}/libkeyutils.so.1.9`, '/usr/lib/locale/locale-archive', '/dev/shm/.x/libs.so (deleted)'] });
    const other = proc({ pid: 800, comm: 'bash', exe: '/usr/bin/bash', mappedFiles: ['/tmp/evil.so'] });
    const { facts } = await collect([sshd, other]);
    expect(facts.sshdLibraries!.map((l) => [l.pid, l.library, l.deleted])).toEqual([
      [700, `${LIBDIR}/libkeyutils.so.1.9`, false],
      [700, '/dev/shm/.x/libs.so', true],
    ]);
    const findings = runRule(injectedLibrary, facts);
    expect(findings.map((f) => [f.subject.path, f.severity])).toEqual([
      [`${LIBDIR}/libkeyutils.so.1.9`, 'critical'],
      ['/dev/shm/.x/libs.so', 'critical'],
    ]);
  });

  it('a packaged library replaced by an upgrade while sshd ran is medium', async () => {
    const sshd = proc({ pid: 701, comm: 'sshd', exe: '/usr/sbin/sshd', mappedFiles: [`${LIBDIR}/libc.so.6 (deleted)`] });
    const { facts } = await collect([sshd]);
    expect(runRule(injectedLibrary, facts).map((f) => f.severity)).toEqual(['medium']);
  });

  it("a fake sshd's own deleted executable is not a library (process.deleted-exe names it); a deleted library beside it still is", async () => {
    const fake = proc({ pid: 703, comm: 'sshd', exe: '/tmp/.x/sshd', exeDeleted: true, mappedFiles: ['/tmp/.x/sshd (deleted)', `${LIBDIR}/libc.so.6`, '/tmp/.x/hook.so (deleted)'] });
    const { facts } = await collect([fake]);
    expect(facts.sshdLibraries!.map((l) => l.library)).toEqual(['/tmp/.x/hook.so']);
  });

  it('is silent when every library is packaged', async () => {
    const sshd = proc({ pid: 702, comm: 'sshd-session', exe: '/usr/lib/openssh/sshd-session', mappedFiles: [`${LIBDIR}/libc.so.6`] });
    const { facts } = await collect([sshd]);
    expect(facts.sshdLibraries).toEqual([]);
  });
});

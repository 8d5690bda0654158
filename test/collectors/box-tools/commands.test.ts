import { describe, expect, it } from 'vitest';
import { boxLoginsCollector } from '../../../src/collectors/box-tools/box-logins.js';
import { boxToolsCollector } from '../../../src/collectors/box-tools/commands.js';
import type { CollectContext } from '../../../src/collectors/types.js';
import { CaseStore } from '../../../src/evidence/store.js';
import { createHostContext } from '../../../src/host/context.js';
import type { CommandResult } from '../../../src/host/exec.js';
import { tmpDir } from '../../helpers/bundle.js';
import { replayExec } from '../../helpers/fake-proc.js';

async function context(answers: Record<string, string>, unexpected: string[]): Promise<CollectContext> {
  return {
    host: createHostContext({ root: '/', exec: replayExec(answers, unexpected) }),
    sink: await CaseStore.create(tmpDir('irt-box-'), 'T'),
    facts: {},
    options: { sshPorts: [], maxFileBytes: 1 << 20, maxCommandBytes: 1 << 20, commandTimeoutMs: 1000, toolLists: { names: [], hashes: [] } },
  };
}

describe('box-tools collectors', () => {
  it('each provides the results of its own commands, by name', async () => {
    const unexpected: string[] = [];
    const ctx = await context({ 'a --x': 'A\n', 'b': 'B\n' }, unexpected);
    const first = boxToolsCollector({ id: 'one', title: 'one', description: 'one' }, 'boxLoginTools', [{ name: 'a', argv: ['a', '--x'] }]);
    const second = boxToolsCollector({ id: 'two', title: 'two', description: 'two' }, 'boxNetworkTools', [{ name: 'b', argv: ['b'] }]);
    expect(first.provides).toEqual(['boxLoginTools']);
    const one = (await first.collect(ctx)).facts?.boxLoginTools as Record<string, CommandResult>;
    const two = (await second.collect(ctx)).facts?.boxNetworkTools as Record<string, CommandResult>;
    expect(Object.keys(one)).toEqual(['a']);
    expect(Object.keys(two)).toEqual(['b']);
    expect(one.a.stdout.toString()).toBe('A\n');
    expect(unexpected).toEqual([]);
  });

  it('run exactly the commands they declare, numeric flags only', async () => {
    const unexpected: string[] = [];
    const ctx = await context({}, unexpected);
    await boxLoginsCollector.collect(ctx);
    expect(unexpected).toEqual([
      'who -a',
      'w -i',
      'last -F -w -x',
      'lastb -F -w',
      'journalctl --no-pager -o short-iso-precise _COMM=sshd + _COMM=sshd-session + _COMM=sshd-auth + _SYSTEMD_UNIT=ssh.service + _SYSTEMD_UNIT=sshd.service',
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { analyzeCommand } from '../../src/collectors/persistence/parse-command.js';
import { shortTypeName } from '../../src/collectors/ssh-keys/parse-authorized-keys.js';
import { canonicalKeyword } from '../../src/collectors/sshd-config/settings.js';
import { lookup } from '../../src/model/lookup.js';
import { masquerade } from '../../src/rules/process/masquerade.js';
import type { Facts } from '../../src/model/facts.js';
import { proc } from '../helpers/records.js';

/** Names a box can hand over that plain `table[key]` answers with Object's own members (found by fuzzing). */
const OBJECT_NAMES = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'];

describe('tables looked up by names from the box: only their own entries', () => {
  it('lookup answers own entries only', () => {
    const table = { sshd: 1 };
    expect(lookup(table, 'sshd')).toBe(1);
    for (const k of OBJECT_NAMES) expect(lookup(table, k), k).toBeUndefined();
  });

  it('a process named "constructor" is no daemon claim, and the masquerade rule does not throw on it', () => {
    for (const name of OBJECT_NAMES) {
      const facts = { processes: [proc({ pid: 4100, comm: name, argv: [name], exe: '/tmp/.x/run' })] } as Facts;
      expect(masquerade.detect(facts, {}), name).toEqual([]);
    }
  });

  it('a key type "constructor" keeps its own name', () => {
    for (const name of OBJECT_NAMES) expect(shortTypeName(name)).toBe(name);
  });

  it('an sshd_config keyword "constructor" is no alias', () => {
    for (const name of OBJECT_NAMES) expect(canonicalKeyword(name)).toBe(name.toLowerCase());
  });

  it('a command "toString /tmp/.x/run" runs toString, which is no wrapper such as nohup', () => {
    expect(analyzeCommand('toString /tmp/.x/run').runs).toEqual(analyzeCommand('frobnicate /tmp/.x/run').runs.map((r) => ({ ...r })));
    expect(analyzeCommand('nohup /tmp/.x/run').runs).toEqual([{ path: '/tmp/.x/run', as: 'program' }]);
  });
});

import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as blockIp from '../../src/actions/block-ip.js';
import * as disable from '../../src/actions/disable.js';
import * as freeze from '../../src/actions/freeze.js';
import { ACTIONS } from '../../src/actions/index.js';
import * as kill from '../../src/actions/kill.js';
import * as quarantine from '../../src/actions/quarantine.js';

const MODULES: Record<string, Record<string, unknown>> = { 'block-ip': blockIp, disable, freeze, kill, quarantine };
const camel = (id: string) => id.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());

describe('every registered action is implemented in src/actions/<id>.ts', () => {
  it('the modules are the registry, no more and no less', () => {
    expect(Object.keys(MODULES).sort()).toEqual(ACTIONS.map((a) => a.id));
  });

  it.each(ACTIONS.map((a) => a.id))('%s: a plan and an apply function, and docs/containment.md describes it', (id) => {
    expect(existsSync(`src/actions/${id}.ts`)).toBe(true);
    expect(typeof MODULES[id][`plan${camel(id)}`]).toBe('function');
    expect(typeof MODULES[id][`apply${camel(id)}`]).toBe('function');
    expect(readFileSync('docs/containment.md', 'utf8')).toMatch(new RegExp(`^## ${id} — `, 'm'));
  });
});

import { describe, expect, it } from 'vitest';
import type { ActionPlan } from '../../src/actions/types.js';
import { renderPlan } from '../../src/runner/plan-view.js';

function plan(changes: number, over: Partial<ActionPlan> = {}): ActionPlan {
  return {
    action: 'quarantine',
    summary: '/tmp/.x \x1b[31mred',
    changes: Array.from({ length: changes }, (_, i) => ({ op: i % 2 ? 'chmod' : 'copy', target: `/tmp/.x/f${i}`, detail: '0755 → 0200' })),
    warnings: ['root still reads it \x07'],
    refused: null,
    data: {},
    ...over,
  };
}

describe('one plan renderer, two layouts', () => {
  it('step: the summary, a table of at most 30 changes, the warnings, the refusal; attacker text sanitised', () => {
    const text = renderPlan(plan(32, { refused: 'protected \x1b]0;x\x07' }), 'step');
    const lines = text.split('\n');
    expect(lines[0]).toBe('');
    expect(lines[1]).not.toMatch(/\x1b/);
    expect(lines[1]).toMatch(/^\/tmp\/\.x .*red$/);
    expect(lines[2]).toMatch(/^change +target +detail$/);
    expect(lines.filter((l) => /\/tmp\/\.x\/f\d+/.test(l))).toHaveLength(30);
    expect(text).toContain('\n  … and 2 more\n  ! root still reads it');
    expect(lines.at(-2)).toMatch(/^  Refused: protected /);
    expect(text).not.toMatch(/[\x07\x1b]/);
    expect(text.endsWith('\n')).toBe(true);
  });

  it('step: no table without changes, no refusal line without a refusal', () => {
    expect(renderPlan(plan(0, { warnings: [] }), 'step')).toBe(`\n${renderPlan(plan(0, { warnings: [] }), 'step').split('\n')[1]}\n`);
    expect(renderPlan(plan(1), 'step')).not.toMatch(/Refused|more/);
  });

  it('command: the action and summary, the refusal, aligned changes (at most 40), the warnings under a heading', () => {
    const text = renderPlan(plan(41, { refused: 'no' }), 'command');
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^quarantine: \/tmp\/\.x .*red$/);
    expect(lines[1]).toBe('  REFUSED: no');
    expect(lines[2]).toBe('  copy   /tmp/.x/f0  0755 → 0200');
    expect(lines[3]).toBe('  chmod  /tmp/.x/f1  0755 → 0200');
    expect(lines.filter((l) => /\/tmp\/\.x\/f\d+/.test(l))).toHaveLength(40);
    expect(text).toContain('\n  …and 1 more change(s), all listed in the undo record\nWhat this does not stop, and what to know:\n  - root still reads it');
    expect(text).not.toMatch(/[\x07\x1b]/);
    expect(renderPlan(plan(2, { warnings: [] }), 'command')).not.toMatch(/What this does not stop|more change/);
  });
});

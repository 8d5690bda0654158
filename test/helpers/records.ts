import type { ProcessRecord } from '../../src/model/processes.js';

/** A plausible process record; tests override what they are about. */
export function proc(over: Partial<ProcessRecord> & { pid: number }): ProcessRecord {
  return {
    ppid: 1,
    uid: 0,
    user: 'root',
    comm: 'bash',
    argv: ['/bin/bash'],
    exe: '/usr/bin/bash',
    exeDeleted: false,
    cwd: '/root',
    root: '/',
    startTime: '2026-01-01T00:00:00.000Z',
    startTicks: 1000,
    state: 'S',
    kernelThread: false,
    ldPreload: null,
    ldLibraryPath: null,
    socketInodes: [],
    openFiles: [],
    pipes: 0,
    mappedFiles: [],
    netns: 4026531840,
    ...over,
  };
}

/** A clean box: init, a real sshd and its session, kernel threads, a daemon with cwd /tmp. */
export function cleanBaseline(): ProcessRecord[] {
  return [
    proc({ pid: 1, ppid: 0, comm: 'systemd', argv: ['/sbin/init'], exe: '/usr/lib/systemd/systemd', cwd: '/' }),
    proc({ pid: 2, ppid: 0, comm: 'kthreadd', argv: [], exe: null, cwd: null, root: null, kernelThread: true }),
    proc({ pid: 30, ppid: 2, comm: 'kswapd0', argv: [], exe: null, cwd: null, root: null, kernelThread: true }),
    proc({ pid: 31, ppid: 2, comm: 'kworker/0:1-events', argv: [], exe: null, cwd: null, root: null, kernelThread: true }),
    proc({ pid: 32, ppid: 2, comm: 'kdevtmpfs', argv: [], exe: null, cwd: null, root: null, kernelThread: true }),
    proc({ pid: 500, comm: 'sshd', argv: ['sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups'], exe: '/usr/sbin/sshd', cwd: '/' }),
    proc({ pid: 600, ppid: 500, comm: 'sshd-session', argv: ['sshd-session: alice [priv]'], exe: '/usr/lib/openssh/sshd-session', cwd: '/' }),
    proc({ pid: 601, ppid: 600, uid: 1000, user: 'alice', comm: 'sshd-session', argv: ['sshd-session: alice@pts/0'], exe: '/usr/lib/openssh/sshd-session', cwd: '/' }),
    proc({ pid: 602, ppid: 601, uid: 1000, user: 'alice', comm: 'bash', argv: ['-bash'], exe: '/usr/bin/bash', cwd: '/home/alice' }),
    proc({ pid: 700, comm: 'cron', argv: ['/usr/sbin/cron', '-f'], exe: '/usr/sbin/cron', cwd: '/var/spool/cron' }),
    proc({ pid: 701, comm: 'rsyslogd', argv: ['/usr/sbin/rsyslogd', '-n'], exe: '/usr/sbin/rsyslogd', cwd: '/' }),
    proc({ pid: 702, comm: 'nginx', argv: ['nginx: master process /usr/sbin/nginx'], exe: '/usr/sbin/nginx', cwd: '/' }),
    proc({ pid: 703, comm: 'node', argv: ['node', 'server.js'], exe: '/usr/bin/node', cwd: '/tmp' }),
    proc({ pid: 704, comm: 'jemalloc-app', argv: ['/opt/app/bin/app'], exe: '/opt/app/bin/app', cwd: '/opt/app' }),
    proc({ pid: 705, comm: 'sshd', argv: ['/usr/sbin/sshd', '-D'], exe: '/usr/sbin/sshd', cwd: '/' }),
  ];
}

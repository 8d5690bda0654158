import { describe, expect, it } from 'vitest';
import { classifyCommand, downloadedNames, learn, newFileState, withCwd } from '../../../src/collectors/shell-history/classify.js';
import { analyzeCommand, simpleCommands } from '../../../src/collectors/persistence/parse-command.js';

const kinds = (text: string) => classifyCommand(text, newFileState(), '/home/a').map((s) => [s.kind, s.target]);

describe('simpleCommands', () => {
  it('words past wrappers, redirections kept, sh -c and $(…) followed', () => {
    expect(simpleCommands('sudo -u root sh -c "echo > /var/log/wtmp" && x=$(rm -f /var/log/btmp)')).toEqual([
      { words: ['sh', '-c', 'echo > /var/log/wtmp'], redirects: [] },
      { words: ['echo'], redirects: [{ op: '>', target: '/var/log/wtmp' }] },
      { words: ['rm', '-f', '/var/log/btmp'], redirects: [] },
    ]);
  });
});

describe('classifyCommand', () => {
  it('log wiping', () => {
    expect(kinds('cat /dev/null > /var/log/wtmp')).toEqual([['log-wipe', '/var/log/wtmp']]);
    expect(kinds(': > /var/log/auth.log')).toEqual([['log-wipe', '/var/log/auth.log']]);
    expect(kinds('shred -zu /var/log/secure')).toEqual([['log-wipe', '/var/log/secure']]);
    expect(kinds('journalctl --vacuum-time=1s')).toEqual([['log-wipe', '/var/log/journal']]);
    expect(kinds('find /var/log -type f -delete')).toEqual([['log-wipe', '/var/log']]);
    expect(kinds("sed -i '/203.0.113.9/d' /var/log/auth.log")).toEqual([['log-wipe', '/var/log/auth.log']]);
    expect(kinds('ln -sf /dev/null /var/log/lastlog')).toEqual([['log-wipe', '/var/log/lastlog']]);
    // Reading logs, appending to them, writing elsewhere: nothing.
    expect(kinds('grep Failed /var/log/auth.log > /tmp/f.txt')).toEqual([]);
    expect(kinds('logger hi >> /var/log/syslog')).toEqual([]);
    expect(kinds('tail -f /var/log/syslog')).toEqual([]);
  });

  it('history wiping', () => {
    expect(kinds('history -c')).toEqual([['history-wipe', null]]);
    expect(kinds('history -cw')).toEqual([['history-wipe', null]]);
    expect(kinds('unset HISTFILE')).toEqual([['history-wipe', null]]);
    expect(kinds('export HISTFILE=/dev/null')).toEqual([['history-wipe', null]]);
    expect(kinds('HISTSIZE=0')).toEqual([['history-wipe', null]]);
    expect(kinds('set +o history')).toEqual([['history-wipe', null]]);
    expect(kinds('> ~/.bash_history')).toEqual([['history-wipe', '~/.bash_history']]);
    expect(kinds('rm -f /root/.bash_history')).toEqual([['history-wipe', '/root/.bash_history']]);
    expect(kinds('ln -sf /dev/null ~/.bash_history')).toEqual([['history-wipe', '~/.bash_history']]);
    expect(kinds('kill -9 $$')).toEqual([['history-wipe', null]]);
    expect(kinds('history | tail')).toEqual([]);
    expect(kinds('HISTSIZE=1000')).toEqual([]);
  });

  it('defences off', () => {
    expect(kinds('iptables -F')).toEqual([['defence-off', 'iptables']]);
    expect(kinds('iptables -P INPUT ACCEPT')).toEqual([['defence-off', 'iptables']]);
    expect(kinds('ufw disable')).toEqual([['defence-off', 'ufw']]);
    expect(kinds('setenforce 0')).toEqual([['defence-off', 'selinux']]);
    expect(kinds('systemctl stop auditd rsyslog.service')).toEqual([['defence-off', 'auditd'], ['defence-off', 'rsyslog']]);
    expect(kinds('service fail2ban stop')).toEqual([['defence-off', 'fail2ban']]);
    expect(kinds('pkill -9 auditd')).toEqual([['defence-off', 'auditd']]);
    expect(kinds('auditctl -D')).toEqual([['defence-off', 'auditd']]);
    expect(kinds('nft flush ruleset')).toEqual([['defence-off', 'nftables']]);
    expect(kinds('iptables -L -n')).toEqual([]);
    expect(kinds('systemctl restart rsyslog')).toEqual([]);
    expect(kinds('systemctl stop nginx')).toEqual([]);
  });

  it('account and key changes', () => {
    expect(kinds('useradd -o -u 0 -g 0 sys')).toEqual([['account-change', 'sys']]);
    expect(kinds('usermod -aG sudo alice')).toEqual([['account-change', 'alice']]);
    expect(kinds("echo 'ssh-rsa AAAA k' >> ~/.ssh/authorized_keys")).toEqual([['account-change', '~/.ssh/authorized_keys']]);
    expect(kinds("echo 'x ALL=(ALL) NOPASSWD:ALL' | tee -a /etc/sudoers.d/x")).toEqual([['account-change', '/etc/sudoers.d/x']]);
    expect(kinds('echo "sys:x:0:0::/root:/bin/bash" >> /etc/passwd')).toEqual([['account-change', '/etc/passwd']]);
    expect(kinds('chattr +i ~/.ssh/authorized_keys')).toEqual([['account-change', '~/.ssh/authorized_keys']]);
    expect(kinds('cat ~/.ssh/authorized_keys')).toEqual([]);
    expect(kinds('id alice')).toEqual([]);
  });

  it('download, then chmod or run, on later lines', () => {
    const state = newFileState();
    for (const [i, line] of ['wget http://x/m -O /var/tmp/m', 'curl -O http://x/kit.tgz?a=1', 'ls'].entries()) {
      expect(classifyCommand(line, state, '/root')).toEqual([]);
      learn(line, state, '/root', i + 1);
    }
    expect(classifyCommand('chmod +x /var/tmp/m', state, '/root').map((s) => s.what)).toEqual(['makes executable /var/tmp/m, downloaded on line 1']);
    expect(classifyCommand('/var/tmp/m', state, '/root')).toEqual([]); // reported once
    expect(classifyCommand('sh kit.tgz', state, '/root').map((s) => s.kind)).toEqual(['download-run']);
    expect(downloadedNames({ words: ['wget', '-qO-', 'http://x/a.sh'], redirects: [] })).toEqual([]);
    expect(downloadedNames({ words: ['wget', 'http://x/a.sh'], redirects: [] })).toEqual(['a.sh']);
  });

  it('cd on earlier lines makes ./x a path', () => {
    const state = newFileState();
    learn('cd /dev/shm', state, '/root', 1);
    learn('cd .x', state, '/root', 2);
    expect(state.cwd).toBe('/dev/shm/.x');
    expect(analyzeCommand(withCwd('./pscan2 22', state), { home: '/root' }).runs).toEqual([{ path: '/dev/shm/.x/pscan2', as: 'program' }]);
    learn("cd '/tmp/it'\\''s'", state, '/root', 3);
    expect(analyzeCommand(withCwd('./a', state), { home: '/root' }).runs).toEqual([{ path: "/tmp/it's/a", as: 'program' }]);
  });
});

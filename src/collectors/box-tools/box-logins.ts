import { boxToolsCollector } from './commands.js';

export const boxLoginsCollector = boxToolsCollector(
  {
    id: 'box-logins',
    title: "The box's own login tools",
    description: 'Raw output of who, w, last, lastb and the ssh journal, as the box itself reports them.',
  },
  'boxLoginTools',
  [
    { name: 'who', argv: ['who', '-a'] },
    { name: 'w', argv: ['w', '-i'] },
    { name: 'last', argv: ['last', '-F', '-w', '-x'] },
    { name: 'lastb', argv: ['lastb', '-F', '-w'] },
    {
      name: 'journalctl-ssh',
      argv: [
        'journalctl', '--no-pager', '-o', 'short-iso-precise',
        '_COMM=sshd', '+', '_COMM=sshd-session', '+', '_COMM=sshd-auth',
        '+', '_SYSTEMD_UNIT=ssh.service', '+', '_SYSTEMD_UNIT=sshd.service',
      ],
    },
  ],
);

import type { DraftFinding } from '../../model/finding.js';
import { defineRule } from '../types.js';
import { commandFinding, signalsOf } from './shared.js';

/** Changes that give an intruder a way back in as root. */
const GRAVE = /authorized_keys|sudoers|(?:^|\s)-[a-zA-Z]*[aG]+\S*\s+\S*(?:sudo|wheel|admin|root)|-o\s+-u\s*0|-u\s*0\s+-o|\/etc\/(?:passwd|shadow)/;

/** activity.account-change: a history command adds or changes an account, a password, sudo rights or an authorized key. */
export const accountChange = defineRule({
  id: 'activity.account-change',
  title: 'A shell history changes accounts or keys',
  description: 'After the first login, kits add a user (often uid 0), set a password, put an account in sudo or wheel, or write their key into authorized_keys so they keep access after the password is changed.',
  level: 'medium',
  mitre: ['T1136.001', 'T1098', 'T1098.004'],
  references: ['https://attack.mitre.org/techniques/T1136/001/', 'https://attack.mitre.org/techniques/T1098/004/'],
  falsePositives: ['An administrator creating accounts or installing keys: compare the time with the session and the change records.'],
  needs: ['historyCommands'],
  thresholds: {},
  detect(facts) {
    const out: DraftFinding[] = [];
    for (const c of facts.historyCommands) {
      // Sample: `useradd -o -u 0 -g 0 -M -d /root -s /bin/bash sys; echo 'ssh-rsa AAAA… mdrfckr' >> ~/.ssh/authorized_keys`
      const s = signalsOf(c, 'account-change');
      if (s.length === 0) continue;
      const grave = s.some((x) => GRAVE.test(x.what) || GRAVE.test(x.target ?? ''));
      out.push(commandFinding(facts, accountChange, c, grave ? 'high' : 'medium', 'Account or key changed from a shell', s.map((x) => x.what), 'Check the accounts, sudo rights and authorized keys this command touched (the persistence step lists them) and remove what the intruder added.', { targets: s.map((x) => x.target).filter(Boolean) }));
    }
    return out;
  },
});

/**
 * The ATT&CK (Enterprise) tactics and the techniques ir-triage's rules name, with the tactics each
 * belongs to. The first tactic of a technique is the one the story files it under; the others are
 * shown in the ATT&CK view. Source: https://attack.mitre.org/ (Enterprise matrix, v15).
 */
export const TACTICS = [
  'reconnaissance',
  'resource-development',
  'initial-access',
  'execution',
  'persistence',
  'privilege-escalation',
  'defense-evasion',
  'credential-access',
  'discovery',
  'lateral-movement',
  'collection',
  'command-and-control',
  'exfiltration',
  'impact',
] as const;
export type Tactic = (typeof TACTICS)[number];

export const TACTIC_NAMES: Record<Tactic, string> = {
  reconnaissance: 'Reconnaissance',
  'resource-development': 'Resource Development',
  'initial-access': 'Initial Access',
  execution: 'Execution',
  persistence: 'Persistence',
  'privilege-escalation': 'Privilege Escalation',
  'defense-evasion': 'Defense Evasion',
  'credential-access': 'Credential Access',
  discovery: 'Discovery',
  'lateral-movement': 'Lateral Movement',
  collection: 'Collection',
  'command-and-control': 'Command and Control',
  exfiltration: 'Exfiltration',
  impact: 'Impact',
};

export interface Technique {
  name: string;
  tactics: readonly Tactic[];
}

export const TECHNIQUES: Readonly<Record<string, Technique>> = {
  T1014: { name: 'Rootkit', tactics: ['defense-evasion'] },
  T1018: { name: 'Remote System Discovery', tactics: ['discovery'] },
  'T1021.004': { name: 'Remote Services: SSH', tactics: ['lateral-movement'] },
  'T1036.004': { name: 'Masquerading: Masquerade Task or Service', tactics: ['defense-evasion'] },
  'T1036.005': { name: 'Masquerading: Match Legitimate Name or Location', tactics: ['defense-evasion'] },
  'T1037.004': { name: 'Boot or Logon Initialization Scripts: RC Scripts', tactics: ['persistence', 'privilege-escalation'] },
  T1040: { name: 'Network Sniffing', tactics: ['credential-access', 'discovery'] },
  T1046: { name: 'Network Service Discovery', tactics: ['discovery'] },
  'T1053.003': { name: 'Scheduled Task/Job: Cron', tactics: ['persistence', 'execution', 'privilege-escalation'] },
  'T1053.006': { name: 'Scheduled Task/Job: Systemd Timers', tactics: ['persistence', 'execution', 'privilege-escalation'] },
  'T1056.001': { name: 'Input Capture: Keylogging', tactics: ['collection', 'credential-access'] },
  'T1059.004': { name: 'Command and Scripting Interpreter: Unix Shell', tactics: ['execution'] },
  T1070: { name: 'Indicator Removal', tactics: ['defense-evasion'] },
  'T1070.001': { name: 'Indicator Removal: Clear Windows Event Logs', tactics: ['defense-evasion'] },
  'T1070.002': { name: 'Indicator Removal: Clear Linux or Mac System Logs', tactics: ['defense-evasion'] },
  'T1070.003': { name: 'Indicator Removal: Clear Command History', tactics: ['defense-evasion'] },
  'T1070.004': { name: 'Indicator Removal: File Deletion', tactics: ['defense-evasion'] },
  T1078: { name: 'Valid Accounts', tactics: ['initial-access', 'persistence', 'privilege-escalation', 'defense-evasion'] },
  'T1078.003': { name: 'Valid Accounts: Local Accounts', tactics: ['initial-access', 'persistence', 'privilege-escalation', 'defense-evasion'] },
  T1098: { name: 'Account Manipulation', tactics: ['persistence', 'privilege-escalation'] },
  'T1098.004': { name: 'Account Manipulation: SSH Authorized Keys', tactics: ['persistence', 'privilege-escalation'] },
  T1105: { name: 'Ingress Tool Transfer', tactics: ['command-and-control'] },
  T1110: { name: 'Brute Force', tactics: ['credential-access'] },
  'T1110.001': { name: 'Brute Force: Password Guessing', tactics: ['credential-access'] },
  'T1110.003': { name: 'Brute Force: Password Spraying', tactics: ['credential-access'] },
  'T1136.001': { name: 'Create Account: Local Account', tactics: ['persistence'] },
  T1190: { name: 'Exploit Public-Facing Application', tactics: ['initial-access'] },
  T1204: { name: 'User Execution', tactics: ['execution'] },
  'T1205.002': { name: 'Traffic Signaling: Socket Filters', tactics: ['defense-evasion', 'persistence', 'command-and-control'] },
  T1496: { name: 'Resource Hijacking', tactics: ['impact'] },
  'T1543.002': { name: 'Create or Modify System Process: Systemd Service', tactics: ['persistence', 'privilege-escalation'] },
  'T1546.004': { name: 'Event Triggered Execution: Unix Shell Configuration Modification', tactics: ['persistence', 'privilege-escalation'] },
  'T1547.006': { name: 'Boot or Logon Autostart Execution: Kernel Modules and Extensions', tactics: ['persistence', 'privilege-escalation'] },
  'T1548.001': { name: 'Abuse Elevation Control Mechanism: Setuid and Setgid', tactics: ['privilege-escalation', 'defense-evasion'] },
  T1554: { name: 'Compromise Host Software Binary', tactics: ['persistence'] },
  T1556: { name: 'Modify Authentication Process', tactics: ['credential-access', 'defense-evasion', 'persistence'] },
  'T1562.001': { name: 'Impair Defenses: Disable or Modify Tools', tactics: ['defense-evasion'] },
  'T1562.003': { name: 'Impair Defenses: Impair Command History Logging', tactics: ['defense-evasion'] },
  'T1562.004': { name: 'Impair Defenses: Disable or Modify System Firewall', tactics: ['defense-evasion'] },
  'T1562.012': { name: 'Impair Defenses: Disable or Modify Linux Audit System', tactics: ['defense-evasion'] },
  T1564: { name: 'Hide Artifacts', tactics: ['defense-evasion'] },
  'T1564.001': { name: 'Hide Artifacts: Hidden Files and Directories', tactics: ['defense-evasion'] },
  T1574: { name: 'Hijack Execution Flow', tactics: ['persistence', 'privilege-escalation', 'defense-evasion'] },
  'T1574.006': { name: 'Hijack Execution Flow: Dynamic Linker Hijacking', tactics: ['persistence', 'privilege-escalation', 'defense-evasion'] },
  'T1588.001': { name: 'Obtain Capabilities: Malware', tactics: ['resource-development'] },
  'T1589.001': { name: 'Gather Victim Identity Information: Credentials', tactics: ['reconnaissance'] },
};

/** The technique's entry, a sub-technique falling back to its parent; undefined when unknown. */
export function technique(id: string): Technique | undefined {
  const own = (key: string): Technique | undefined => (Object.hasOwn(TECHNIQUES, key) ? TECHNIQUES[key] : undefined);
  return own(id) ?? own(id.split('.')[0]!);
}

/** The tactics of a technique id (none when the id is unknown). */
export function tacticsOf(id: string): readonly Tactic[] {
  return technique(id)?.tactics ?? [];
}

/** The ATT&CK page of a technique id: T1110.001 → https://attack.mitre.org/techniques/T1110/001/ */
export function techniqueUrl(id: string): string {
  return `https://attack.mitre.org/techniques/${id.replace('.', '/')}/`;
}

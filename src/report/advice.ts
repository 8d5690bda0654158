import type { VerdictLevel } from './verdict.js';

/**
 * The words around the facts: what a security officer should do about a verdict, and a finding's
 * detail split into why it matters and what to do next.
 */

/** The first steps for each verdict, most urgent first. */
export const VERDICT_ADVICE: Record<VerdictLevel, string[]> = {
  compromised: [
    'Treat the box as compromised: keep it running but cut it off (security group or upstream firewall), so memory and connections stay for analysis.',
    'Lock the accounts named below, revoke their keys and rotate every credential that was ever on the box (passwords, ssh keys, API tokens).',
    'Look for persistence before any cleanup: authorized_keys, crontabs, systemd units, new accounts, ld.so.preload.',
    'Plan to rebuild from a known-good image; a cleaned box cannot be trusted again.',
  ],
  attacking: [
    'Stop the attack now: freeze the process (SIGSTOP keeps its memory) or block outbound ssh from the box.',
    'Tell the abuse desk or hosting provider that the traffic is stopped and the box is being investigated.',
    'Find how the attacker got in: the tool runs as some user who logged in or was exploited — check the sessions and the auth log below.',
    'Plan to rebuild from a known-good image after the evidence is kept.',
  ],
  attacked: [
    'No login from the attacking addresses succeeded in the logs read, but check the sessions table for anything unexpected.',
    'Block the top addresses at the firewall and install fail2ban or sshguard.',
    'Harden sshd: keys only (PasswordAuthentication no), no direct root login (PermitRootLogin no).',
  ],
  suspicious: [
    'Nothing conclusive, but each finding below needs a look by someone who knows the box.',
    'Keep this bundle: if one of them turns out to be malicious, the evidence is already preserved.',
  ],
  clean: [
    'No sign of compromise in what was checked. If the alert came from outside (an abuse report), compare its times with the timeline: the activity may predate the logs kept.',
  ],
};

// Sentences that tell the reader what to do, as the rules phrase them.
const ACTION_START = /^(Next:|Freeze|Find|Block|Kill|Check|Treat|Look|Tell|Keep|Lock|Turn|See|If |Make|Preserve|Quarantine|Remove|Compare|Rotate|Verify|Investigate|Read|Reinstall|Rebuild|Stop|Change|Disable|Confirm|Review|For the long run|Restore|Collect|Ask|Inspect|Identify|Reboot|Isolate)/;

export interface DetailParts {
  /** What was seen and why it matters. */
  why: string;
  /** What to do about it; empty when the detail gives no advice. */
  next: string[];
}

/** Splits a finding's detail at its first sentence of advice; the text is kept as it is, only divided. */
export function splitDetail(detail: string): DetailParts {
  const sentences = detail.trim().split(/(?<=[.!?])\s+(?=[A-Z(`])/);
  const at = sentences.findIndex((s, i) => i > 0 && ACTION_START.test(s));
  if (at < 0) return { why: detail.trim(), next: [] };
  return {
    why: sentences.slice(0, at).join(' '),
    next: sentences.slice(at).map((s) => {
      const t = s.replace(/^Next:\s*/, '');
      return t.charAt(0).toUpperCase() + t.slice(1);
    }),
  };
}

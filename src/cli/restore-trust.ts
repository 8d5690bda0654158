import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { checkRecordMac, stateDir } from '../actions/record-key.js';
import { EXIT } from '../model/errors.js';
import { sanitizeForTerminal as safe } from '../report/text.js';
import { confirmOnTerminal, type ActionCliDeps, type ActionCliOptions } from './action-cli.js';

/** A record as restore loaded it: its bytes, their sha256, and the sha256 of the bundle it came in (when it did). */
export interface RecordToTrust {
  source: string;
  sha256: string;
  bytes: Buffer;
  bundleSha256?: string | null;
}

/** How restore came to accept a record (kept in the restore case's custody log). */
export type TrustedBy = { by: 'mac'; keyId: string } | { by: '--trust-record'; sha256: string; why: string } | { by: 'terminal'; why: string };

export async function sha256OfFile(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** The --trust-record values, checked: 64 hex digits each. */
export function trustedHashes(opts: ActionCliOptions): Set<string> {
  return new Set((opts.trustRecord ?? []).map((h) => h.trim().toLowerCase()));
}

/**
 * Accepts each record only when this machine's record key authenticates it (its MAC), or when the
 * responder vouches for it: `--trust-record SHA256` naming the record's sha256 or the sha256 of
 * the bundle it came in (the `sha256:` line the action printed, the .sha256 sidecar kept with the
 * case), or a yes at the terminal after seeing those hashes. `--yes` never vouches for a record.
 * Returns how each was accepted, or the exit code when one is not.
 */
export async function trustRecords(records: RecordToTrust[], opts: ActionCliOptions, deps: ActionCliDeps): Promise<TrustedBy[] | number> {
  const vouched = trustedHashes(opts);
  const out: TrustedBy[] = [];
  for (const r of records) {
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(r.bytes.toString('utf8'));
    } catch {
      parsed = null;
    }
    const mac = checkRecordMac(parsed);
    if (mac.ok) {
      out.push({ by: 'mac', keyId: mac.keyId });
      continue;
    }
    const hit = [r.sha256, r.bundleSha256].find((h) => h && vouched.has(h));
    if (hit) {
      process.stderr.write(`ir-triage: note: ${safe(r.source)} cannot be authenticated (${safe(mac.why)}); accepted because --trust-record names its ${hit === r.sha256 ? 'sha256' : "bundle's sha256"}\n`);
      out.push({ by: '--trust-record', sha256: hit, why: mac.why });
      continue;
    }
    const lines = [
      `ir-triage: ${safe(r.source)} cannot be authenticated: ${safe(mac.why)}.`,
      `  record sha256: ${r.sha256}`,
      ...(r.bundleSha256 ? [`  bundle sha256: ${r.bundleSha256}`] : []),
      `  An undo record tells root which modes, lines and links to put back; one that this machine's record key (${stateDir()}/record-key) did not sign could have been made by anyone.`,
      '  If you ran the action, compare a sha256 above with the one it printed (or the .sha256 file kept with the case) and, only if it matches, re-run with --trust-record <that sha256>.',
    ];
    process.stderr.write(lines.join('\n') + '\n');
    const interactive = deps.interactive ?? (process.stdin.isTTY === true && process.stderr.isTTY === true);
    if (opts.yes || !interactive) return EXIT.error;
    let yes: boolean;
    try {
      yes = await (deps.prompter ?? confirmOnTerminal)(`trust ${safe(r.source)} (sha256 ${r.sha256.slice(0, 16)}…) although it cannot be authenticated?`);
    } catch (err) {
      if ((err as Error).name === 'ExitPromptError') return EXIT.interrupted;
      throw err;
    }
    if (!yes) {
      process.stderr.write('ir-triage: not trusted: nothing was changed\n');
      return EXIT.error;
    }
    out.push({ by: 'terminal', why: mac.why });
  }
  return out;
}

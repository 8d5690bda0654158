/**
 * What the auth analysis keeps after a block of the log is read (tally rows, logins, counters)
 * must not keep the block itself alive: fields cut out of a block's string are V8 slices of it
 * unless copied (own-string.ts). Measured on the heap after a full garbage collection.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { AuthAnalysis } from '../../../src/collectors/auth/analysis.js';
import { ownString } from '../../../src/collectors/auth/own-string.js';
import { makeYearResolver } from '../../../src/collectors/auth/parse-syslog.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function heap(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

const BLOCKS = 80;
const BLOCK_BYTES = 256 * 1024;
const MiB = 1024 * 1024;

/** A block of whole lines: a login and a failure from addresses of its own, cron noise to fill it. */
function block(i: number): Buffer {
  const a = `203.0.${100 + (i >> 8)}.${100 + (i & 0xff) % 150}`;
  const b = `198.51.${100 + (i >> 8)}.${100 + (i & 0xff) % 150}`;
  const lines = [
    `Mar  3 10:${String(i % 60).padStart(2, '0')}:01 web01 sshd[${1000 + i}]: Accepted publickey for deployment-user-${i} from ${a} port 50022 ssh2: ED25519 SHA256:${'k'.repeat(43)}${i}`,
    `Mar  3 10:${String(i % 60).padStart(2, '0')}:02 web01 sshd[${5000 + i}]: Failed password for invalid user administrator${i} from ${b} port 40000 ssh2`,
  ];
  let text = lines.join('\n') + '\n';
  const noise = `Mar  3 10:00:03 web01 CRON[77]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)\n`;
  text += noise.repeat(Math.ceil((BLOCK_BYTES - text.length) / noise.length));
  return Buffer.from(text, 'latin1');
}

describe('strings kept beyond their block', () => {
  it('ownString copies a slice out of the string it was cut from', () => {
    const before = heap();
    const kept: string[] = [];
    for (let i = 0; i < BLOCKS; i++) {
      const s = Buffer.alloc(BLOCK_BYTES, String.fromCharCode(97 + (i % 26))).toString('latin1');
      kept.push(ownString(s.slice(100, 140)));
    }
    const retained = heap() - before;
    expect(kept.every((k) => k.length === 40)).toBe(true);
    expect(retained).toBeLessThan(4 * MiB);
    // The same without the copy keeps every block: what the check above would see without it.
    const slices: string[] = [];
    const before2 = heap();
    for (let i = 0; i < BLOCKS; i++) {
      const s = Buffer.alloc(BLOCK_BYTES, String.fromCharCode(97 + (i % 26))).toString('latin1');
      slices.push(s.slice(100, 140));
    }
    expect(heap() - before2).toBeGreaterThan((BLOCKS * BLOCK_BYTES) / 2);
    expect(slices.length).toBe(BLOCKS);
  });

  it('keeps text as it is (short, long, not Latin-1, lone surrogates, null)', () => {
    for (const s of ['', 'root', 'a'.repeat(13), 'ünïcödé-user-name ✓', '\ud800lone-surrogate-here', 'x'.repeat(5000)]) {
      expect(ownString(s)).toBe(s);
    }
    expect(ownString(null)).toBeNull();
  });

  for (const fastPath of [true, false]) {
    it(`the tally and the logins hold no block of the log once read (fast path ${fastPath ? 'on' : 'off'})`, async () => {
      let bytes = 0;
      const before = heap();
      const analysis = new AuthAnalysis();
      await analysis.readSyslogBlocks(
        (async function* () {
          // Made, handed over and dropped one at a time, as the file reader does.
          for (let i = 0; i < BLOCKS; i++) {
            const b = block(i);
            bytes += b.length;
            yield b;
          }
        })(),
        { source: 'auth.log', yearResolver: makeYearResolver(new Date(Date.UTC(2025, 11, 31))), fastPath },
      );
      const retained = heap() - before;
      const facts = analysis.facts();
      expect(facts.authLogins).toHaveLength(BLOCKS);
      expect(facts.authTally?.length).toBe(2 * BLOCKS);
      expect(facts.authLogins?.[BLOCKS - 1].key).toBe(`ED25519 SHA256:${'k'.repeat(43)}${BLOCKS - 1}`);
      // Rows and logins for 160 addresses are a few hundred KiB; the blocks were 20 MiB.
      expect(retained).toBeLessThan(bytes / 4);
    });
  }
});

import { describe, expect, it } from 'vitest';
import { sealCase } from '../../src/evidence/bundle.js';
import { CaseStore } from '../../src/evidence/store.js';
import { verifyBundle } from '../../src/evidence/verify.js';
import type { Progress } from '../../src/model/progress.js';
import { tmpDir } from '../helpers/bundle.js';

describe('the bundle reports its compression on the progress it is given', () => {
  it('one task, the tar\'s bytes counted up to its size, ended once; the bundle verifies', async () => {
    const store = await CaseStore.create(tmpDir('irt-bundle-progress-'), 'PROG-1');
    store.custody.append('ir-triage', 'case-opened', { case: 'PROG-1' });
    // 3 MiB of a log copy and a small file: several chunks through the tar.
    await store.writeFile('files/logs/var/log/auth.log', Buffer.alloc(3 * 1024 * 1024 + 17, 0x61));
    await store.writeFile('findings.json', '[]\n');
    store.custody.append('ir-triage', 'case-closed', {});
    const tasks: Array<{ label: string; total: number | null; added: number[]; done: number }> = [];
    const progress: Progress = {
      start(label, total) {
        const t = { label, total, added: [] as number[], done: 0 };
        tasks.push(t);
        return { add: (n) => t.added.push(n), done: () => t.done++ };
      },
    };
    const sealed = await sealCase(store, { case: 'PROG-1', sources: [] }, { progress });
    expect(tasks).toHaveLength(1);
    const [task] = tasks;
    expect(task.label).toBe('compressing the bundle');
    expect(task.done).toBe(1);
    expect(task.added.length).toBeGreaterThan(1);
    const read = task.added.reduce((a, b) => a + b, 0);
    // Every staged file is in the tar: at least their bytes, and at most the size announced (ustar headers, no pax).
    expect(read).toBeGreaterThan(3 * 1024 * 1024);
    expect(read).toBeLessThanOrEqual(task.total!);
    expect(task.total! - read).toBeLessThan(512 * 8);
    expect((await verifyBundle(sealed.bundle)).ok).toBe(true);
  });
});

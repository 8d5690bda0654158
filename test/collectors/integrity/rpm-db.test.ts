/**
 * rpm's database read as a file: real databases written by Debian's rpm (rpmbuild, then
 * rpm -i --root into a temporary root), checked against rpm -qf, rpm -ql and rpm -V on the same
 * root; and hostile header blobs (truncated, offsets and counts past the data store).
 */
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRpmDb, parseRpmSqlite, readRpmDb } from '../../../src/collectors/integrity/rpm-db.js';
import { MAX_HEADER_BYTES, parseRpmHeader, RpmHeaderError, RPMTAG } from '../../../src/collectors/integrity/rpm-header.js';
import { loadSqlJs } from '../../../src/collectors/logins/parse-wtmpdb.js';
import { createHostContext } from '../../../src/host/context.js';
import { hasRpm, buildRpm, rpm, rpmInstall } from '../../helpers/rpm.js';
import { removeMade, scratch } from './fake-root.js';

const ELF = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]), Buffer.alloc(64, 7)]);

async function blobsOf(dbFile: string): Promise<Uint8Array[]> {
  const SQL = await loadSqlJs();
  const db = new SQL.Database(readFileSync(dbFile));
  try {
    return db.exec('SELECT blob FROM Packages ORDER BY hnum')[0].values.map((r) => r[0] as Uint8Array);
  } finally {
    db.close();
  }
}

/** The first index entry of `tag` in a header blob: where its 16 bytes start. */
function entryAt(blob: Uint8Array, tag: number): number {
  const v = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const il = v.getUint32(0);
  for (let i = 0; i < il; i++) if (v.getUint32(8 + i * 16) === tag) return 8 + i * 16;
  throw new Error(`no tag ${tag}`);
}

function patched(blob: Uint8Array, at: number, value: number): Uint8Array {
  const copy = Uint8Array.from(blob);
  new DataView(copy.buffer).setUint32(at, value);
  return copy;
}

afterAll(removeMade);

describe.skipIf(!hasRpm)('rpmdb.sqlite written by the real rpm', () => {
  let root: string;
  let blob: Uint8Array;

  beforeAll(async () => {
    root = scratch('irt-rpmroot-');
    const tools = buildRpm({
      name: 'irt-tools',
      version: '2.5',
      release: '7.fc40',
      files: [
        { path: '/usr/bin/irt-ps', content: ELF, mode: 0o755 },
        { path: '/usr/bin/irt-su', content: Buffer.concat([ELF, Buffer.from('su')]), mode: 0o4755 },
        { path: '/usr/bin/irt-pgrep', link: 'irt-ps' },
        { path: '/etc/irt-tools.conf', content: 'a=1\n', config: true },
        { path: '/usr/share/doc/irt-tools/caf\u00e9 notes.txt', content: 'doc\n' },
      ],
    });
    const other = buildRpm({ name: 'irt-other', files: [{ path: '/usr/libexec/irt/helper', content: 'x\n', mode: 0o2755 }] });
    rpmInstall(root, [tools, other]);
    blob = (await blobsOf(path.join(root, 'var/lib/rpm/rpmdb.sqlite'))).find((b) => parseRpmHeader(b).name === 'irt-tools')!;
  });

  it('reads every package, name, version and file as rpm -qa and rpm -ql list them', async () => {
    const host = createHostContext({ root, mode: 'offline' });
    const db = (await readRpmDb(host.fs))!;
    expect(db).toMatchObject({ file: '/var/lib/rpm/rpmdb.sqlite', format: 'sqlite', skipped: null, problems: [] });
    const qa = rpm(root, '/var/lib/rpm', ['-qa', '--qf', '%{NAME} %{VERSION}-%{RELEASE}\\n']).trim().split('\n').sort();
    expect(db.packages!.map((p) => `${p.name} ${p.evr}`).sort()).toEqual(qa);
    for (const p of db.packages!) {
      const ql = rpm(root, '/var/lib/rpm', ['-ql', p.name]).trim().split('\n').sort();
      expect(p.files.map((f) => f.path).sort()).toEqual(ql);
      // rpm's own view of modes and digests: --qf over the file arrays.
      const qf = rpm(root, '/var/lib/rpm', ['-q', '--qf', '[%{FILENAMES}\\t%{FILEMODES}\\t%{FILEDIGESTS}\\t%{FILEFLAGS}\\n]', p.name]).trim().split('\n').sort();
      expect(p.files.map((f) => `${f.path}\t${f.mode}\t${f.digest}\t${f.flags}`).sort()).toEqual(qf);
      expect(p.digestAlgo).toBe('sha256');
      expect(p.arch).toBe('noarch');
    }
    const tools = db.packages!.find((p) => p.name === 'irt-tools')!;
    expect(tools.files.find((f) => f.path === '/usr/bin/irt-ps')!.digest).toBe(createHash('sha256').update(ELF).digest('hex'));
    expect(tools.files.find((f) => f.path === '/usr/bin/irt-su')!.mode! & 0o7777).toBe(0o4755);
    expect(tools.files.some((f) => f.path.includes('caf\u00e9 notes'))).toBe(true);
  });

  it('finds the database under /usr/lib/sysimage/rpm as well', async () => {
    const r2 = scratch('irt-rpmroot-sysimage-');
    rpmInstall(r2, [buildRpm({ name: 'irt-sys', files: [{ path: '/usr/bin/irt-sys', content: 'x', mode: 0o755 }] })], '/usr/lib/sysimage/rpm');
    const host = createHostContext({ root: r2, mode: 'offline' });
    expect(await findRpmDb(host.fs)).toEqual({ file: '/usr/lib/sysimage/rpm/rpmdb.sqlite', format: 'sqlite' });
    expect((await readRpmDb(host.fs))!.packages!.map((p) => p.name)).toEqual(['irt-sys']);
  });

  it('names a Berkeley DB or ndb database as not read, never parses it', async () => {
    for (const [name, word] of [['Packages', 'Berkeley DB'], ['Packages.db', 'ndb']]) {
      const r = scratch('irt-rpmroot-bdb-');
      mkdirSync(path.join(r, 'var/lib/rpm'), { recursive: true });
      writeFileSync(path.join(r, 'var/lib/rpm', name), Buffer.alloc(4096, 0x61));
      const db = (await readRpmDb(createHostContext({ root: r, mode: 'offline' }).fs))!;
      expect(db.packages).toBeNull();
      expect(db.skipped).toContain(word);
      expect(db.skipped).toContain(`/var/lib/rpm/${name}`);
    }
  });

  it('refuses a truncated header, and offsets, counts and folder indexes past the data store', () => {
    expect(parseRpmHeader(blob).name).toBe('irt-tools');
    const bad: Array<[string, Uint8Array]> = [
      ['empty', new Uint8Array(0)],
      ['truncated', blob.subarray(0, blob.byteLength - 10)],
      ['index cut', blob.subarray(0, 40)],
      ['huge entry count', patched(blob, 0, 0xffffffff)],
      ['huge data size', patched(blob, 4, 0x7fffffff)],
      ['zero entries', patched(blob, 0, 0)],
      ['basenames offset past the end', patched(blob, entryAt(blob, RPMTAG.BASENAMES) + 8, 0x7ffffff0)],
      ['basenames negative offset', patched(blob, entryAt(blob, RPMTAG.BASENAMES) + 8, 0xfffffff0)],
      ['basenames huge count', patched(blob, entryAt(blob, RPMTAG.BASENAMES) + 12, 0x0fffffff)],
      ['modes huge count', patched(blob, entryAt(blob, RPMTAG.FILEMODES) + 12, 0x0fffffff)],
      ['dirindexes huge count', patched(blob, entryAt(blob, RPMTAG.DIRINDEXES) + 12, 0x40000000)],
      ['name of the wrong type', patched(blob, entryAt(blob, RPMTAG.NAME) + 4, 4)],
      ['name with count 2', patched(blob, entryAt(blob, RPMTAG.NAME) + 12, 2)],
    ];
    for (const [what, b] of bad) expect(() => parseRpmHeader(b), what).toThrow(RpmHeaderError);
    // A folder index past the folder names: the first DIRINDEXES value raised.
    const di = entryAt(blob, RPMTAG.DIRINDEXES);
    const v = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    const data = 8 + v.getUint32(0) * 16;
    expect(() => parseRpmHeader(patched(blob, data + v.getInt32(di + 8), 9999))).toThrow(/folder index 9999/);
    // A string with no NUL before the end of the data store: the data size cut inside the first base name.
    const bn = v.getInt32(entryAt(blob, RPMTAG.BASENAMES) + 8);
    expect(() => parseRpmHeader(patched(blob, 4, bn + 3))).toThrow(RpmHeaderError);
    expect(() => parseRpmHeader(new Uint8Array(MAX_HEADER_BYTES + 1))).toThrow(/cap/);
  });

  it('survives random corruption of a real header: only RpmHeaderError, never a hang or another error', () => {
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let i = 0; i < 3000; i++) {
      const b = Uint8Array.from(blob);
      for (let k = 0; k < 1 + Math.floor(rand() * 4); k++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
      try {
        parseRpmHeader(b);
      } catch (e) {
        expect(e).toBeInstanceOf(RpmHeaderError);
      }
    }
  });

  it('a database with hostile blobs: the good packages are read, the bad ones named', async () => {
    const SQL = await loadSqlJs();
    const db = new SQL.Database();
    db.run('CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)');
    db.run('INSERT INTO Packages (blob) VALUES (?)', [blob]);
    db.run('INSERT INTO Packages (blob) VALUES (?)', [patched(blob, 0, 0xffffffff)]);
    db.run('INSERT INTO Packages (blob) VALUES (?)', ['text, not a blob']);
    const bytes = db.export();
    db.close();
    const r = await parseRpmSqlite(bytes, '/var/lib/rpm/rpmdb.sqlite');
    expect(r.packages.map((p) => p.name)).toEqual(['irt-tools']);
    expect(r.problems).toEqual([expect.stringContaining('package header 2: 4294967295 index entries'), expect.stringContaining('package header 3: not a blob')]);
    await expect(parseRpmSqlite(Buffer.from('not sqlite at all, just text'), '/x/rpmdb.sqlite')).rejects.toThrow(/x\/rpmdb.sqlite/);
  });

  it('a -wal companion not checkpointed is named', async () => {
    const r = scratch('irt-rpmroot-wal-');
    rpmInstall(r, [buildRpm({ name: 'irt-wal', files: [{ path: '/usr/bin/irt-wal', content: 'x', mode: 0o755 }] })]);
    writeFileSync(path.join(r, 'var/lib/rpm/rpmdb.sqlite-wal'), Buffer.alloc(100));
    chmodSync(path.join(r, 'var/lib/rpm/rpmdb.sqlite-wal'), 0o644);
    const db = (await readRpmDb(createHostContext({ root: r, mode: 'offline' }).fs))!;
    expect(db.problems).toEqual([expect.stringContaining('rpmdb.sqlite-wal holds 100 bytes not checkpointed')]);
  });
});

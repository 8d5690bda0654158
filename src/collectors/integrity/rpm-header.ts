/**
 * rpm's package header as the database stores it (the "blob" of rpmdb.sqlite's Packages table):
 * no magic, a big-endian count of index entries (il) and size of the data store (dl), il entries
 * of 16 bytes (tag, type, offset, count), then dl bytes of data. An image hands us these bytes:
 * every count, offset and string is checked against the data store before it is read, and the
 * blob, the entries and the strings are capped.
 */

/** The tags read here (rpmtag.h). */
export const RPMTAG = {
  NAME: 1000,
  VERSION: 1001,
  RELEASE: 1002,
  EPOCH: 1003,
  ARCH: 1022,
  OLDFILENAMES: 1027,
  FILEMODES: 1030,
  FILEDIGESTS: 1035,
  FILEFLAGS: 1037,
  DIRINDEXES: 1116,
  BASENAMES: 1117,
  DIRNAMES: 1118,
  FILEDIGESTALGO: 5011,
} as const;

/** rpm's tag types (rpmTagType). */
const TYPE = { CHAR: 1, INT8: 2, INT16: 3, INT32: 4, INT64: 5, STRING: 6, BIN: 7, STRING_ARRAY: 8, I18NSTRING: 9 } as const;
const INT_SIZE: Record<number, number> = { [TYPE.CHAR]: 1, [TYPE.INT8]: 1, [TYPE.INT16]: 2, [TYPE.INT32]: 4, [TYPE.INT64]: 8 };

/** rpm's own limits (header_internal.h): 0xffff entries, 256 MiB of data. */
const MAX_ENTRIES = 0xffff;
const MAX_DATA = 0x0fffffff;
/** One package's header larger than this is refused (the largest real ones are a few MiB). */
export const MAX_HEADER_BYTES = 64 * 1024 * 1024;
/** Files of one package (a kernel's source package has under 100 k). */
const MAX_FILES = 1_000_000;

/** rpm's digest algorithm numbers (PGPHASHALGO): what FILEDIGESTS holds. */
export const DIGEST_ALGO: Record<number, string> = { 1: 'md5', 2: 'sha1', 8: 'sha256', 9: 'sha384', 10: 'sha512', 11: 'sha224' };

/** RPMFILE_CONFIG and RPMFILE_GHOST (a ghost is listed but never shipped: its content is not the package's). */
export const RPMFILE_CONFIG = 1 << 0;
export const RPMFILE_GHOST = 1 << 6;

export interface RpmFile {
  path: string;
  /** st_mode as the package ships it (type and permission bits); null when the header has none. */
  mode: number | null;
  /** Hex digest of a regular file's content ("" for folders, links and ghosts); null when none. */
  digest: string | null;
  /** RPMFILE_* flags (0 when the header has none). */
  flags: number;
}

export interface RpmPackage {
  name: string;
  /** [epoch:]version-release */
  evr: string;
  arch: string | null;
  /** md5, sha256…: the algorithm of every file digest of the package. */
  digestAlgo: string;
  files: RpmFile[];
}

export class RpmHeaderError extends Error {}

interface Entry {
  type: number;
  offset: number;
  count: number;
}

/** A parsed index, every read bounded by the data store. */
class Header {
  private readonly entries = new Map<number, Entry>();
  private readonly view: DataView;

  constructor(
    private readonly blob: Uint8Array,
    private readonly data: number,
    private readonly dl: number,
    il: number,
  ) {
    this.view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    for (let i = 0; i < il; i++) {
      const at = 8 + i * 16;
      const tag = this.view.getUint32(at);
      // The first entry of a tag wins: the dribble after a region never carries the tags read here.
      if (!this.entries.has(tag)) this.entries.set(tag, { type: this.view.getUint32(at + 4), offset: this.view.getInt32(at + 8), count: this.view.getUint32(at + 12) });
    }
  }

  private entry(tag: number, types: number[]): Entry | null {
    const e = this.entries.get(tag);
    if (!e) return null;
    if (!types.includes(e.type)) throw new RpmHeaderError(`tag ${tag}: type ${e.type}, expected ${types.join(' or ')}`);
    if (e.offset < 0 || e.offset >= this.dl) throw new RpmHeaderError(`tag ${tag}: offset ${e.offset} outside the ${this.dl}-byte data store`);
    if (e.count === 0) throw new RpmHeaderError(`tag ${tag}: count 0`);
    return e;
  }

  /** count NUL-terminated strings from the entry's offset, each ending inside the data store. */
  strings(tag: number, max = MAX_FILES): string[] | null {
    const e = this.entry(tag, [TYPE.STRING, TYPE.STRING_ARRAY, TYPE.I18NSTRING]);
    if (!e) return null;
    if (e.type === TYPE.STRING && e.count !== 1) throw new RpmHeaderError(`tag ${tag}: a string with count ${e.count}`);
    // Each string takes at least its NUL: a count beyond what is left cannot be true.
    if (e.count > max || e.count > this.dl - e.offset) throw new RpmHeaderError(`tag ${tag}: ${e.count} strings cannot fit`);
    const out: string[] = [];
    const end = this.data + this.dl;
    let at = this.data + e.offset;
    const decoder = new TextDecoder('utf-8');
    for (let i = 0; i < e.count; i++) {
      const nul = this.blob.indexOf(0, at);
      if (nul < 0 || nul >= end) throw new RpmHeaderError(`tag ${tag}: string ${i} runs past the data store`);
      out.push(decoder.decode(this.blob.subarray(at, nul)));
      at = nul + 1;
    }
    return out;
  }

  string(tag: number): string | null {
    return this.strings(tag, 1)?.[0] ?? null;
  }

  /** Unsigned integers (INT16 as 0..65535, INT32 as 0..2^32-1). */
  ints(tag: number, type: 2 | 3 | 4): number[] | null {
    const e = this.entry(tag, [type, ...(type === TYPE.INT8 ? [TYPE.CHAR] : [])]);
    if (!e) return null;
    const size = INT_SIZE[e.type];
    if (e.count > MAX_FILES || e.offset + e.count * size > this.dl) throw new RpmHeaderError(`tag ${tag}: ${e.count} values of ${size} bytes run past the data store`);
    const out = new Array<number>(e.count);
    const base = this.data + e.offset;
    for (let i = 0; i < e.count; i++) {
      const at = base + i * size;
      out[i] = size === 1 ? this.view.getUint8(at) : size === 2 ? this.view.getUint16(at) : this.view.getUint32(at);
    }
    return out;
  }
}

function sameLength(what: string, values: unknown[] | null, n: number): void {
  if (values && values.length !== n) throw new RpmHeaderError(`${what}: ${values.length} values for ${n} files`);
}

/** Parses one header blob; throws an RpmHeaderError naming what is wrong. */
export function parseRpmHeader(blob: Uint8Array): RpmPackage {
  if (blob.byteLength > MAX_HEADER_BYTES) throw new RpmHeaderError(`header of ${blob.byteLength} bytes, over the ${MAX_HEADER_BYTES}-byte cap`);
  if (blob.byteLength < 8) throw new RpmHeaderError(`header of ${blob.byteLength} bytes: too short`);
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const il = view.getUint32(0);
  const dl = view.getUint32(4);
  if (il < 1 || il > MAX_ENTRIES) throw new RpmHeaderError(`${il} index entries (1 to ${MAX_ENTRIES} allowed)`);
  if (dl > MAX_DATA) throw new RpmHeaderError(`data store of ${dl} bytes (at most ${MAX_DATA})`);
  const data = 8 + il * 16;
  if (data + dl > blob.byteLength) throw new RpmHeaderError(`${il} entries and ${dl} bytes of data need ${data + dl} bytes, the header has ${blob.byteLength}`);
  const h = new Header(blob, data, dl, il);

  const name = h.string(RPMTAG.NAME);
  if (!name) throw new RpmHeaderError('no package name');
  const version = h.string(RPMTAG.VERSION) ?? '';
  const release = h.string(RPMTAG.RELEASE) ?? '';
  const epoch = h.ints(RPMTAG.EPOCH, 4)?.[0];
  const evr = `${epoch !== undefined ? `${epoch}:` : ''}${version}${release ? `-${release}` : ''}`;

  let paths: string[];
  const basenames = h.strings(RPMTAG.BASENAMES);
  if (basenames) {
    const dirIndexes = h.ints(RPMTAG.DIRINDEXES, 4);
    const dirNames = h.strings(RPMTAG.DIRNAMES);
    if (!dirIndexes || !dirNames) throw new RpmHeaderError('file base names without their folders');
    sameLength('DIRINDEXES', dirIndexes, basenames.length);
    paths = basenames.map((b, i) => {
      const d = dirNames[dirIndexes[i]];
      if (d === undefined) throw new RpmHeaderError(`file ${i}: folder index ${dirIndexes[i]} of ${dirNames.length}`);
      return d + b;
    });
  } else {
    // Headers from before rpm 4 compressed the names keep them whole.
    paths = h.strings(RPMTAG.OLDFILENAMES) ?? [];
  }
  const modes = paths.length ? h.ints(RPMTAG.FILEMODES, 3) : null;
  const digests = paths.length ? h.strings(RPMTAG.FILEDIGESTS) : null;
  const flags = paths.length ? h.ints(RPMTAG.FILEFLAGS, 4) : null;
  sameLength('FILEMODES', modes, paths.length);
  sameLength('FILEDIGESTS', digests, paths.length);
  sameLength('FILEFLAGS', flags, paths.length);
  const algo = h.ints(RPMTAG.FILEDIGESTALGO, 4)?.[0] ?? 1;
  return {
    name,
    evr,
    arch: h.string(RPMTAG.ARCH),
    digestAlgo: DIGEST_ALGO[algo] ?? `algorithm ${algo}`,
    files: paths.map((p, i) => ({ path: p, mode: modes?.[i] ?? null, digest: digests?.[i] ?? null, flags: flags?.[i] ?? 0 })),
  };
}

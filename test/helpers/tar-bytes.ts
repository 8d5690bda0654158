import { gzipSync } from 'node:zlib';

/** One ustar header block, by hand: any size field, any type flag (tar writers refuse the odd ones). */
export function tarHeader(name: string, size: number | Buffer, type = '0', linkname = ''): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  if (Buffer.isBuffer(size)) size.copy(h, 124, 0, 12);
  else h.write(size.toString(8).padStart(11, '0') + '\0', 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write(type, 156);
  h.write(linkname, 157, 100, 'utf8');
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return h;
}

/** A .tar.gz of these raw blocks (headers and data, padded to 512) and the end-of-archive blocks. */
export function tarGz(blocks: Buffer[]): Buffer {
  const padded = blocks.map((b) => (b.length % 512 ? Buffer.concat([b, Buffer.alloc(512 - (b.length % 512))]) : b));
  return gzipSync(Buffer.concat([...padded, Buffer.alloc(1024)]));
}

import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { boxTimeZone, offsetForZone } from '../../../src/collectors/auth/timezone.js';
import { RootedFs } from '../../../src/host/rooted-fs.js';
import { tmpDir } from '../../helpers/bundle.js';

function root(files: Record<string, string>, links: Record<string, string> = {}): RootedFs {
  const dir = tmpDir('irt-tz-');
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  for (const [rel, target] of Object.entries(links)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    symlinkSync(target, path.join(dir, rel));
  }
  return new RootedFs(dir);
}

const at = (offset: ReturnType<typeof offsetForZone>, wall: string) => (typeof offset === 'function' ? offset(Date.parse(wall)) : offset);

describe('the zone of zone-less log stamps', () => {
  it('takes /etc/timezone first', async () => {
    const z = await boxTimeZone(root({ 'etc/timezone': 'America/New_York\n' }, { 'etc/localtime': '/usr/share/zoneinfo/Europe/Berlin' }), false);
    expect(z).toMatchObject({ zone: 'America/New_York', from: '/etc/timezone', known: true });
    expect(at(z.offset, '2024-01-15T12:00:00Z')).toBe(-300);
    expect(at(z.offset, '2024-07-15T12:00:00Z')).toBe(-240);
  });

  it('then the /etc/localtime link, inside the root (posix/ and right/ folders taken off)', async () => {
    const z = await boxTimeZone(root({ 'usr/share/zoneinfo/posix/Europe/Berlin': 'TZif' }, { 'etc/localtime': '../usr/share/zoneinfo/posix/Europe/Berlin' }), false);
    expect(z).toMatchObject({ zone: 'Europe/Berlin', from: 'the /etc/localtime link', known: true });
  });

  it('a name this runtime does not know falls through to the link', async () => {
    const z = await boxTimeZone(root({ 'etc/timezone': 'Mars/Olympus_Mons\n' }, { 'etc/localtime': '/usr/share/zoneinfo/Asia/Tokyo' }), false);
    expect(z).toMatchObject({ zone: 'Asia/Tokyo', known: true });
    expect(at(z.offset, '2024-07-15T12:00:00Z')).toBe(540);
  });

  it('no /etc/localtime at all: UTC, as glibc runs such a box', async () => {
    const z = await boxTimeZone(root({}), false);
    expect(z).toMatchObject({ zone: 'UTC', known: true, offset: 0 });
    expect(z.from).toMatch(/glibc uses UTC/);
  });

  it('a copied zone file offline cannot be named: UTC, marked unknown', async () => {
    const z = await boxTimeZone(root({ 'etc/localtime': 'TZif2 binary' }), false);
    expect(z).toMatchObject({ zone: 'UTC', known: false, offset: 0 });
  });

  it('follows DST at the quarter hour it changes (Europe/Berlin, 2024-03-31 02:00 → 03:00)', () => {
    const off = offsetForZone('Europe/Berlin');
    expect(at(off, '2024-03-31T01:59:59Z')).toBe(60);
    expect(at(off, '2024-03-31T03:00:00Z')).toBe(120);
    expect(at(off, '2024-10-27T04:00:00Z')).toBe(60);
    expect(offsetForZone('Etc/UTC')).toBe(0);
    expect(offsetForZone('Not/AZone')).toBeNull();
  });
});

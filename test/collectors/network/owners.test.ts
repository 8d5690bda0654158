import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inodeMapFromFdLinks, joinOwners, parseFdLink } from '../../../src/collectors/network/owners.js';
import { parseProcNet } from '../../../src/collectors/network/parse-proc-net.js';
import type { ConnectionRecord } from '../../../src/model/network.js';

describe('parseFdLink', () => {
  it('classifies every kind of fd target', () => {
    expect(parseFdLink('socket:[12345]')).toEqual({ kind: 'socket', inode: 12345 });
    expect(parseFdLink('pipe:[678]')).toEqual({ kind: 'pipe', inode: 678 });
    expect(parseFdLink('anon_inode:[eventpoll]')).toEqual({ kind: 'anon', name: 'eventpoll' });
    expect(parseFdLink('anon_inode:bpf-map')).toEqual({ kind: 'anon', name: 'bpf-map' });
    expect(parseFdLink('/var/log/auth.log')).toEqual({ kind: 'file', path: '/var/log/auth.log', deleted: false });
    expect(parseFdLink('/tmp/.x/payload (deleted)')).toEqual({ kind: 'file', path: '/tmp/.x/payload', deleted: true });
    expect(parseFdLink('/memfd:kit (deleted)')).toEqual({ kind: 'file', path: '/memfd:kit', deleted: true });
    expect(parseFdLink('/dev/pts/0')).toEqual({ kind: 'file', path: '/dev/pts/0', deleted: false });
    expect(parseFdLink('net:[4026531840]')).toEqual({ kind: 'other', name: 'net', inode: 4026531840 });
    expect(parseFdLink('socket:[abc]')).toEqual({ kind: 'other' });
    expect(parseFdLink('')).toEqual({ kind: 'other' });
  });

  it('reads real links of this process: sockets, eventpoll, a deleted file', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'irt-owners-'));
    const file = path.join(dir, 'gone soon');
    writeFileSync(file, 'x');
    const fd = openSync(file, 'r');
    unlinkSync(file);
    try {
      const link = readlinkSync(`/proc/self/fd/${fd}`);
      expect(parseFdLink(link)).toEqual({ kind: 'file', path: file, deleted: true });
      const kinds = readdirSync('/proc/self/fd').flatMap((n) => {
        try {
          return [parseFdLink(readlinkSync(`/proc/self/fd/${n}`))];
        } catch {
          return [];
        }
      });
      // libuv's event loop runs on epoll.
      expect(kinds.some((k) => k.kind === 'anon' && k.name === 'eventpoll')).toBe(true);
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function rec(inode: number, pids: number[] = []): ConnectionRecord {
  return {
    protocol: 'tcp',
    family: 4,
    localAddress: '127.0.0.1',
    localPort: 22,
    remoteAddress: '0.0.0.0',
    remotePort: 0,
    state: 'LISTEN',
    uid: 0,
    inode,
    pids,
    netns: null,
  };
}

describe('joinOwners', () => {
  it('sets the holding pids, leaves inode 0 and unknown inodes empty, does not mutate', () => {
    const records = [rec(100), rec(0), rec(200), rec(300, [7])];
    const map = inodeMapFromFdLinks([
      { pid: 1, target: 'socket:[100]' },
      { pid: 812, target: 'socket:[100]' },
      { pid: 812, target: 'socket:[100]' }, // same socket on two fds
      { pid: 5, target: 'socket:[0]' },
      { pid: 9, target: 'pipe:[200]' }, // a pipe with the same number is not the socket
      { pid: 3, target: 'socket:[300]' },
    ]);
    expect(map.get(100)).toEqual([1, 812]);
    expect(map.has(200)).toBe(false);
    const joined = joinOwners(records, map);
    expect(joined.map((r) => r.pids)).toEqual([[1, 812], [], [], [3, 7]]);
    expect(records.map((r) => r.pids)).toEqual([[], [], [], [7]]);
    expect(joined[0]).not.toBe(records[0]);
    expect(joinOwners(records, new Map([[0, [5]]]))[1].pids).toEqual([]);
  });

  it('finds this process as the owner of a real listening socket', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as net.AddressInfo).port;
      const links = readdirSync('/proc/self/fd').flatMap((fd) => {
        try {
          return [{ pid: process.pid, target: readlinkSync(`/proc/self/fd/${fd}`) }];
        } catch {
          return [];
        }
      });
      const records = parseProcNet(readFileSync('/proc/net/tcp', 'utf8'), 'tcp', 4);
      const joined = joinOwners(records, inodeMapFromFdLinks(links));
      const mine = joined.filter((r) => r.localPort === port && r.localAddress === '127.0.0.1');
      expect(mine).toHaveLength(1);
      expect(mine[0].state).toBe('LISTEN');
      expect(mine[0].inode).toBeGreaterThan(0);
      expect(mine[0].pids).toEqual([process.pid]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

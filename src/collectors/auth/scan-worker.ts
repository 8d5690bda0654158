/**
 * The scanning thread of the auth-log reader: blocks of lines in, ScannedBlocks out (scan-lines.ts),
 * one message each way per block. It reads no file: the blocks come from the reader of the main
 * thread, so whatever wraps that reader (a byte count, a progress line) sees every byte.
 */
import { parentPort } from 'node:worker_threads';
import { BlockScanner } from './scan-lines.js';

const scanner = new BlockScanner();
parentPort?.on('message', (m: { id: number; block: Uint8Array }) => {
  const r = scanner.scan(m.block);
  parentPort!.postMessage({ id: m.id, lines: r.lines, nums: r.nums, strs: r.strs }, [r.nums.buffer as ArrayBuffer]);
});

import { createReadStream } from 'node:fs';

/** Lines of a file, read in chunks (faster than readline for millions of short lines); empty lines skipped. */
export async function* fileLines(file: string, chunkBytes = 256 * 1024): AsyncGenerator<string> {
  let rest = '';
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: chunkBytes })) {
    const text = rest + (chunk as string);
    const lines = text.split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) if (line !== '') yield line;
  }
  if (rest !== '') yield rest;
}

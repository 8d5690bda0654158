/** SHA256SUMS in the text format `sha256sum -c` reads: "<hex>  <path>" per line. */
export function formatSums(entries: Array<{ path: string; sha256: string }>): string {
  return [...entries]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((e) => `${e.sha256}  ${e.path}\n`)
    .join('');
}

export function parseSums(text: string): { entries: Map<string, string>; bad: number[] } {
  const entries = new Map<string, string>();
  const bad: number[] = [];
  text.split('\n').forEach((line, i) => {
    if (line === '') return;
    const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (!m) bad.push(i + 1);
    else entries.set(m[2], m[1]);
  });
  return { entries, bad };
}

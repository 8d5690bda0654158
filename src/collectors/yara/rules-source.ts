/** Tags of each rule from its header: `rule NAME : tag1 tag2 {` (the WebAssembly build reports names and meta, not tags). */
export function ruleTags(source: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const re = /^\s*(?:(?:private|global)\s+)*rule\s+([A-Za-z_][A-Za-z0-9_]*)\s*(?::\s*([A-Za-z0-9_\s]*?))?\s*\{/gm;
  for (let m = re.exec(source); m; m = re.exec(source)) out.set(m[1], (m[2] ?? '').split(/\s+/).filter(Boolean));
  return out;
}

/** One file of a tool's name found in a PATH folder. */
export interface PathHit {
  /** The file as found, folder resolved (/usr/local/bin/ps). */
  path: string;
  /** A package owns it (as a file, or as a link leading to a packaged file). */
  packaged: boolean;
}

/**
 * The unpackaged files that a shell would run instead of the packaged tool: every unpackaged hit
 * before the first packaged one, in PATH order. `/usr/local/bin/ps` before procps's `/usr/bin/ps`
 * is the kit's ps. Without a packaged copy there is nothing to shadow (a tool built from source).
 */
export function findShadows(hits: PathHit[]): Array<{ path: string; shadows: string }> {
  const first = hits.findIndex((h) => h.packaged);
  if (first < 0) return [];
  const seen = new Set<string>();
  const out: Array<{ path: string; shadows: string }> = [];
  for (const h of hits.slice(0, first)) {
    if (h.packaged || seen.has(h.path) || h.path === hits[first].path) continue;
    seen.add(h.path);
    out.push({ path: h.path, shadows: hits[first].path });
  }
  return out;
}

/**
 * PATH folders as they really lie, in order, each once: on a /usr-merged box /sbin is /usr/sbin
 * and /bin is /usr/bin, so the six usual folders are four.
 */
export function uniqueDirs(dirs: Array<{ dir: string; real: string }>): string[] {
  const out: string[] = [];
  for (const d of dirs) if (!out.includes(d.real)) out.push(d.real);
  return out;
}

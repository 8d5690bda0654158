/** Parses /etc/os-release (KEY=value, values optionally quoted). */
export function parseOsRelease(text: string): Record<string, string> {
  // Keys come from the box: no prototype, so a `__proto__=` line is a key like any other.
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0])) {
      value = value.slice(1, -1).replace(/\\(["'$`\\])/g, '$1');
    }
    out[line.slice(0, eq)] = value;
  }
  return out;
}

/** Zone name from /etc/timezone, or from the /etc/localtime link target (…/zoneinfo/Europe/Berlin). */
export function zoneFromLocaltimeLink(target: string): string | null {
  const m = /zoneinfo\/(.+)$/.exec(target);
  return m ? m[1] : null;
}

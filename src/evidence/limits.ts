/**
 * How much of a bundle someone hands over is read. A crafted bundle can be a few kilobytes that
 * unpack to terabytes, or a JSON file of millions of nested arrays: past these limits reading
 * stops, and the limit is named in the problem. The defaults hold any bundle collect writes;
 * IR_TRIAGE_MAX_* environment variables raise or lower them (docs/bundle.md).
 */
export interface BundleLimits {
  /** The largest file inside a bundle, in bytes (as its tar header declares it, and as it streams). */
  maxEntryBytes: number;
  /** Files and folders in one bundle. */
  maxEntries: number;
  /** The sum of every file's size, unpacked. */
  maxTotalBytes: number;
  /** The largest JSON file read into memory (manifest.json, findings.json, custody.jsonl, SHA256SUMS, artifacts the report reads). */
  maxJsonBytes: number;
  /** Arrays and objects inside one another. */
  maxJsonDepth: number;
  /** Values in one JSON document (each array, object, string, number…). */
  maxJsonValues: number;
}

export const DEFAULT_LIMITS: BundleLimits = {
  maxEntryBytes: 4 * 2 ** 30,
  maxEntries: 200_000,
  maxTotalBytes: 16 * 2 ** 30,
  maxJsonBytes: 64 * 2 ** 20,
  maxJsonDepth: 64,
  maxJsonValues: 2_000_000,
};

/** The environment variable for each limit. */
export const LIMIT_ENV: Record<keyof BundleLimits, string> = {
  maxEntryBytes: 'IR_TRIAGE_MAX_ENTRY_BYTES',
  maxEntries: 'IR_TRIAGE_MAX_ENTRIES',
  maxTotalBytes: 'IR_TRIAGE_MAX_BUNDLE_BYTES',
  maxJsonBytes: 'IR_TRIAGE_MAX_JSON_BYTES',
  maxJsonDepth: 'IR_TRIAGE_MAX_JSON_DEPTH',
  maxJsonValues: 'IR_TRIAGE_MAX_JSON_VALUES',
};

/** The limits in force: the defaults, each replaced by its environment variable when that is a positive integer. */
export function bundleLimits(env: NodeJS.ProcessEnv = process.env): BundleLimits {
  const out = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(LIMIT_ENV) as Array<keyof BundleLimits>) {
    const raw = env[LIMIT_ENV[key]];
    if (raw === undefined || raw === '') continue;
    const n = Number(raw);
    if (Number.isSafeInteger(n) && n > 0) out[key] = n;
  }
  return out;
}

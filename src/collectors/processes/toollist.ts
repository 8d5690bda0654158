/**
 * The known-tool list: data shipped with the playbooks (playbooks/tools/names.txt, hashes.txt),
 * in Loki's IOC formats so that community lists (Neo23x0/signature-base) can be imported.
 *
 *  - names ("filename" IOCs): `REGEX;SCORE` or `REGEX;SCORE;FALSE_POSITIVE_REGEX`; `#` lines are
 *    comments and the last comment before an entry is its description; blank lines are ignored.
 *    Regexes are searched (unanchored, case-sensitive) as Loki does; they are compiled as
 *    JavaScript regexes with the `u` flag, so Python-only syntax (`(?P<n>…)`, `\Z`, `\A`) is
 *    reported as an error instead of being misread. A leading `(?i)` becomes the `i` flag.
 *  - hashes: `HASH;DESCRIPTION`, the type given by the length (md5 32, sha1 40, sha256 64 hex).
 *
 * Score: 80 and above is an alert, around 45–60 suspicious (Loki's convention).
 * Bad lines are returned as errors with their line number; parsing never throws.
 */

export interface NameIoc {
  /** The compiled regex. */
  regex: RegExp;
  score: number;
  /** When it matches the same value, the hit is suppressed. */
  falsePositive: RegExp | null;
  /** The last comment line before the entry (Loki's description). */
  description: string;
  file: string;
  /** 1-based line number in the file. */
  line: number;
}

export type HashType = 'md5' | 'sha1' | 'sha256';

export interface HashIoc {
  /** Lower-case hex. */
  hash: string;
  type: HashType;
  description: string;
  file: string;
  line: number;
}

export interface IocError {
  file: string;
  /** 1-based line number. */
  line: number;
  message: string;
  /** The offending line as written. */
  text: string;
}

export interface MatchCandidate {
  comm: string;
  exe: string | null;
  argv: string[];
}

export type MatchField = 'comm' | 'exe' | 'argv';

export interface IocHit {
  ioc: NameIoc;
  field: MatchField;
  /** The value the regex matched (comm, exe path, argv[0] or the joined command line). */
  value: string;
}

/**
 * Values longer than this are cut before matching, so that a crafted multi-megabyte command line
 * cannot make a regex run for minutes. Tool-list regexes look at paths and the start or end of
 * the command line; 16 KiB is four times PATH_MAX.
 */
export const MAX_MATCH_LENGTH = 16 * 1024;

/** Lines of a text file with their 1-based numbers; a trailing "\r" is dropped. */
function numberedLines(text: string): Array<{ no: number; raw: string; line: string }> {
  return text.split('\n').map((raw, i) => ({
    no: i + 1,
    raw,
    line: raw.endsWith('\r') ? raw.slice(0, -1) : raw,
  }));
}

function compile(source: string): RegExp {
  let flags = 'u';
  let body = source;
  if (body.startsWith('(?i)')) {
    flags += 'i';
    body = body.slice(4);
  }
  return new RegExp(body, flags);
}

/** Parses a Loki "filename" IOC file. */
export function parseNameIocs(text: string, file: string): { iocs: NameIoc[]; errors: IocError[] } {
  const iocs: NameIoc[] = [];
  const errors: IocError[] = [];
  let description = '';
  for (const { no, raw, line } of numberedLines(text)) {
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      description = line.replace(/^#+\s*/, '').trimEnd();
      continue;
    }
    const error = (message: string): void => {
      errors.push({ file, line: no, message, text: raw });
    };
    // Loki strips trailing spaces and the line end, then splits on every ';'.
    const parts = line.replace(/[ \t]+$/, '').split(';');
    if (parts.length < 2) {
      error('expected REGEX;SCORE or REGEX;SCORE;FALSE_POSITIVE_REGEX');
      continue;
    }
    if (parts.length > 3) {
      error(`${parts.length} fields, at most 3 (a ';' inside a regex is not possible in this format)`);
      continue;
    }
    const [source, scoreText, fpSource = ''] = parts;
    if (source === '') {
      error('empty regex');
      continue;
    }
    if (!/^-?\d+$/.test(scoreText.trim())) {
      error(`score ${JSON.stringify(scoreText)} is not an integer`);
      continue;
    }
    let regex: RegExp;
    try {
      regex = compile(source);
    } catch (e) {
      error(`invalid regex: ${(e as Error).message}`);
      continue;
    }
    let falsePositive: RegExp | null = null;
    if (fpSource !== '') {
      try {
        falsePositive = compile(fpSource);
      } catch (e) {
        error(`invalid false-positive regex: ${(e as Error).message}`);
        continue;
      }
    }
    iocs.push({ regex, score: Number(scoreText.trim()), falsePositive, description, file, line: no });
  }
  return { iocs, errors };
}

const HASH_TYPES: Record<number, HashType> = { 32: 'md5', 40: 'sha1', 64: 'sha256' };

/** Parses a Loki "hash" IOC file. */
export function parseHashIocs(text: string, file: string): { iocs: HashIoc[]; errors: IocError[] } {
  const iocs: HashIoc[] = [];
  const errors: IocError[] = [];
  for (const { no, raw, line } of numberedLines(text)) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const semi = line.indexOf(';');
    if (semi < 0) {
      errors.push({ file, line: no, message: 'expected HASH;DESCRIPTION', text: raw });
      continue;
    }
    const hash = line.slice(0, semi).trim().toLowerCase();
    const type = /^[0-9a-f]+$/.test(hash) ? HASH_TYPES[hash.length] : undefined;
    if (type === undefined) {
      errors.push({
        file,
        line: no,
        message: `${JSON.stringify(hash)} is not an md5 (32), sha1 (40) or sha256 (64) hex digest`,
        text: raw,
      });
      continue;
    }
    iocs.push({ hash, type, description: line.slice(semi + 1).trim(), file, line: no });
  }
  return { iocs, errors };
}

/**
 * Matches a process against name IOCs. Each regex is tried on the comm, the exe path, argv[0]
 * and the command line joined with spaces (both reported as field "argv"); a false-positive
 * regex that matches the same value suppresses that hit. At most one hit per IOC and field.
 */
export function matchProcess(iocs: readonly NameIoc[], candidate: MatchCandidate): IocHit[] {
  const values: Array<{ field: MatchField; value: string }> = [{ field: 'comm', value: candidate.comm }];
  if (candidate.exe !== null) values.push({ field: 'exe', value: candidate.exe });
  if (candidate.argv.length > 0) {
    values.push({ field: 'argv', value: candidate.argv[0] });
    if (candidate.argv.length > 1) values.push({ field: 'argv', value: candidate.argv.join(' ') });
  }
  const hits: IocHit[] = [];
  for (const ioc of iocs) {
    const done = new Set<MatchField>();
    for (const { field, value } of values) {
      if (done.has(field)) continue;
      const v = value.length > MAX_MATCH_LENGTH ? value.slice(0, MAX_MATCH_LENGTH) : value;
      if (!ioc.regex.test(v)) continue;
      if (ioc.falsePositive?.test(v)) continue;
      done.add(field);
      hits.push({ ioc, field, value });
    }
  }
  return hits;
}

/**
 * A string that holds its own characters. The auth-log reader decodes a whole block of lines (up
 * to a chunk, 64 KiB to 1 MiB) into one string and cuts a line's fields out of it; V8 makes such
 * a cut of 13 characters or more a slice that points into the block, so a field kept after the
 * block is read (an address in the tally, a login's user and key) keeps the whole block alive.
 * What is kept beyond its block goes through ownString first; what is dropped with its event
 * does not (copying every field of every event costs more than it saves).
 *
 * The concatenation makes a new string of its parts and slice() flattens it into fresh storage
 * before it cuts the extra character off: the result points into that copy, never into the
 * block. It works for any text (lone surrogates included, which a Buffer round trip would change).
 */
export function ownString(s: string): string;
export function ownString(s: string | null): string | null;
export function ownString(s: string | null): string | null {
  if (s === null || s.length < 13) return s;
  return (' ' + s).slice(1);
}

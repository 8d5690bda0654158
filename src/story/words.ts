/** How attacker-controlled values enter incident titles and story sentences. */
import { printable } from '../model/text.js';

/** Attacker text for a sentence: one line (controls made visible as \xNN), cut at `max` characters. */
export function field(value: unknown, max = 120): string {
  return printable(String(value ?? '?'), max);
}

/** `1 process`, `3 processes`. */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

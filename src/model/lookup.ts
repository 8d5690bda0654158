/**
 * A constant table looked up by a key from the box or a bundle. `table[key]` would answer
 * `constructor`, `toString` or `__proto__` with Object's own members, so a process named
 * `constructor` or a config keyword `__proto__` would read as a table entry.
 */
export function lookup<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

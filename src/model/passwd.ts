/**
 * /etc/passwd, read once the same way for every layer: the lines that can name a local account
 * (comments, blank lines and NIS `+`/`-` lines skipped), and the uid → name map built from them.
 * The accounts collector builds its full entries from the same lines (collectors/accounts/parse-accounts.ts).
 */

/** One line of /etc/passwd that may name an account: its 1-based number and its fields. */
export interface PasswdLine {
  line: number;
  fields: string[];
}

/** The lines of /etc/passwd that may name a local account, split on `:` (a trailing CR dropped). */
export function passwdLines(text: string): PasswdLine[] {
  const out: PasswdLine[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '' || line.startsWith('#')) return;
    // NIS compat lines (+user, -user, +@netgroup) name no local account.
    if (line.startsWith('+') || line.startsWith('-')) return;
    out.push({ line: i + 1, fields: line.split(':') });
  });
  return out;
}

/**
 * uid → user name from /etc/passwd. The first name seen for a uid wins (as getpwuid). Lines
 * without a name or a numeric uid are skipped.
 */
export function userNames(text: string): Map<number, string> {
  const users = new Map<number, string>();
  for (const { fields } of passwdLines(text)) {
    if (fields.length < 3) continue;
    const [name, , uidText] = fields;
    if (name === '' || !/^\d+$/.test(uidText)) continue;
    const uid = Number(uidText);
    if (uid > 0xffffffff) continue;
    if (!users.has(uid)) users.set(uid, name);
  }
  return users;
}

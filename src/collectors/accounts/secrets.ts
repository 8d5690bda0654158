/**
 * Files that must never be copied into a bundle or quoted in a record: password hashes and
 * private keys. A planted link (~/.ssh/authorized_keys → /etc/shadow) or an `Include
 * /etc/shadow` in sshd_config would otherwise carry them into the evidence. Checked on the
 * content, so it holds whatever path or link led there.
 */

// name:$6$salt$hash: or name:!$y$…: — a shadow (or old passwd) line with a crypt(3) hash.
const HASH_LINE = /^[^:\s"=]*:!*\$[A-Za-z0-9]{1,8}[$,][^:\n]*:/m;
// name:abJnggxhB/yWI: — a DES-crypt hash in a passwd-style line.
const DES_LINE = /^[^:\s"=]+:[./0-9A-Za-z]{13}:/m;
const PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;

/** Why this text must not be kept; null when it may. */
export function secretContent(text: string): string | null {
  if (PRIVATE_KEY.test(text)) return 'holds a private key';
  if (HASH_LINE.test(text) || DES_LINE.test(text)) return 'holds password hashes';
  return null;
}

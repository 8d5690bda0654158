import { readFileSync } from 'node:fs';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { parsePasswd } from '../../src/collectors/accounts/parse-accounts.js';
import { passwdLines, userNames } from '../../src/model/passwd.js';

describe('userNames: uid to name, for every layer', () => {
  it('maps uid to the first name, skipping comments, blanks, NIS and malformed lines', () => {
    const text = [
      '# /etc/passwd',
      'root:x:0:0:root:/root:/bin/bash',
      '',
      '   ',
      'toor:x:0:0:second root:/root:/bin/sh',
      '+::::::',
      '+@admins:::::',
      '-baduser:::::',
      'broken line',
      'nouid:x::1:::',
      'neg:x:-1:1:::',
      ':x:5:5:::',
      'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\r',
      'short:x:77',
      'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin',
      'huge:x:99999999999:1:::',
    ].join('\n');
    const users = userNames(text);
    expect([...users.entries()]).toEqual([
      [0, 'root'],
      [1, 'daemon'],
      [77, 'short'],
      [65534, 'nobody'],
    ]);
  });

  it('the real /etc/passwd knows this process user', () => {
    const users = userNames(readFileSync('/etc/passwd', 'utf8'));
    const me = os.userInfo();
    expect(users.get(me.uid)).toBe(me.username);
  });
});

describe('passwdLines: one reading of /etc/passwd for the uid map and the accounts collector', () => {
  const text = '# c\nroot:x:0:0:root:/root:/bin/bash\r\n\n+@nis:::::\n-x:::\nshort:x:7\nbob:x:1000:1000::/home/bob:/bin/sh\n';

  it('keeps the 1-based line number and the fields, skipping comments, blanks and NIS lines', () => {
    expect(passwdLines(text)).toEqual([
      { line: 2, fields: ['root', 'x', '0', '0', 'root', '/root', '/bin/bash'] },
      { line: 6, fields: ['short', 'x', '7'] },
      { line: 7, fields: ['bob', 'x', '1000', '1000', '', '/home/bob', '/bin/sh'] },
    ]);
  });

  it('the accounts parser and the uid map agree on the accounts both accept', () => {
    const { entries, errors } = parsePasswd(text);
    expect(entries.map((e) => [e.uid, e.user, e.line])).toEqual([[0, 'root', 2], [1000, 'bob', 7]]);
    // A short line names a uid for process owners but is not a full account entry.
    expect(errors).toEqual([{ line: 6, message: 'not a passwd entry (3 fields)' }]);
    expect([...userNames(text)]).toEqual([[0, 'root'], [7, 'short'], [1000, 'bob']]);
  });
});

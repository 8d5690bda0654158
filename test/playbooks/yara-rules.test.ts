import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readYaraRules, yaraRulePaths } from '../../src/playbooks/yara-rules.js';
import { tmpDirsOfThisFile } from '../helpers/bundle.js';

const tmpDir = tmpDirsOfThisFile();

describe('the responder\'s YARA rule files', () => {
  it('resolves --yara from the working folder and the playbook\'s yara: from its own folder', () => {
    const paths = yaraRulePaths(['rules/a.yar'], { file: '/pb/dir/book.yaml', data: { yara: ['b.yar', '/abs/c.yar'] } as never });
    expect(paths).toEqual([path.resolve('rules/a.yar'), '/pb/dir/b.yar', '/abs/c.yar']);
  });

  it('reads a file, a folder\'s .yar and .yara files sorted and once each; what cannot be listed first, then each file', async () => {
    const dir = tmpDir('irt-yara-rules-');
    mkdirSync(path.join(dir, 'set'));
    writeFileSync(path.join(dir, 'set', 'b.yara'), 'rule b { condition: true }');
    writeFileSync(path.join(dir, 'set', 'a.yar'), 'rule a { condition: true }');
    writeFileSync(path.join(dir, 'set', 'notes.txt'), 'not a rule');
    writeFileSync(path.join(dir, 'one.yar'), 'rule one { condition: false }');
    const rules = await readYaraRules([path.join(dir, 'one.yar'), path.join(dir, 'missing'), path.join(dir, 'set'), path.join(dir, 'set', 'a.yar')]);
    expect(rules).toEqual([
      { file: path.join(dir, 'missing'), error: `ENOENT: ${path.join(dir, 'missing')}: no such file` },
      { file: path.join(dir, 'one.yar'), source: 'rule one { condition: false }' },
      { file: path.join(dir, 'set', 'a.yar'), source: 'rule a { condition: true }' },
      { file: path.join(dir, 'set', 'b.yara'), source: 'rule b { condition: true }' },
    ]);
  });

  it('nothing given is undefined (the step says it was skipped); an empty folder is an empty list', async () => {
    expect(await readYaraRules([])).toBeUndefined();
    const dir = tmpDir('irt-yara-empty-');
    expect(await readYaraRules([dir])).toEqual([]);
  });

  it('a file in a folder that cannot be read is named in its place, after what could not be listed', async () => {
    const dir = tmpDir('irt-yara-unreadable-');
    writeFileSync(path.join(dir, 'a.yar'), 'rule a { condition: true }');
    symlinkSync(path.join(dir, 'nowhere'), path.join(dir, 'b.yar'));
    writeFileSync(path.join(dir, 'c.yar'), 'rule c { condition: true }');
    expect(await readYaraRules([dir, path.join(dir, 'gone.yar')])).toEqual([
      { file: path.join(dir, 'gone.yar'), error: `ENOENT: ${path.join(dir, 'gone.yar')}: no such file` },
      { file: path.join(dir, 'a.yar'), source: 'rule a { condition: true }' },
      { file: path.join(dir, 'b.yar'), error: `ENOENT: ${path.join(dir, 'b.yar')}: no such file` },
      { file: path.join(dir, 'c.yar'), source: 'rule c { condition: true }' },
    ]);
  });
});

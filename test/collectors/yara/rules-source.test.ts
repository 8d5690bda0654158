import { describe, expect, it } from 'vitest';
import { ruleTags } from '../../../src/collectors/yara/rules-source.js';

describe('YARA rule headers', () => {
  it('reads each rule name with its tags, private and global rules too', () => {
    const source = 'rule A : miner linux {\n condition: true }\nprivate rule B{ condition: true }\nglobal private rule C : x\n{ condition: true }\n// rule D : not { }\n';
    expect([...ruleTags(source)]).toEqual([['A', ['miner', 'linux']], ['B', []], ['C', ['x']]]);
  });
});

// Single prompts, rendered by @inquirer/testing's render() with the configurations the guided run builds.
import { checkbox, confirm, select } from '@inquirer/prompts';
import { render } from '@inquirer/testing';
import { describe, expect, it } from 'vitest';
import { safeChoices } from '../../src/runner/interactive.js';

describe('the guided run prompts', () => {
  it('draws a process name from the box as text, never as an escape sequence', async () => {
    const hostile = 'pscan2\x1b[2J\x1b]0;owned\x07';
    const { answer, events, getScreen } = await render(select, {
      message: 'Freeze which one?',
      choices: safeChoices([
        { value: '4242', name: `pid 4242 ${hostile}` },
        { value: '4243', name: 'pid 4243 sshd' },
      ]),
    });
    const raw = getScreen({ raw: true });
    expect(raw).not.toContain('\x1b[2J');
    expect(raw).not.toContain('\x1b]0;');
    expect(getScreen()).toContain('pid 4242 pscan2\\x1b[2J\\x1b]0;owned\\x07');
    events.keypress('down');
    events.keypress('enter');
    await expect(answer).resolves.toBe('4243');
  });

  it('selects targets in a checkbox, none by default', async () => {
    const { answer, events, getScreen } = await render(checkbox, {
      message: 'Quarantine which folders?',
      choices: safeChoices([
        { value: '/tmp/.. ', name: '/tmp/.. ', description: 'holds pscan2 (pid 4242)' },
        { value: '/dev/shm/.x', name: '/dev/shm/.x' },
      ]),
    });
    expect(getScreen()).toMatch(/◯ \/tmp\/\.\./);
    events.keypress('down');
    events.keypress('space');
    events.keypress('enter');
    await expect(answer).resolves.toEqual(['/dev/shm/.x']);
  });

  it('a confirmation defaults to no: enter alone changes nothing', async () => {
    const { answer, events } = await render(confirm, { message: 'Apply these 3 change(s)?', default: false });
    events.keypress('enter');
    await expect(answer).resolves.toBe(false);
  });
});

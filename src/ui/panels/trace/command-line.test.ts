import { describe, expect, it } from 'vitest';
import { joinCommand, splitCommand } from './command-line.js';

describe('the Trace panel command field', () => {
  it('splits words as a shell would, without running one', () => {
    expect(splitCommand('  epoll-demo   overflow 200 10 ')).toEqual({ argv: ['epoll-demo', 'overflow', '200', '10'] });
    expect(splitCommand(`sh -c 'echo a | cat' "x \\"y\\"" a\\ b ''`)).toEqual({ argv: ['sh', '-c', 'echo a | cat', 'x "y"', 'a b', ''] });
  });

  it('says what is wrong with a command it cannot split', () => {
    expect(splitCommand('   ')).toEqual({ error: 'type a command to trace, e.g. epoll-demo lt-et' });
    expect(splitCommand("sh -c 'oops")).toEqual({ error: "the command has an unclosed '" });
  });

  it('joins argv back into text that splits to the same argv', () => {
    const argv = ['sh', '-c', `grep -q "^scull " /proc/modules || echo it's gone`, 'plain-word', ''];
    const text = joinCommand(argv);
    expect(text.startsWith('sh -c ')).toBe(true);
    expect(splitCommand(text)).toEqual({ argv });
  });
});

/**
 * guest/agent/protocol.h and src/host/core/protocol.ts describe the same
 * wire format from two sides. Every constant the header defines is read by
 * compiling a program against it (so C decides the values, not a regex), and
 * must have its twin on the host with the same value.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import * as protocol from '../src/host/core/protocol.js';

const HEADER = path.resolve(import.meta.dirname, '../guest/agent/protocol.h');

/** The host's name for each of the header's: frame types by their CamelCase name, the rest by table. */
function hostValue(name: string): number | undefined {
  const plain: Record<string, number> = {
    EL_MAGIC0: protocol.MAGIC0,
    EL_MAGIC1: protocol.MAGIC1,
    EL_HEADER_SIZE: protocol.HEADER_SIZE,
    EL_MAX_PAYLOAD: protocol.MAX_PAYLOAD,
    EL_EXEC_STDIN: protocol.EXEC_FLAG_STDIN,
    EL_EXIT_TIMED_OUT: protocol.EXIT_FLAG_TIMED_OUT,
  };
  if (name in plain) return plain[name];
  const camel = name
    .replace(/^EL_/, '')
    .toLowerCase()
    .replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());
  return (protocol.FrameType as Record<string, number>)[camel];
}

it('every constant of protocol.h has its twin in protocol.ts, with the same value', async () => {
  const text = await fs.readFile(HEADER, 'utf8');
  const names = [...new Set([...text.matchAll(/^\s*(?:#define\s+)?(EL_[A-Z0-9_]+)\b(?=\s*(?:=|\s+\S))/gm)].map((m) => m[1]!))].filter(
    (n) => n !== 'EL_H',
  );
  expect(names.length).toBeGreaterThan(15);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'epoll-lab-protocol-'));
  try {
    const program = path.join(dir, 'values.c');
    await fs.writeFile(
      program,
      `#include <stdio.h>\n#include "${HEADER}"\nint main(void)\n{\n` +
        names.map((n) => `\tprintf("%s %ld\\n", "${n}", (long)(${n}));\n`).join('') +
        '\treturn 0;\n}\n',
    );
    execFileSync('gcc', ['-o', path.join(dir, 'values'), program]);
    const values = execFileSync(path.join(dir, 'values'), { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((line) => line.split(' '));
    const mismatches = values.filter(([name, value]) => hostValue(name!) !== Number(value)).map(([name, value]) => `${name} = ${value} in C, ${hostValue(name!)} on the host`);
    expect(mismatches).toEqual([]);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

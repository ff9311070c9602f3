import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { placeReport, temporaryReportPath, writeReport } from './report-file.js';

describe('report files that cannot be written after the run', () => {
  afterEach(() => vi.restoreAllMocks());

  function stderr(): string[] {
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (lines.push(String(chunk)), true));
    return lines;
  }

  it('a report streamed to a temporary file stays there, named, when its target is full', async () => {
    const temp = temporaryReportPath('/dev/full', 'trace');
    await fs.writeFile(temp, '{"kind":"create"}\n');
    const said = stderr();
    await placeReport('/dev/full', temp);
    expect(said.join('')).toBe(`epoll-lab: could not write /dev/full (ENOSPC); the report is in ${temp}\n`);
    expect(await fs.readFile(temp, 'utf8')).toBe('{"kind":"create"}\n');
    expect((await fs.stat('/dev/full')).isCharacterDevice()).toBe(true); // left as it was
    await fs.rm(temp);
  });

  it('goes where it belongs when it can, leaving no temporary file', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'epoll-lab-report-file-'));
    const temp = temporaryReportPath('x.jsonl', 'trace');
    await fs.writeFile(temp, 'events\n');
    await placeReport(path.join(dir, 'x.jsonl'), temp);
    expect(await fs.readFile(path.join(dir, 'x.jsonl'), 'utf8')).toBe('events\n');
    await expect(fs.stat(temp)).rejects.toThrow(/ENOENT/);
    await fs.rm(dir, { recursive: true });
  });

  it('a finished report that cannot be written goes to a temporary file, named', async () => {
    const said = stderr();
    await writeReport('/dev/full', 'report\n');
    const kept = /the report is in (\S+)\n$/.exec(said.join(''))?.[1];
    expect(kept).toBeDefined();
    expect(await fs.readFile(kept!, 'utf8')).toBe('report\n');
    await fs.rm(kept!);
  });
});

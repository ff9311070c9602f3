import { describe, expect, it } from 'vitest';
import { EXAMPLES } from './examples.js';
import { makeShareLink, MAX_SHARE_URL_CHARS, openShareFragment, type SharedProgram } from './share-link.js';

const PAGE = 'https://example.org/epoll-lab/index.html?kernel=6.1#tests';

async function roundTrip(program: SharedProgram): Promise<SharedProgram> {
  const link = await makeShareLink(PAGE, program);
  if (!link.ok) throw new Error(link.message);
  const opened = await openShareFragment(new URL(link.url).hash);
  if (opened.kind !== 'program') throw new Error(`expected a program, got ${JSON.stringify(opened)}`);
  return opened.program;
}

describe('share links', () => {
  it('bring back every example, with the kernel it was shared from', async () => {
    for (const example of EXAMPLES) {
      expect(await roundTrip({ source: example.source, kernel: '6.12' })).toEqual({ source: example.source, kernel: '6.12' });
    }
  });

  it('keep non-ASCII and binary-ish text exactly', async () => {
    const source = [
      '/* Grüße, 日本語, emoji 🐧 and a lone combining mark e\u0301 */',
      'char nul_and_controls[] = "\u0001\u0002\u001b[31m\t\r\n\u007f";',
      String.fromCharCode(...Array.from({ length: 0xd7ff }, (_, i) => i + 1).filter((c) => c % 97 === 0)),
      '\u0000 after a NUL, and a trailing backslash \\',
    ].join('\n');
    expect(await roundTrip({ source })).toEqual({ source });
  });

  it('put the kernel in the query too, so the page starts on it, and replace the old fragment', async () => {
    const link = await makeShareLink(PAGE, { source: 'int main(void) { return 0; }', kernel: '7.2' });
    expect(link.ok).toBe(true);
    const url = new URL(link.ok ? link.url : '');
    expect(url.searchParams.get('kernel')).toBe('7.2');
    expect(url.pathname).toBe('/epoll-lab/index.html');
    expect(url.hash).toMatch(/^#playground\/1\.[A-Za-z0-9_-]+$/);
  });

  it('refuse a program too big for a link with a message, instead of a link that breaks', async () => {
    // Hardly compressible text: 200,000 printable characters from xorshift32.
    let x = 2463534242;
    const letters = Array.from({ length: 200_000 }, () => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return String.fromCharCode(33 + ((x >>> 0) % 90));
    }).join('');
    const link = await makeShareLink(PAGE, { source: `/*${letters}*/` });
    expect(link.ok).toBe(false);
    expect(link.ok ? '' : link.message).toMatch(/too big to share as a link: .* KiB link, and links longer than 64 KiB/);
    // Big but repetitive programs compress, and stay shareable.
    const repetitive = 'int x; /* the same line again and again */\n'.repeat(5_000);
    const ok = await makeShareLink(PAGE, { source: repetitive });
    expect(ok.ok && ok.url.length).toBeLessThan(MAX_SHARE_URL_CHARS);
  });

  it('say why a damaged link cannot be read, and ignore fragments that are not links', async () => {
    expect(await openShareFragment('#tests')).toEqual({ kind: 'none' });
    expect(await openShareFragment('')).toEqual({ kind: 'none' });
    const link = await makeShareLink(PAGE, { source: EXAMPLES[0]!.source });
    const hash = new URL(link.ok ? link.url : '').hash;
    const cut = await openShareFragment(hash.slice(0, hash.length / 2));
    expect(cut.kind).toBe('broken');
    expect(cut.kind === 'broken' && cut.message).toMatch(/cannot be read .*cut short/);
    expect(await openShareFragment('#playground/1.abc$')).toMatchObject({ kind: 'broken', message: expect.stringMatching(/base64url/) });
    expect(await openShareFragment('#playground/9.abc')).toMatchObject({ kind: 'broken', message: expect.stringMatching(/format/) });
  });
});

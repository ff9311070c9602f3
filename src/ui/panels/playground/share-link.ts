/**
 * Share links: a Playground program (and the kernel it was run on) packed
 * into the URL fragment, so the link carries the whole program and nothing
 * is sent anywhere (browsers never send the fragment to the server).
 *
 * Format: `#playground/1.<data>`, where <data> is base64url (RFC 4648 §5,
 * no padding) of the deflate-raw compression (RFC 1951, the browser's own
 * CompressionStream) of the UTF-8 JSON `{"s": source, "k": kernel}`. The
 * "1." is the format's version, so a later format can still read old links.
 *
 * Size: a link is refused past MAX_SHARE_URL_CHARS characters in all.
 * Chromium accepts URLs up to 2 MiB (url::kMaxURLChars), but Firefox keeps
 * no URL longer than 65,536 characters in its history (Places'
 * URL_LENGTH_MAX), so that is the limit for a link that works everywhere.
 * A typical example program of 3 KB makes a link of under 2,000 characters.
 */

/** What the fragment starts with; the Playground tab's id, so the tab opens too. */
export const SHARE_FRAGMENT_PREFIX = 'playground/';
const FORMAT = '1.';
export const MAX_SHARE_URL_CHARS = 65_536;
/** A link never unpacks to more than this (a crafted link could otherwise inflate a thousandfold). */
const MAX_UNPACKED_BYTES = 4 * 1024 * 1024;

export interface SharedProgram {
  readonly source: string;
  /** The kernel series it was shared from ("6.12"), when the site offers a choice. */
  readonly kernel?: string;
}

export type ShareLinkResult =
  | { readonly ok: true; readonly url: string }
  | { readonly ok: false; readonly message: string };

/** What a page's fragment holds: no shared program, one, or a link that cannot be read. */
export type OpenedShare =
  | { readonly kind: 'none' }
  | { readonly kind: 'program'; readonly program: SharedProgram }
  | { readonly kind: 'broken'; readonly message: string };

/**
 * The link to `page` (its fragment replaced) that restores `program`; the
 * kernel also goes in the query as ?kernel=, which the page starts with.
 */
export async function makeShareLink(page: string, program: SharedProgram): Promise<ShareLinkResult> {
  const json = JSON.stringify(program.kernel === undefined ? { s: program.source } : { s: program.source, k: program.kernel });
  const data = toBase64Url(await transform(new TextEncoder().encode(json), new CompressionStream('deflate-raw')));
  const url = new URL(page);
  if (program.kernel !== undefined) url.searchParams.set('kernel', program.kernel);
  url.hash = `${SHARE_FRAGMENT_PREFIX}${FORMAT}${data}`;
  const link = url.href;
  if (link.length > MAX_SHARE_URL_CHARS) {
    const kb = (n: number) => `${Math.ceil(n / 1024)} KiB`;
    return {
      ok: false,
      message:
        `This program is too big to share as a link: compressed, it makes a ${kb(link.length)} link, ` +
        `and links longer than ${kb(MAX_SHARE_URL_CHARS)} do not work in every browser. ` +
        'Shorten the program, or share the source as a file.',
    };
  }
  return { ok: true, url: link };
}

/** Reads a page's location.hash (with or without the "#"). */
export async function openShareFragment(hash: string): Promise<OpenedShare> {
  const fragment = hash.startsWith('#') ? hash.slice(1) : hash;
  if (!fragment.startsWith(SHARE_FRAGMENT_PREFIX)) return { kind: 'none' };
  const payload = fragment.slice(SHARE_FRAGMENT_PREFIX.length);
  const broken = (why: string): OpenedShare => ({
    kind: 'broken',
    message: `This share link cannot be read (${why}). It may have been cut short when it was copied; ask for the whole link.`,
  });
  if (!payload.startsWith(FORMAT)) return broken(`it is not in a format this page knows: "${payload.slice(0, 8)}…"`);
  const bytes = fromBase64Url(payload.slice(FORMAT.length));
  if (!bytes) return broken('it has characters that base64url does not use');
  let json: string;
  try {
    const unpacked = await transform(bytes, new DecompressionStream('deflate-raw'), MAX_UNPACKED_BYTES);
    json = new TextDecoder('utf-8', { fatal: true }).decode(unpacked);
  } catch (error) {
    return broken(error instanceof TooLargeError ? error.message : 'its compressed data is damaged');
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return broken('its data is not the JSON a share link holds');
  }
  if (typeof value !== 'object' || value === null || typeof (value as { s?: unknown }).s !== 'string') return broken('it holds no program');
  const { s, k } = value as { s: string; k?: unknown };
  return { kind: 'program', program: typeof k === 'string' ? { source: s, kernel: k } : { source: s } };
}

class TooLargeError extends Error {}

/** Runs bytes through a (de)compression stream; stops past `limit` output bytes. */
async function transform(input: Uint8Array, stream: CompressionStream | DecompressionStream, limit = Infinity): Promise<Uint8Array> {
  const writer = stream.writable.getWriter();
  // Written and closed without awaiting: the stream only takes more input as its output is read.
  writer.write(input as Uint8Array<ArrayBuffer>).catch(() => {});
  writer.close().catch(() => {});
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = stream.readable.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > limit) {
      await reader.cancel();
      throw new TooLargeError(`it unpacks to more than ${limit / (1024 * 1024)} MiB`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  // In slices: String.fromCharCode(...all) would overflow the call stack on big inputs.
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  let binary: string;
  try {
    binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  } catch {
    return undefined;
  }
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

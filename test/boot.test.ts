/**
 * The image pipeline's promises, checked against the real artifacts: the
 * built image cold-boots in v86 to the ready marker and runs the kernel the
 * manifest names; a tampered image is refused; the initramfs is reproducible.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ImageMismatchError } from '../src/host/core/errors.js';
import { Guest } from '../src/host/core/guest.js';
import { defaultImagesDir, loadImages } from '../src/host/node/images.js';
import { nodePlatform } from '../src/host/node/node-platform.js';
import { assembleInitramfs, prepareInitramfsInputs, silentLogger } from '../src/images/index.js';

describe('guest image', () => {
  const tmpDirs: string[] = [];
  afterAll(() => Promise.all(tmpDirs.map((d) => fs.rm(d, { recursive: true, force: true }))));

  it('cold-boots in v86 to the ready marker and runs the manifest kernel', async () => {
    const loaded = await loadImages();
    // The marker comes on ttyS0 and the agent's hello on the virtio console: two devices,
    // so either may reach the host first. Listen from the first byte.
    let console = '';
    let sawMarker!: (line: string) => void;
    const marker = new Promise<string>((resolve) => (sawMarker = resolve));
    const decoder = new TextDecoder();
    const guest = await Guest.boot(nodePlatform, loaded.images, {
      onConsoleData: (data) => {
        console += decoder.decode(data, { stream: true });
        // The whole line: a chunk may end inside the release ("kernel 6").
        const line = /(epoll-lab: guest ready, kernel \S+)\r?\n/.exec(console);
        if (line) sawMarker(line[1]!);
      },
    });
    try {
      expect(await marker).toBe(`epoll-lab: guest ready, kernel ${loaded.release}`);
      expect(guest.info.release).toBe(loaded.release);
      const uname = await guest.exec(['uname', '-r']);
      expect(new TextDecoder().decode(uname.stdout).trim()).toBe(loaded.release);
      expect(guest.kernelLog()).toMatch(/Linux version 6\.\d+/);
    } finally {
      await guest.dispose();
    }
  });

  it('refuses an image whose sha256 does not match the manifest, naming the file', async () => {
    const copy = await fs.mkdtemp(path.join(os.tmpdir(), 'epoll-lab-images-'));
    tmpDirs.push(copy);
    await fs.cp(defaultImagesDir(), copy, { recursive: true });
    const loaded = await loadImages(undefined, copy);
    const initrd = loaded.manifest.artifacts.find((a) => a.role === 'initramfs' && a.kernel === loaded.kernel)!;
    const file = path.join(copy, initrd.path);
    const bytes = await fs.readFile(file);
    bytes[bytes.length - 1]! ^= 0xff;
    await fs.writeFile(file, bytes);

    const failure = loadImages(undefined, copy);
    await expect(failure).rejects.toThrow(ImageMismatchError);
    await expect(failure).rejects.toThrow(file);
    await expect(failure).rejects.toMatchObject({ hint: expect.stringContaining('epoll-lab build') });
  });

  it('assembles a bit-identical initramfs from the same inputs', async () => {
    // Inputs come from the build cache (busybox, compiled programs); no kernel needed.
    const { inputs } = await prepareInitramfsInputs({}, silentLogger);
    const first = await assembleInitramfs(inputs);
    const second = await assembleInitramfs(inputs);
    // About 40 entries from the userland alone: busybox's applet links are made at boot, not archived.
    expect(first.entries).toBeGreaterThan(30);
    expect(Buffer.compare(first.bytes, second.bytes)).toBe(0);
  });
});

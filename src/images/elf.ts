/**
 * Just enough ELF parsing to refuse binaries the guest cannot run.
 *
 * The guest is a 32-bit x86 kernel without 64-bit support; handing it an
 * x86_64 busybox (easy to get by forgetting ":i386") would only show up as
 * a kernel panic "No working init found" much later, so check up front.
 */
import fs from 'node:fs/promises';
import { BadBinaryError } from './errors.js';

const ELFCLASS32 = 1;
const ELFDATA2LSB = 1;
const EM_386 = 3;

export interface ElfIdent {
  elfClass: number;
  data: number;
  machine: number;
}

/** Parse e_ident[EI_CLASS], e_ident[EI_DATA] and e_machine, or undefined if not ELF. */
export function parseElfIdent(header: Uint8Array): ElfIdent | undefined {
  if (header.length < 20) return undefined;
  if (header[0] !== 0x7f || header[1] !== 0x45 || header[2] !== 0x4c || header[3] !== 0x46) return undefined;
  const elfClass = header[4] ?? 0;
  const data = header[5] ?? 0;
  // e_machine is the half-word at offset 18 in both ELF classes, in the
  // file's own byte order.
  const lo = header[18] ?? 0;
  const hi = header[19] ?? 0;
  const machine = data === ELFDATA2LSB ? lo | (hi << 8) : (lo << 8) | hi;
  return { elfClass, data, machine };
}

const PT_INTERP = 3;

/**
 * The program interpreter (dynamic loader) a little-endian ELF32 file asks
 * for in its PT_INTERP entry, e.g. "/lib/ld-linux.so.2"; undefined for a
 * static program. `file` is the whole file, or at least through the
 * interpreter's name (which follows the program headers in any usual
 * layout); a name beyond `file` reads as "" (asked for, not known).
 */
export function elf32Interpreter(file: Uint8Array): string | undefined {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (file.byteLength < 52) return undefined;
  const phoff = view.getUint32(28, true);
  const phentsize = view.getUint16(42, true);
  const phnum = view.getUint16(44, true);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + 20 > file.byteLength) break;
    if (view.getUint32(at, true) !== PT_INTERP) continue;
    const offset = view.getUint32(at + 4, true);
    const size = view.getUint32(at + 16, true);
    if (offset + size > file.byteLength) return '';
    return Buffer.from(file.subarray(offset, offset + size)).toString('latin1').replace(/\0.*$/s, '');
  }
  return undefined;
}

/** Throw BadBinaryError unless `file` is a little-endian ELF32 i386 binary. */
export async function assertElf32i386(file: string, what: string): Promise<void> {
  const handle = await fs.open(file, 'r');
  const header = Buffer.alloc(20);
  try {
    await handle.read(header, 0, header.length, 0);
  } finally {
    await handle.close();
  }
  const ident = parseElfIdent(header);
  if (!ident || ident.elfClass !== ELFCLASS32 || ident.data !== ELFDATA2LSB || ident.machine !== EM_386) {
    const got = ident ? `ELF class ${ident.elfClass}, machine ${ident.machine}` : 'not an ELF file';
    throw new BadBinaryError(
      `${what} (${file}) is not a 32-bit i386 ELF binary (${got}); the guest can only run i386 code, ` +
        `so fetch the i386 build (e.g. \`apt-get download busybox-static:i386\`).`,
    );
  }
}

/**
 * A restore whose cost follows the pages the snapshot holds, not the
 * guest's memory size.
 *
 * v86's restore_state unpacks memory by zeroing all of it (128 MiB by
 * default) and then copying back the pages the snapshot holds (~7,000 of
 * 32,768 for the post-boot snapshot). Zeroing writes every page, so the host
 * commits all of them: ~70 ms of a restore, and the whole RAM size in
 * resident memory from the first moment. A new emulator's memory is zero
 * already except where v86 itself wrote before the restore: its BIOS, and
 * the kernel and initramfs when it is handed them. So the pages the
 * snapshot holds are copied, and of the others only those that are not
 * zero are cleared. A restore hands v86 no kernel (guest.ts), so only its
 * BIOS, below 1 MiB, can be there: only that range is checked. Checking all
 * 128 MiB read every untouched page, ~18 ms of page faults a restore.
 *
 * This reaches into v86's CPU object (`unpack_memory`, `mem8`,
 * `memory_size`, `is_memory_zeroed`, `zero_memory`), so it checks for each
 * and leaves v86's own restore in place when one is missing: a newer v86
 * is slower to restore, never wrong.
 */
import type { V86 } from 'v86';

/** The parts of v86's CPU this uses (src/cpu.js). */
export interface V86Cpu {
  mem8: Uint8Array;
  memory_size: Uint32Array;
  unpack_memory(bitmap: { get(index: number): number }, packed: Uint8Array): void;
  is_memory_zeroed(address: number, length: number): boolean;
  zero_memory(address: number, length: number): void;
}

/** Where v86's starter keeps its machine, whose `cpu` this uses. */
interface V86Internals {
  v86?: { cpu?: Partial<V86Cpu> };
}

const PAGE = 4096;

/**
 * The end of what a new emulator that was handed no kernel, initrd or disk
 * has written before its restore: v86 puts its BIOS (and a VGA BIOS) below
 * 1 MiB. test/guest-runtime.test.ts checks this v86 against it, through
 * restoreProbe.
 */
export const NO_IMAGES_WRITTEN_BELOW = 1 << 20;

/** For the test that checks NO_IMAGES_WRITTEN_BELOW: called with the CPU right before memory is unpacked. */
export const restoreProbe: { beforeUnpack?: (cpu: V86Cpu) => void } = {};

function isUsableCpu(cpu: Partial<V86Cpu> | undefined): cpu is V86Cpu {
  return (
    cpu !== undefined &&
    // v86 hands out its memory views as proxies (they follow the memory when it grows), not typed arrays.
    typeof cpu.mem8?.set === 'function' &&
    typeof cpu.memory_size?.[0] === 'number' &&
    typeof cpu.unpack_memory === 'function' &&
    typeof cpu.is_memory_zeroed === 'function' &&
    typeof cpu.zero_memory === 'function'
  );
}

/**
 * Memory unpacked as v86 does it, but clearing only the pages that need it:
 * those below `writtenBelow` that are not zero.
 */
export function unpackHeldPages(cpu: V86Cpu, bitmap: { get(index: number): number }, packed: Uint8Array, writtenBelow: number): void {
  const pages = cpu.memory_size[0]! / PAGE;
  let held = 0;
  for (let page = 0; page < pages; page++) {
    const address = page * PAGE;
    if (bitmap.get(page)) {
      cpu.mem8.set(packed.subarray(held * PAGE, (held + 1) * PAGE), address);
      held++;
    } else if (address < writtenBelow && !cpu.is_memory_zeroed(address, PAGE)) {
      cpu.zero_memory(address, PAGE);
    }
  }
}

/**
 * Makes the restore of EMULATOR (a new one, created with `initial_state`)
 * unpack only what the snapshot holds. v86 makes its machine (and the CPU)
 * once the WebAssembly module is instantiated and restores right after, on
 * that machine, so the hook is put in as the starter stores the machine in
 * its `v86` property. `imagesHanded`: whether the emulator was given a
 * kernel or initrd (then v86 wrote them into memory, and every page is
 * checked). Returns whether it could be installed.
 */
export function restoreHeldPagesOnly(emulator: V86, imagesHanded: boolean): boolean {
  const starter = emulator as unknown as V86Internals;
  if (starter.v86 !== undefined) return false;
  Object.defineProperty(starter, 'v86', {
    configurable: true,
    enumerable: true,
    get: () => undefined,
    set(machine: V86Internals['v86']) {
      // From now on a plain property again, holding the machine.
      Object.defineProperty(starter, 'v86', { value: machine, writable: true, configurable: true, enumerable: true });
      const cpu = machine?.cpu;
      if (!isUsableCpu(cpu)) return;
      const writtenBelow = imagesHanded ? cpu.memory_size[0]! : NO_IMAGES_WRITTEN_BELOW;
      cpu.unpack_memory = (bitmap, packed) => {
        restoreProbe.beforeUnpack?.(cpu);
        unpackHeldPages(cpu, bitmap, packed, writtenBelow);
      };
    },
  });
  return true;
}

/** Whether EMULATOR's memory was restored this way: for a test that pins it to this v86. */
export function restoredHeldPagesOnly(emulator: V86): boolean {
  const cpu = (emulator as unknown as V86Internals).v86?.cpu;
  return isUsableCpu(cpu) && Object.hasOwn(cpu, 'unpack_memory');
}

/** Where the page finds the latest benchmark results (see src/ui/build/bench-assets-plugin.ts). */
export const BENCH_ASSETS_DIR = 'bench';

/** The plots the Performance panel shows, in order, with what each one says. */
export const BENCH_PLOTS: readonly { file: string; caption: string }[] = [
  { file: 'scaling-v86.svg', caption: 'Cost per wait call in this emulator: poll and select grow with the fds watched, epoll with the fds ready.' },
  { file: 'scaling-native.svg', caption: 'The same benchmark built for the machine that ran it and run there natively.' },
  { file: 'scaling-qemu.svg', caption: 'The same kernel and initramfs under QEMU TCG.' },
  { file: 'latency.svg', caption: 'Round trips through epoll_wait, per engine.' },
];

/**
 * The Debian packages behind the workloads layer: redis, memcached and
 * memaslap for i386 from bookworm, with libc6 and their shared-library
 * closure (debian-packages.ts follows the lib* dependencies; the layer step
 * then keeps just the files the ELF NEEDED entries ask for). Their versions
 * are locked in debian-packages.lock.json as the set "workloads".
 */
import type { PackageSetSpec } from './debian-packages.js';
import { GUEST_ARCH } from './private-apt.js';

/** What the layer is made from; the versions of these and their library closure key it. */
export const WORKLOAD_PACKAGES = [
  'redis-server',
  'redis-tools',
  'memcached',
  // memaslap (Debian calls it memcaslap): memcached's load generator, with --verify.
  'libmemcached-tools',
  // The dynamic loader and libc, which every dynamically linked program needs.
  'libc6',
] as const;

export const WORKLOADS_SET: PackageSetSpec = { name: 'workloads', suite: 'bookworm', arch: GUEST_ARCH, roots: WORKLOAD_PACKAGES, closure: true };

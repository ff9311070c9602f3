/**
 * The guest Worker, started by the page's first, tiny script
 * (src/ui/early-start.ts) before the page's own modules (xterm.js, the
 * panels) are fetched and evaluated, so the Worker's downloads and the
 * emulator's start overlap them. What the Worker reports before the page
 * attaches its hooks waits here, in order.
 *
 * It also picks the first kernel: the one a link asked for (?kernel=) if
 * the site has it, else the default, with a note for the page to show.
 */
import { GUEST_ASSETS_DIR, GUEST_ASSETS_FILE, GUEST_KERNELS_FILE, type GuestKernelList } from '../shared/guest-assets.js';
import type { ServiceHooks, StartResult } from '../shared/service-api.js';
import { GuestClient } from './guest-client.js';

export interface EarlyGuest {
  readonly client: GuestClient;
  /** The guest's directory on the site. */
  readonly guestDir: URL;
  /** ?kernel= of the page's address, if any. */
  readonly askedKernel: string | null;
  /** guest-kernels.json, or undefined on a site built without it or when it cannot be read. */
  readonly kernelList: Promise<GuestKernelList | undefined>;
  /** The first start's assets, and a note when the link asked for a kernel the site lacks. */
  readonly firstAssets: Promise<{ readonly url: string; readonly notice?: string }>;
  /** The first start. */
  readonly started: Promise<StartResult>;
  /** The page's hooks: what waited is handed over first, in order. */
  attach(hooks: ServiceHooks): void;
}

let early: EarlyGuest | undefined;

/** Starts the guest once per page; later calls (main.ts) get the same one. */
export function startGuestEarly(): EarlyGuest {
  early ??= begin();
  return early;
}

function begin(): EarlyGuest {
  const guestDir = new URL(`${GUEST_ASSETS_DIR}/`, document.baseURI);
  const askedKernel = new URLSearchParams(location.search).get('kernel');
  const kernelList: Promise<GuestKernelList | undefined> = fetch(new URL(GUEST_KERNELS_FILE, guestDir))
    .then((response) => (response.ok ? (response.json() as Promise<GuestKernelList>) : undefined))
    .catch(() => undefined);
  const firstAssets = pickFirstAssets(guestDir, askedKernel, kernelList);
  const hooks = relayHooks();
  const client = new GuestClient(hooks.relay);
  const started = firstAssets.then(({ url }) => client.start(url));
  // The page's launch() observes it; until then a failure must not be an unhandled rejection.
  started.catch(() => undefined);
  return { client, guestDir, askedKernel, kernelList, firstAssets, started, attach: hooks.attach };
}

/** Without a ?kernel= the default kernel starts at once, without waiting for the list. */
async function pickFirstAssets(guestDir: URL, askedKernel: string | null, kernelList: Promise<GuestKernelList | undefined>) {
  const defaultUrl = new URL(GUEST_ASSETS_FILE, guestDir).href;
  if (!askedKernel) return { url: defaultUrl };
  const list = await kernelList;
  const entry = list?.kernels.find((k) => k.kernel === askedKernel);
  if (entry) return { url: new URL(entry.file, guestDir).href };
  const offered = list ? `it offers ${list.kernels.map((k) => k.kernel).join(', ')}` : 'it offers one kernel';
  return { url: defaultUrl, notice: `epoll-lab: this site has no kernel "${askedKernel}" (${offered}); starting the default one` };
}

/** Hooks for the Worker that hold each call until the page's own hooks are attached. */
function relayHooks(): { relay: ServiceHooks; attach(hooks: ServiceHooks): void } {
  let target: ServiceHooks | undefined;
  const waiting: ((hooks: ServiceHooks) => void)[] = [];
  const pass =
    <K extends keyof ServiceHooks>(name: K) =>
    (...args: Parameters<ServiceHooks[K]>) => {
      const call = (hooks: ServiceHooks) => (hooks[name] as (...a: Parameters<ServiceHooks[K]>) => void)(...args);
      if (target) call(target);
      else waiting.push(call);
    };
  return {
    relay: { onConsole: pass('onConsole'), onStage: pass('onStage'), onFailure: pass('onFailure'), onLog: pass('onLog') },
    attach(hooks) {
      target = hooks;
      for (const call of waiting.splice(0)) call(hooks);
    },
  };
}

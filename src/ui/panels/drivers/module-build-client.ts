/**
 * The page's side of the dev server's driver build endpoint
 * (src/host/core/module-build-api.ts). The endpoint exists only under
 * `npm start`, whose server marks the page; a static build has no mark, so
 * the panel offers no Build there. The browser sends the server's token
 * itself, as an HttpOnly cookie the page cannot read.
 */
import {
  MODULE_BUILD_META,
  MODULE_BUILD_PATH,
  type DriverSourceFile,
  type DriverTemplateResponse,
  type ModuleBuildErrorResponse,
  type ModuleBuildRequest,
  type ModuleBuildResponse,
} from '../../../host/core/module-build-api.js';

/** Why the Build button is missing, for a page the dev server did not serve. */
export const NO_DEV_SERVER = 'Building drivers needs the development server: run `npm start` to build drivers from the tab (a static site cannot compile).';

export class ModuleBuildClient {
  private constructor() {}

  /** The endpoint of the dev server that served this page, or undefined on a static site. */
  static fromPage(doc: Document): ModuleBuildClient | undefined {
    return doc.querySelector(`meta[name="${MODULE_BUILD_META}"]`) ? new ModuleBuildClient() : undefined;
  }

  /** The template's sources to start from (guest/drivers/template, .c and .h only). */
  async template(): Promise<readonly DriverSourceFile[]> {
    return (await this.ask<DriverTemplateResponse>({ method: 'GET' })).files;
  }

  /** Builds the sources against the kernel the guest runs: the module, or the compiler's messages. */
  build(request: ModuleBuildRequest): Promise<ModuleBuildResponse> {
    return this.ask<ModuleBuildResponse>({ method: 'POST', body: JSON.stringify(request), headers: { 'content-type': 'application/json' } });
  }

  private async ask<T>(init: { method: string; body?: string; headers?: Record<string, string> }): Promise<T> {
    const response = await fetch(MODULE_BUILD_PATH, { ...init, credentials: 'same-origin', cache: 'no-store' });
    const body = (await response.json().catch(() => undefined)) as unknown;
    if (!response.ok) {
      const said = (body as Partial<ModuleBuildErrorResponse> | undefined)?.error ?? `HTTP ${response.status}`;
      throw new Error(`the dev server refused the build: ${said}`);
    }
    if (!body) throw new Error('the dev server answered with something that is not JSON; is `npm start` still running?');
    return body as T;
  }
}

/** base64 (the endpoint's JSON) to the module's bytes. */
export function decodeModule(base64: string): Uint8Array {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

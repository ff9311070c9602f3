/**
 * Fetches the guest assets the build put beside the page: guest-assets.json
 * first, then the compressed files it names, with byte-level progress.
 * Every file is checked against the size the build recorded, so a partial
 * or stale deployment fails with a sentence instead of a confused emulator.
 */
import { EpollLabError } from '../../host/core/errors.js';
import { guestAssetsProblem, type GuestAssetFile, type GuestAssetsManifest } from '../shared/guest-assets.js';
import { unpack } from './unpack.js';

const REBUILD_HINT = 'rebuild the page with `npm run build:site` (or restart `npm start` or `epoll-lab serve`) and reload';

export async function fetchGuestAssets(url: string): Promise<GuestAssetsManifest> {
  const response = await get(url);
  let parsed: unknown;
  try {
    parsed = await response.json();
  } catch {
    throw new EpollLabError(`${url} is not JSON`, REBUILD_HINT);
  }
  const problem = guestAssetsProblem(parsed);
  if (problem) throw new EpollLabError(`${url} is not usable: ${problem}`, REBUILD_HINT);
  return parsed as GuestAssetsManifest;
}

/**
 * Downloads one asset relative to the manifest's URL, unpacking it as it
 * arrives. onBytes is told of each chunk received (bytes as stored; compare storedSize).
 */
export async function fetchAssetFile(
  manifestUrl: string,
  file: GuestAssetFile,
  onBytes: (count: number) => void = () => undefined,
): Promise<ArrayBuffer> {
  const url = new URL(file.path, manifestUrl).href;
  const response = await get(url);
  const body = response.body ?? new Blob([await response.arrayBuffer()]).stream();
  try {
    return (await unpack(body, file.size, onBytes)).buffer;
  } catch (error) {
    throw new EpollLabError(`${url} is not the file guest-assets.json describes: ${(error as Error).message}`, REBUILD_HINT);
  }
}

async function get(url: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new EpollLabError(`could not fetch ${url}: ${(error as Error).message}`, REBUILD_HINT);
  }
  if (!response.ok) throw new EpollLabError(`could not fetch ${url}: HTTP ${response.status}`, REBUILD_HINT);
  return response;
}

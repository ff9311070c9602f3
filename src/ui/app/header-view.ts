/** The top bar: kernel, memory, how the guest started, the stage indicator. */
import type { GuestInfo } from '../../host/core/guest.js';
import type { GuestKernelList } from '../shared/guest-assets.js';
import type { Stage, StageEvent, StartResult } from '../shared/service-api.js';
import { byId } from './dom.js';

const STAGE_LABELS: Readonly<Record<Stage, string>> = {
  'loading-assets': 'loading assets',
  restoring: 'restoring',
  booting: 'booting',
  ready: 'ready',
  failed: 'failed',
};

export class HeaderView {
  private readonly status = byId('status');
  private readonly stage = byId('status-stage');
  private readonly detail = byId('status-detail');

  setStage(event: StageEvent): void {
    this.status.dataset['stage'] = event.stage;
    this.stage.textContent = STAGE_LABELS[event.stage];
    this.detail.textContent = event.detail;
    document.documentElement.dataset['stage'] = event.stage;
  }

  setGuest(info: GuestInfo, result: StartResult, pageMs: number): void {
    byId('fact-kernel').textContent = `Linux ${info.release} (${info.machine})`;
    byId('fact-memory').textContent = `${info.memoryMb} MB`;
    const how = result.origin === 'restored' ? 'snapshot' : 'cold boot';
    byId('fact-started').textContent = `${how} · ${(pageMs / 1000).toFixed(2)} s`;
    byId('fact-started').title =
      `assets ${Math.round(result.timings.assetsMs)} ms, ${result.origin === 'restored' ? 'restore' : 'boot'} ` +
      `${Math.round(result.timings.startMs)} ms, ${(result.downloadedBytes / 1e6).toFixed(1)} MB downloaded`;
  }

  /** Offers the site's kernels; `onPick` gets the kernel name a person chose. */
  setKernels(list: GuestKernelList, current: string, onPick: (kernel: string) => void): void {
    const picker = byId<HTMLSelectElement>('kernel-picker');
    picker.replaceChildren(
      ...list.kernels.map((k) => {
        const option = document.createElement('option');
        option.value = k.kernel;
        option.textContent = `${k.kernel} (${k.release})`;
        return option;
      }),
    );
    picker.value = current;
    picker.hidden = list.kernels.length < 2;
    picker.onchange = () => onPick(picker.value);
  }

  setPickerEnabled(enabled: boolean): void {
    byId<HTMLSelectElement>('kernel-picker').disabled = !enabled;
  }

  onReset(listener: () => void): void {
    byId('reset').addEventListener('click', listener);
  }

  setResetEnabled(enabled: boolean): void {
    byId<HTMLButtonElement>('reset').disabled = !enabled;
  }
}

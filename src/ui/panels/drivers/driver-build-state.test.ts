import { describe, expect, it } from 'vitest';
import type { CaseResult } from '../../../host/core/testing/results.js';
import { driverBuildReducer, initialDriverBuildState, isBusy, type DriverBuildAction, type DriverBuildState } from './driver-build-state.js';

const run = (...actions: DriverBuildAction[]): DriverBuildState => actions.reduce(driverBuildReducer, initialDriverBuildState);
const pass = (name: string): CaseResult => ({ name, status: 'pass', durationMs: 5, output: '' });
const built: DriverBuildAction = { kind: 'built', response: { built: true, module: { name: 'hello_poll.ko', base64: 'AA==' }, output: '' } };

describe('the driver build state', () => {
  it('marks the compiler errors and stops there', () => {
    const state = run(
      { kind: 'build' },
      {
        kind: 'built',
        response: {
          built: false,
          output: 'hello_poll.c:12:3: error: expected ;',
          diagnostics: [
            { file: 'hello_poll.c', line: 12, column: 3, severity: 'error', message: 'expected ;' },
            { file: 'hello_poll.c', line: 20, severity: 'warning', message: 'unused' },
          ],
        },
      },
    );
    expect(state.phase).toBe('compile-failed');
    expect(state.status).toBe('the build failed: 1 error marked in the editor');
    expect(state.output).toContain('hello_poll.c:12:3');
    expect(state.diagnostics).toHaveLength(2);
    expect(isBusy(state)).toBe(false);
  });

  it('follows the suite case by case, then says how it went', () => {
    const testing = run({ kind: 'build' }, built, { kind: 'test-event', event: { kind: 'suite-start', suite: 'hello-poll', total: 1 } });
    expect(isBusy(testing)).toBe(true);
    expect(testing.status).toBe('loaded; running hello-poll…');
    const one = driverBuildReducer(testing, { kind: 'test-event', event: { kind: 'case', suite: 'hello-poll', result: pass('a') } });
    expect(one.cases.map((c) => c.name)).toEqual(['a']);
    const done = driverBuildReducer(one, {
      kind: 'tested',
      result: { load: { loaded: true, output: '', kernelMessages: '' }, suite: { name: 'hello-poll', cases: [pass('a'), pass('b')] } },
    });
    expect([done.phase, done.status]).toEqual(['passed', 'hello-poll: 2 passed']);
    const failed = driverBuildReducer(one, {
      kind: 'tested',
      result: { load: { loaded: true, output: '', kernelMessages: '' }, suite: { name: 'hello-poll', cases: [pass('a'), { ...pass('b'), status: 'fail' }] } },
    });
    expect([failed.phase, failed.status]).toEqual(['failed', 'hello-poll: 1 passed, 1 failed']);
  });

  it('shows insmod and the kernel when the module does not load', () => {
    const state = run(built, { kind: 'tested', result: { load: { loaded: false, output: 'insmod: can\'t insert: Invalid parameters', kernelMessages: 'hello_poll: Unknown symbol x' } } });
    expect(state.phase).toBe('load-failed');
    expect(state.status).toBe("insmod failed: insmod: can't insert: Invalid parameters");
    expect(state.output).toBe('hello_poll: Unknown symbol x');
  });

  it('a new build starts clean', () => {
    const state = run({ kind: 'failed', message: 'the dev server refused the build: x' }, { kind: 'build' });
    expect(state).toEqual({ ...initialDriverBuildState, phase: 'building', status: "building on the development server, against the guest's kernel…" });
  });
});

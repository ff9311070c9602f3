/**
 * The JSON report's schema (results.ts, README "Reports"), checked field by
 * field: a file `report merge` reads must be what `test --reporter json`
 * writes, or the merge would count what it cannot read as nothing. The
 * first field that is wrong is named by its path, e.g.
 * `runs[1].suites[0].cases[3].status`.
 */
import type { MatrixReport } from './matrix.js';
import type { RunReport } from './results.js';

/** The first field of a report that does not fit the schema. */
export class ReportSchemaError extends Error {
  constructor(
    readonly path: string,
    readonly expected: string,
    readonly found: unknown,
  ) {
    super(`${path || 'the top level'} should be ${expected}, not ${describe(found)}`);
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 37)}…` : text;
}

type Check = (value: unknown, path: string) => void;

const fail = (path: string, expected: string, found: unknown): never => {
  throw new ReportSchemaError(path, expected, found);
};

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const string: Check = (v, p) => void (typeof v === 'string' || fail(p, 'a string', v));
const boolean: Check = (v, p) => void (typeof v === 'boolean' || fail(p, 'true or false', v));
const count: Check = (v, p) => void ((Number.isSafeInteger(v) && (v as number) >= 0) || fail(p, 'a whole number of 0 or more', v));
const duration: Check = (v, p) => void ((typeof v === 'number' && Number.isFinite(v) && v >= 0) || fail(p, 'a number of milliseconds, 0 or more', v));
const oneOf =
  (...values: readonly string[]): Check =>
  (v, p) =>
    void ((typeof v === 'string' && values.includes(v)) || fail(p, `one of ${values.map((x) => JSON.stringify(x)).join(', ')}`, v));

function arrayOf(item: Check, nonEmpty = false): Check {
  return (v, p) => {
    if (!Array.isArray(v)) fail(p, 'an array', v);
    if (nonEmpty && (v as unknown[]).length === 0) fail(p, 'a non-empty array', v);
    (v as unknown[]).forEach((x, i) => item(x, `${p}[${i}]`));
  };
}

/** An object with these fields (those in `optional` may be absent); other fields are left alone. */
function object(fields: Readonly<Record<string, Check>>, optional: Readonly<Record<string, Check>> = {}): Check {
  return (v, p) => {
    if (!isObject(v)) fail(p, 'an object', v);
    const o = v as Record<string, unknown>;
    const at = (key: string) => (p ? `${p}.${key}` : key);
    for (const [key, check] of Object.entries(fields)) check(Object.hasOwn(o, key) ? o[key] : undefined, at(key));
    for (const [key, check] of Object.entries(optional)) if (Object.hasOwn(o, key) && o[key] !== undefined) check(o[key], at(key));
  };
}

const kernelChange = object({ since: string, backports: arrayOf(string), applies: boolean, reason: string });
const caseResult = object(
  { name: string, status: oneOf('pass', 'fail', 'skip'), durationMs: duration, output: string },
  { changes: arrayOf(kernelChange) },
);
const suiteResult = object({ name: string, cases: arrayOf(caseResult) });
const identity = object({ name: string, release: string, source: string, configSha256: string, gcc: string, binutils: string });
const summary = object({ pass: count, fail: count, skip: count });
const guestUse = object(
  { suite: string, guest: oneOf('restored', 'reused') },
  { part: string, worker: count, after: string, reasons: arrayOf(string) },
);
const runReport = object({ kernel: string, suites: arrayOf(suiteResult), summary }, { identity, guests: arrayOf(guestUse) });
// The diff is worked out again from the runs on every merge, so only its place is checked.
const matrixReport = object({ runs: arrayOf(runReport, true), diff: arrayOf(() => undefined) });

/** `value` as a run or a matrix report, or a ReportSchemaError naming the first bad field. */
export function checkReport(value: unknown): RunReport | MatrixReport {
  if (isObject(value) && Object.hasOwn(value, 'runs')) {
    matrixReport(value, '');
    return value as unknown as MatrixReport;
  }
  runReport(value, '');
  return value as unknown as RunReport;
}

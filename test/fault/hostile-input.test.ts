// Proves hostile input never makes the settlement core throw and always gets
// the right refusal: a table of corruptions of a worked case (NaN, -0, 1e308,
// numbers as strings, missing and null fields, arrays where objects go,
// 10,001 lines, amounts past the limits, malformed bands and segments) runs
// through the function and, in one --jsonl run, through the built CLI. Hostile
// keys (`__proto__`, `constructor`) that are valid data settle as data and
// never touch a prototype.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { settleCase } from '../../src/core/case';
import { runTerminal } from '../helpers/cli';
import { workedCases } from '../helpers/cases';

type Mutable = Record<string, any>;
const base = workedCases().find((worked) => worked.name.startsWith('02-'));
assert.ok(base);
const baseText = JSON.stringify(base.case);

/** Values that JSON.stringify cannot write stand in as markers and are spliced into the text. */
const rawMarkers: Record<string, string> = { '@@-0@@': '-0', '@@1e308@@': '1e308', '@@NaN@@': 'NaN', '@@-1e308@@': '-1e308' };
const functionValues: Record<string, unknown> = { '@@-0@@': -0, '@@1e308@@': 1e308, '@@NaN@@': Number.NaN, '@@-1e308@@': -1e308 };

function set(raw: Mutable, path: string, value: unknown): void {
  const keys = path.split('.');
  let node: Mutable = raw;
  for (const key of keys.slice(0, -1)) node = node[key];
  const last = keys[keys.length - 1] as string;
  if (value === undefined) delete node[last];
  else node[last] = value;
}

interface Row {
  readonly name: string;
  /** Builds the case as JSON text (so `__proto__` keys and -0 survive). */
  readonly text: () => string;
  /** The output code through the function. */
  readonly code: string;
  /** The output code through the CLI, when it differs (text that is not JSON). */
  readonly cliCode?: string;
}

function mutated(name: string, path: string, value: unknown, code = 'invalid_input'): Row {
  return {
    name: `${path} = ${typeof value === 'string' ? value : JSON.stringify(value) ?? 'missing'}${name}`,
    code,
    cliCode: value === '@@NaN@@' ? 'invalid_json' : undefined,
    text: () => {
      const raw = JSON.parse(baseText);
      set(raw, path, value);
      let text = JSON.stringify(raw);
      for (const [marker, literal] of Object.entries(rawMarkers)) text = text.split(JSON.stringify(marker)).join(literal);
      return text;
    },
  };
}

function custom(name: string, code: string, change: (raw: Mutable) => string | void): Row {
  return {
    name,
    code,
    text: () => {
      const raw = JSON.parse(baseText);
      return change(raw) ?? JSON.stringify(raw);
    },
  };
}

/** A key written as `__proto__` in the JSON text: JSON.parse makes it an own property, data like any other. */
const protoMarker = '@@PROTO@@';
const withProto = (raw: Mutable): string => JSON.stringify(raw).split(JSON.stringify(protoMarker)).join('"__proto__"');

const item = (fields: Mutable = {}) => ({ kind: 'drug', lv: '02', selfpay_bp: 1000, cap: null, gend: null, age_min: null, age_max: null, chronic_only: null, ...fields });
const lines = (count: number, amt: number) => Array.from({ length: count }, (_, index) => ({ sn: String(index + 1), code: '001101000010000', qty_milli: 1000, amt }));

const rows: Row[] = [
  // Numbers that are not integers of the right range.
  ...['@@NaN@@', '@@-0@@', '@@1e308@@', '@@-1e308@@', -1, 1.5, '100', null, true, [], {}, 100_000_000_001].map((value) => mutated('', 'person.acct_balance', value)),
  ...['@@-0@@', 10_000_000_001, 0.5, '3600', null].map((value) => mutated('', 'visit.lines.0.amt', value)),
  ...['@@-0@@', 10_000_001, -1, '1000'].map((value) => mutated('', 'visit.lines.0.qty_milli', value)),
  ...[1899, 2201, '2026', 2026.5].map((value) => mutated('', 'person.ytd.year', value)),
  ...['3', 0, 4, 2.5, null].map((value) => mutated('', 'institution.level', value)),
  ...[10_001, -1, '0'].map((value) => mutated('', 'catalogue.items.XC09CAA124A001010100389.selfpay_bp', value)),
  mutated('', 'catalogue.items.XC09CAA124A001010100389.cap', 100_000_001),
  mutated('', 'policy.offsite.referral_cut_bp', 10_001),
  mutated('', 'policy.schemes.310.outpatient.cap', '@@1e308@@'),
  // Missing and null fields (every field shown is required; null is written out, never left out).
  ...['date', 'person', 'institution', 'visit', 'catalogue', 'policy'].map((path) => mutated('', path, undefined)),
  ...['person.psn_no', 'person.filing', 'person.maf_class', 'person.chronic', 'person.ytd', 'person.ytd.acc', 'institution.chronic', 'visit.opsp_dise', 'catalogue.version', 'policy.maf', 'policy.offsite'].map((path) => mutated('', path, undefined)),
  ...['catalogue.items.ZA99000000000.cap', 'catalogue.items.ZA99000000000.chronic_only', 'person.filing.enddate', 'person.filing.fixmedins'].map((path) => mutated('', path, undefined)),
  ...['person.psn_no', 'person.gend', 'person.ytd', 'institution.offsite', 'visit.lines', 'catalogue.items', 'policy.schemes', 'policy.schemes.310', 'policy.schemes.310.outpatient', 'policy.schemes.310.second'].map((path) => mutated('', path, null)),
  // Arrays where objects go, objects where arrays go, wrong scalars.
  ...['person', 'person.ytd.acc', 'catalogue.items', 'policy.maf', 'policy.schemes.310.outpatient.ded', 'policy.schemes.310.outpatient.bands.0.bp'].map((path) => mutated('', path, [])),
  ...['visit.lines', 'person.chronic', 'institution.chronic'].map((path) => mutated('', path, {})),
  ...[['person.gend', 1], ['person.insutype', 310], ['person.psn_type', 'Retired'], ['visit.med_type', 11], ['visit.med_type', '12'], ['person.acct_used', 'true'], ['institution.offsite', 1], ['person.filing.type', 'tourist'], ['person.filing.fixmedins', 'H31010100003'], ['person.filing.fixmedins', [1]]].map(([path, value]) => mutated('', path as string, value)),
  // Dates, area codes, keys.
  ...['2026-02-29', '2026-04-31', '20260402', '2026-4-2', '', '@@1e308@@'].map((value) => mutated('', 'date', value)),
  mutated(' (born after the visit)', 'person.brdy', '2026-04-03'),
  mutated(' (filing ends before it begins)', 'person.filing.enddate', '2024-08-31'),
  ...['001234', '11010', 110105].map((value) => mutated('', 'institution.admdvs', value)),
  mutated('', 'policy.admdvs', '003301'),
  ...['Ded:op', '', 'ded-op', '__proto__'].map((value) => mutated('', 'policy.schemes.310.outpatient.ded_key', value)),
  // Visits.
  mutated(' (a 14 visit needs a disease)', 'visit.med_type', '14'),
  mutated(' (a disease on an 11 visit)', 'visit.opsp_dise', 'hypertension'),
  mutated(' (no lines)', 'visit.lines', []),
  mutated(' (10,001 lines)', 'visit.lines', lines(10_001, 1)),
  mutated(' (Σ amt over 10^11)', 'visit.lines', lines(11, 10_000_000_000)),
  mutated(' (10,000 lines at the limit settle)', 'visit.lines', lines(10_000, 10_000_000), 'ok'),
  custom('duplicate sn', 'invalid_input', (raw) => {
    raw.visit.lines[1].sn = raw.visit.lines[0].sn;
  }),
  custom('a line that is null', 'invalid_input', (raw) => {
    raw.visit.lines[2] = null;
  }),
  // Catalogue items.
  mutated(' (a 01 item with first self-pay)', 'catalogue.items.001101000010000.selfpay_bp', 100),
  ...[['lv', '04'], ['kind', 'food'], ['gend', '3'], ['age_max', 151], ['chronic_only', []], ['chronic_only', ['flu']]].map(([field, value]) => mutated('', `catalogue.items.ZA99000000000.${field}`, value)),
  custom('age_min above age_max', 'invalid_input', (raw) => {
    raw.catalogue.items.ZA99000000000.age_min = 60;
    raw.catalogue.items.ZA99000000000.age_max = 59;
  }),
  custom('an item no line uses is still validated', 'invalid_input', (raw) => {
    raw.catalogue.items.UNUSED = item({ lv: '05' });
  }),
  // Bands and segments.
  mutated(' (no band)', 'policy.schemes.310.outpatient.bands', []),
  mutated(' (first band ends at 0)', 'policy.schemes.310.outpatient.bands', [{ to: 0, bp: { '1': 1, '2': 1, '3': 1 } }]),
  mutated(' (bands not increasing)', 'policy.schemes.310.outpatient.bands', [{ to: 500, bp: { '1': 1, '2': 1, '3': 1 } }, { to: 500, bp: { '1': 1, '2': 1, '3': 1 } }]),
  mutated(' (an unbounded band before the last)', 'policy.schemes.310.outpatient.bands', [{ to: null, bp: { '1': 1, '2': 1, '3': 1 } }, { to: 500, bp: { '1': 1, '2': 1, '3': 1 } }]),
  mutated(' (a level missing from bp)', 'policy.schemes.310.outpatient.bands', [{ to: null, bp: { '1': 1, '3': 1 } }]),
  mutated(' (ded_mode)', 'policy.schemes.310.outpatient.ded_mode', 'month'),
  mutated(' (overlapping segments)', 'policy.schemes.310.second', { segments: [{ from: 0, to: 100, bp: 1 }, { from: 99, to: null, bp: 1 }], cap: 1 }),
  mutated(' (from not below to)', 'policy.schemes.310.second', { segments: [{ from: 100, to: 100, bp: 1 }], cap: 1 }),
  mutated(' (an unbounded segment before the last)', 'policy.schemes.310.second', { segments: [{ from: 0, to: null, bp: 1 }, { from: 100, to: 200, bp: 1 }], cap: 1 }),
  mutated(' (segments with a gap settle)', 'policy.schemes.310.second', { segments: [{ from: 0, to: 100, bp: 1 }, { from: 200, to: null, bp: 1 }], cap: 1 }, 'ok'),
  mutated(' (empty segments settle)', 'policy.schemes.310.second', { segments: [], cap: 0 }, 'ok'),
  mutated(' (a maf class with a bad ratio)', 'policy.maf', { unused_class: { ded: 0, bp: 10_001, cap: 0 } }),
  mutated(' (a present chronic benefit that is null)', 'policy.schemes.310.chronic', { diabetes: null }),
  // Not a case at all.
  ...[[], null, 'case', 42, true].map((value) => ({ name: `the case is ${JSON.stringify(value)}`, code: 'invalid_input', text: () => JSON.stringify(value) })),
  // Hostile keys that are data.
  custom('__proto__ as an accumulator key is refused by the key rule', 'invalid_input', (raw) => {
    raw.person.ytd.acc[protoMarker] = 5;
    return withProto(raw);
  }),
  custom('__proto__ as an item code is a code like any other', 'ok', (raw) => {
    raw.visit.lines[0].code = protoMarker;
    raw.catalogue.items[protoMarker] = item();
    return withProto(raw);
  }),
  custom('__proto__ as an item code with an invalid item is refused', 'invalid_input', (raw) => {
    raw.catalogue.items[protoMarker] = item({ lv: '09' });
    return withProto(raw);
  }),
  custom('__proto__ as a maf class applies that class', 'ok', (raw) => {
    raw.person.maf_class = protoMarker;
    raw.policy.maf[protoMarker] = { ded: 0, bp: 10_000, cap: 100_000_000 };
    return withProto(raw);
  }),
  custom('extra keys in ded and bp maps are ignored (§2 names them)', 'ok', (raw) => {
    raw.policy.schemes['310'].outpatient.ded['4'] = 'x';
    raw.policy.schemes['310'].outpatient.ded[protoMarker] = { x: 1 };
    raw.policy.schemes['310'].outpatient.bands[0].bp.extra = -1;
    return withProto(raw);
  }),
  custom('a schemes key other than an insutype is refused (only ded and bp maps may carry extra keys)', 'invalid_input', (raw) => {
    raw.policy.schemes['999'] = raw.policy.schemes['310'];
  }),
  custom('a schemes key __proto__ is refused like any other non-insutype', 'invalid_input', (raw) => {
    raw.policy.schemes[protoMarker] = raw.policy.schemes['310'];
    return withProto(raw);
  }),
  custom('a schemes key constructor is refused', 'invalid_input', (raw) => {
    raw.policy.schemes.constructor = null;
  }),
  custom('a chronic key that is not a disease is refused (DISEASE is an enum)', 'invalid_input', (raw) => {
    raw.policy.schemes['310'].chronic = { flu: null };
  }),
  custom('a chronic key __proto__ is refused like any other non-disease', 'invalid_input', (raw) => {
    raw.policy.schemes['310'].chronic = { [protoMarker]: raw.policy.schemes['310'].outpatient };
    return withProto(raw);
  }),
  custom('constructor as an accumulator key reads its own value', 'ok', (raw) => {
    raw.policy.schemes['310'].outpatient.cap_key = 'constructor';
    raw.person.ytd.acc = { constructor: 1 };
  }),
];

test('every hostile row gets its refusal through the function, and nothing throws', () => {
  for (const row of rows) {
    let raw: unknown;
    try {
      raw = JSON.parse(row.text());
    } catch {
      // Text that is not JSON (NaN) is given to the function as the value it stands for.
      raw = JSON.parse(row.text().replace(/\bNaN\b/g, '"@@NaN@@"'), (_key, value) => (value === '@@NaN@@' ? functionValues[value] : value));
    }
    let output;
    try {
      output = settleCase(raw);
    } catch (error) {
      assert.unreachable(`${row.name} threw ${String(error)}`);
      return;
    }
    assert.is(output.ok ? 'ok' : output.error.code, row.code, row.name);
  }
});

test('values no JSON can carry (NaN, Infinity, undefined, functions) are invalid_input through the function', () => {
  for (const value of [Number.NaN, Number.POSITIVE_INFINITY, undefined, () => 1, Symbol('x'), 10n]) {
    const raw = JSON.parse(baseText);
    raw.person.acct_balance = value;
    const output = settleCase(raw);
    assert.equal(output, { ok: false, error: { code: 'invalid_input' } }, String(typeof value));
  }
});

test('the same table through the CLI in one --jsonl run: one output per line, in order', () => {
  const input = `${rows.map((row) => row.text()).join('\n')}\n`;
  const result = runTerminal(['settle', '--jsonl'], { input });
  assert.is(result.code, 0, result.stderr);
  const outputs = result.stdout.trimEnd().split('\n').map((line) => JSON.parse(line));
  assert.is(outputs.length, rows.length);
  rows.forEach((row, index) => {
    const output = outputs[index];
    assert.is(output.ok ? 'ok' : output.error.code, row.cliCode ?? row.code, row.name);
  });
});

test('lines that are not JSON yield invalid_json and the run goes on', () => {
  const input = ['{', 'not json', '', '   ', '[1,2', baseText, '\u00ff\u00fe'].join('\n');
  const result = runTerminal(['settle', '--jsonl'], { input });
  assert.is(result.code, 0);
  const codes = result.stdout.trimEnd().split('\n').map((line) => {
    const output = JSON.parse(line);
    return output.ok ? 'ok' : output.error.code;
  });
  assert.equal(codes, ['invalid_json', 'invalid_json', 'invalid_json', 'invalid_json', 'invalid_json', 'ok', 'invalid_json']);
});

test('__proto__ as data: the item is found and the maf class pays', () => {
  const raw = JSON.parse(baseText);
  raw.visit.lines[0].code = protoMarker;
  raw.catalogue.items[protoMarker] = item({ lv: '03' });
  raw.person.maf_class = protoMarker;
  raw.policy.maf[protoMarker] = { ded: 0, bp: 10_000, cap: 100_000_000 };
  const output = settleCase(JSON.parse(withProto(raw)));
  assert.ok(output.ok);
  assert.is(output.lines[0]?.chrgitm_lv, '03', 'the __proto__ item was read');
  assert.ok(output.setlinfo.maf_pay > 0, 'the __proto__ class paid');
  assert.is(output.acc_delta['maf:paid'], output.setlinfo.maf_pay);
});

test('nothing above touched Object.prototype', () => {
  assert.is(({} as Mutable).x, undefined);
  assert.is(({} as Mutable).kind, undefined);
  assert.is(({} as Mutable).ded, undefined);
  assert.is(Object.getPrototypeOf({}), Object.prototype);
  assert.equal(Object.keys(Object.prototype), []);
});

test('CLI usage errors: --jsonl with a file, an unreadable file, an unknown flag', () => {
  assert.is(runTerminal(['settle', '--jsonl', 'x.json']).code, 2);
  const missing = runTerminal(['settle', '/nonexistent/case.json']);
  assert.is(missing.code, 2);
  assert.match(missing.stderr, /cannot read \/nonexistent\/case\.json: ENOENT/);
  assert.is(runTerminal(['settle', '--fast']).code, 2);
  assert.is(runTerminal(['settle'], { input: 'nope' }).stdout, '{"ok":false,"error":{"code":"invalid_json"}}\n');
});

test.run();

// The worked settlement cases, test/fixtures/cases (the rules they follow: docs/settlement.md).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from './cli';

export interface WorkedCase {
  readonly name: string;
  readonly story: string;
  readonly case: Record<string, unknown>;
  readonly expected: Record<string, unknown>;
}

export const casesDir = path.join(projectRoot, 'test', 'fixtures', 'cases');

export function workedCases(): WorkedCase[] {
  return readdirSync(casesDir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => ({ name, ...JSON.parse(readFileSync(path.join(casesDir, name), 'utf8')) }));
}

/** The keys of every object in a JSON value, in order, as one list (to compare key order). */
export function keyOrder(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((item, index) => keyOrder(item, `${prefix}[${index}]`));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => [`${prefix}.${key}`, ...keyOrder(child, `${prefix}.${key}`)]);
}

// The table of national transactions as README.md prints it (section
// "Gateway to the national interface"), rendered from fields.ts so the two
// cannot drift: test/unit/gateway-fields.test.ts finds this text in the README.
import { transactions, type FieldSpec, type GroupSpec } from './fields';

function typeOf(field: FieldSpec): string {
  if (field.type === 'amount') return 'yuan 16,2';
  if (field.type === 'decimal') return `decimal ${field.length},${field.places}`;
  if (field.type === 'text') return `text ${field.length}`;
  return `${field.type} ${field.length}`;
}

function groupLine(group: GroupSpec): string {
  const fields = group.fields.map((field) => `${field.required ? '**' : ''}${field.name}${field.required ? '**' : ''} (${typeOf(field)})`).join(', ');
  const shape = group.itemsMax === null ? group.name : `${group.name}[≤${group.itemsMax}]`;
  return `\`${shape}\`: ${fields}`;
}

/** One row per transaction: infno, name, input blocks, output blocks; required fields in bold. */
export function fieldTableMarkdown(): string {
  const rows = transactions.map((spec) => {
    const input = spec.input.map(groupLine).join('<br>');
    const output = spec.output.length === 0 ? '(none)' : spec.output.map(groupLine).join('<br>');
    return `| ${spec.infno} | ${spec.label} | ${input} | ${output} |`;
  });
  return ['| infno | transaction | input | output |', '|---|---|---|---|', ...rows].join('\n');
}

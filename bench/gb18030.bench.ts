// GB18030 for the printer: the two options the devices issue names, measured
// side by side. Ours (device/gb18030.ts) inverts the runtime's own
// TextDecoder('gb18030') once, lazily; iconv-lite ships code tables. Timed:
// encoding a receipt's text once the encoder is ready, against Buffer.from
// (UTF-8, native) as the baseline. Figures: minified bundle bytes of each
// (what it would add to the firmware), cold cost of the first encode in a
// fresh process (load + table), and code points where the two disagree.
import assert from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as esbuild from 'esbuild';
import iconv from 'iconv-lite';
import { Gb18030Encoder } from '../device/gb18030';
import type { Benchmark } from './harness';

const root = process.cwd();
const receiptText = [
  '异地就医结算单',
  '姓名: 张三  参保地: 110000 北京市',
  '就医地: 440300 深圳市人民医院',
  '阿莫西林胶囊 0.25g×24 ¥12.50',
  '统筹基金支付: ¥1,234.56 个人账户: ¥100.00 个人自付: ¥78.90',
  '大病保险 医疗救助 一站式结算 请妥善保管本凭证',
].join('\n').repeat(8);

const ours = new Gb18030Encoder();
ours.prepare();

const entries = {
  ours: `const { Gb18030Encoder } = require(${JSON.stringify(path.join(root, 'device/gb18030.ts'))}); const e = new Gb18030Encoder(); module.exports = (s) => e.encode(s);`,
  'iconv-lite': `const iconv = require('iconv-lite'); module.exports = (s) => iconv.encode(s, 'gb18030');`,
};

async function bundle(source: string): Promise<string> {
  const result = await esbuild.build({
    stdin: { contents: source, resolveDir: root, loader: 'ts' },
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    write: false,
    logLevel: 'error',
  });
  return (result.outputFiles[0] as { text: string }).text;
}

/** Median ms from process start of the script to the end of its first encode, in fresh processes. */
function coldFirstEncodeMs(file: string): number {
  const runs: number[] = [];
  const script = `const t0 = process.hrtime.bigint(); const encode = require(${JSON.stringify(file)}); encode(${JSON.stringify(receiptText)}); process.stdout.write(String(Number(process.hrtime.bigint() - t0) / 1e6));`;
  for (let i = 0; i < 7; i += 1) {
    const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    runs.push(Number(result.stdout));
  }
  return runs.sort((a, b) => a - b)[3] as number;
}

const benchmark: Benchmark = {
  name: 'gb18030',
  title: 'GB18030 encoding of a receipt: inverted TextDecoder vs iconv-lite (baseline: Buffer.from UTF-8)',
  baseline: { name: 'Buffer.from utf8', run: () => Buffer.from(receiptText, 'utf8') },
  contenders: [
    { name: 'ours (inverted TextDecoder)', run: () => ours.encode(receiptText) },
    { name: 'iconv-lite', run: () => iconv.encode(receiptText, 'gb18030') },
  ],
  check() {
    const a = Buffer.from(ours.encode(receiptText));
    const b = iconv.encode(receiptText, 'gb18030');
    assert.equal(a.toString('hex'), b.toString('hex'), 'both encode the receipt identically');
    assert.equal(new TextDecoder('gb18030').decode(a), receiptText, 'and it decodes back');
  },
  async figures() {
    const dir = mkdtempSync(path.join(tmpdir(), 'gb18030-bench-'));
    try {
      const figures: Record<string, number> = {};
      for (const [name, source] of Object.entries(entries)) {
        const code = await bundle(source);
        const file = path.join(dir, `${name}.js`);
        writeFileSync(file, code);
        figures[`${name}: minified bundle bytes`] = Buffer.byteLength(code);
        figures[`${name}: cold first encode ms (median of 7 fresh processes)`] = Number(coldFirstEncodeMs(file).toFixed(2));
      }
      const empty = path.join(dir, 'empty.js');
      writeFileSync(empty, 'module.exports = () => {};');
      figures['nothing: cold first encode ms (require of an empty module)'] = Number(coldFirstEncodeMs(empty).toFixed(2));
      let differ = 0;
      for (let unit = 0x80; unit < 0x10000; unit += 1) {
        if (unit >= 0xd800 && unit <= 0xdfff) continue;
        const text = String.fromCharCode(unit);
        if (Buffer.compare(Buffer.from(ours.encode(text)), iconv.encode(text, 'gb18030')) !== 0) differ += 1;
      }
      figures['BMP code points the two encode differently'] = differ;
      return figures;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default benchmark;

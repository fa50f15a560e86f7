#!/usr/bin/env node
// `npm test`: builds what ships, type-checks, then runs every tier of uvu
// suites (unit, property, vectors, fault, hil, browser), each test file in its own
// process, and ends with the plain line `N passed, N failed, N skipped`.
//
// usage: node test/run.mjs [--tier NAME[,NAME]] [--no-build] [--no-typecheck] [--verbose] [FILTER...]
//   FILTER keeps the test files whose path contains it.
// env:   CI=true makes a missing socat (hil) or Chromium (browser) a failure of the tier instead of a skip.
import { bundleForNode } from '../build.mjs';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tiers = ['unit', 'property', 'vectors', 'fault', 'hil', 'browser'];
/** Tiers whose files run one at a time: they time real serial lines, or drive a browser. */
const serialTiers = new Set(['hil', 'browser']);
/** Debian's Chromium, as the browser tier drives it (test/helpers/browser.ts). */
const chromiumPath = '/usr/bin/chromium';
const fileTimeoutMs = Number(process.env.TEST_FILE_TIMEOUT_MS ?? 300_000);
const outRoot = path.join(root, '.build', 'test');

function usage(message) {
  console.error(`test: ${message}`);
  console.error('usage: node test/run.mjs [--tier NAME[,NAME]] [--no-build] [--no-typecheck] [--verbose] [FILTER...]');
  process.exit(2);
}

function options() {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        tier: { type: 'string' },
        'no-build': { type: 'boolean' },
        'no-typecheck': { type: 'boolean' },
        verbose: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    usage(error.message);
  }
  const chosen = parsed.values.tier === undefined ? tiers : parsed.values.tier.split(',');
  for (const tier of chosen) if (!tiers.includes(tier)) usage(`unknown tier '${tier}' (tiers: ${tiers.join(', ')})`);
  return {
    tiers: chosen,
    build: !parsed.values['no-build'],
    typecheck: !parsed.values['no-typecheck'],
    verbose: Boolean(parsed.values.verbose),
    filters: parsed.positionals,
  };
}

function findTests(dir) {
  if (!existsSync(dir)) return [];
  const found = [];
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) found.push(...findTests(full));
    else if (name.endsWith('.test.ts')) found.push(full);
  }
  return found;
}

/** socat on PATH, as the hil tier needs it. */
export function socatOnPath() {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir && existsSync(path.join(dir, 'socat')));
}

/** Reads uvu's closing summary from a file's output. */
function parseSummary(output) {
  const total = /Total:\s+(\d+)/.exec(output);
  const passed = /Passed:\s+(\d+)/.exec(output);
  const skipped = /Skipped:\s+(\d+)/.exec(output);
  if (!total || !passed || !skipped) return null;
  return { total: Number(total[1]), passed: Number(passed[1]), skipped: Number(skipped[1]) };
}

function runFile(file, env) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--enable-source-maps', file], {
      cwd: root,
      env: { ...process.env, ...env, FORCE_COLOR: '0', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => {
      output += `\n[test runner] killed after ${fileTimeoutMs} ms\n`;
      child.kill('SIGKILL');
    }, fileTimeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ file, code, signal, output, ms: Date.now() - started });
    });
  });
}

async function runPool(files, concurrency, env, onDone) {
  const queue = [...files];
  const workers = Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
    while (queue.length > 0) onDone(await runFile(queue.shift(), env));
  });
  await Promise.all(workers);
}

async function main() {
  const opts = options();
  const counts = { passed: 0, failed: 0, skipped: 0 };
  const failures = [];

  if (opts.build) {
    const result = spawnSync(process.execPath, [path.join(root, 'build.mjs')], { cwd: root, stdio: 'inherit' });
    if (result.status !== 0) {
      console.log('build failed');
      console.log('0 passed, 1 failed');
      process.exit(1);
    }
  }
  if (opts.typecheck) {
    const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json')], { cwd: root, encoding: 'utf8' });
    if (result.status === 0) {
      counts.passed += 1;
      console.log('typecheck: ok');
    } else {
      counts.failed += 1;
      failures.push('typecheck');
      console.log(`typecheck: failed\n${result.stdout}${result.stderr}`);
    }
  }

  const byTier = new Map();
  for (const tier of opts.tiers) {
    const files = findTests(path.join(root, 'test', tier)).filter(
      (file) => opts.filters.length === 0 || opts.filters.some((filter) => file.includes(filter)),
    );
    byTier.set(tier, files);
  }
  const entryPoints = [...byTier.values()].flat();
  rmSync(outRoot, { recursive: true, force: true });
  if (entryPoints.length > 0) {
    await bundleForNode({
      entryPoints,
      outbase: path.join(root, 'test'),
      outdir: outRoot,
    });
  }

  const socat = socatOnPath();
  const ci = process.env.CI === 'true';
  for (const [tier, files] of byTier) {
    if (files.length === 0) continue;
    const env = { TEST_TIER: tier };
    if (tier === 'hil' && !socat) {
      if (ci) {
        counts.failed += 1;
        failures.push('hil: socat is required when CI=true (apt-get install socat)');
        console.log('hil: socat not found, and CI=true requires it: failed');
        continue;
      }
      console.log("hil: socat not found; install it with 'sudo apt-get install socat' to run these tests (counted as skipped)");
      env.HIL_SOCAT = 'absent';
    }
    if (tier === 'browser' && !existsSync(chromiumPath)) {
      if (ci) {
        counts.failed += 1;
        failures.push(`browser: ${chromiumPath} is required when CI=true (apt-get install chromium)`);
        console.log('browser: chromium not found, and CI=true requires it: failed');
        continue;
      }
      console.log("browser: chromium not found; install it with 'sudo apt-get install chromium' to run these tests (counted as skipped)");
      env.BROWSER_CHROMIUM = 'absent';
    }
    const compiled = files.map((file) => path.join(outRoot, path.relative(path.join(root, 'test'), file)).replace(/\.ts$/, '.js'));
    const concurrency = serialTiers.has(tier) ? 1 : Math.max(1, Math.min(2, availableParallelism()));
    await runPool(compiled, concurrency, env, (result) => {
      const name = path.relative(outRoot, result.file).replace(/\.js$/, '');
      const summary = parseSummary(result.output);
      const seconds = (result.ms / 1000).toFixed(1);
      if (summary === null || result.code !== 0) {
        const passed = summary?.passed ?? 0;
        const failed = summary ? Math.max(1, summary.total - summary.passed) : 1;
        counts.passed += passed;
        counts.failed += failed;
        counts.skipped += summary?.skipped ?? 0;
        failures.push(name);
        console.log(`FAIL ${name} (${seconds} s, exit ${result.code ?? result.signal})\n${result.output.trimEnd()}\n`);
        return;
      }
      counts.passed += summary.passed;
      counts.failed += summary.total - summary.passed;
      counts.skipped += summary.skipped;
      const skipped = summary.skipped > 0 ? `, ${summary.skipped} skipped` : '';
      console.log(`ok   ${name} (${summary.passed} passed${skipped}, ${seconds} s)`);
      if (opts.verbose) console.log(result.output.trimEnd());
    });
  }

  if (failures.length > 0) console.log(`\nfailed: ${failures.join(', ')}`);
  const skipped = counts.skipped > 0 ? `, ${counts.skipped} skipped` : '';
  console.log(`${counts.passed} passed, ${counts.failed} failed${skipped}`);
  process.exitCode = counts.failed > 0 ? 1 : 0;
}

main().catch((error) => {
  console.error(error);
  console.log('0 passed, 1 failed');
  process.exitCode = 1;
});

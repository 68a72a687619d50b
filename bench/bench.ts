/**
 * `npm run bench`: Lighter against the tools people use today, on one machine, in one run.
 * A random multi-layer image (incompressible) is pushed to a throwaway registry; then
 * registry → docker-archive (lighter copy vs skopeo copy), archive → engine (vs docker load; an
 * archive with gzip layers and one written by docker save) and
 * engine → archive (vs docker save) are timed, with the lighter process's peak memory.
 * BENCH_ONLY=registry,load,save picks steps; BENCH_RUNS=N (3) alternates N runs per tool, median wins;
 * BENCH_KEEP=1 keeps the engine, registry and archives until Enter is pressed, for profiling by hand.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEngine } from '../test/support/engine';
import { startRegistry } from '../test/support/registry';
import { pushBenchImage } from './image';
import { measure, type Measured } from './measure';

const layers = Number(process.env.BENCH_LAYERS ?? 6);
const layerSize = Number(process.env.BENCH_LAYER_MB ?? 96) * 1024 * 1024;
const cli = fileURLToPath(new URL('../cli/lighter.js', import.meta.url));
const mb = (bytes: number) => bytes / 1e6;

interface Row {
  step: string;
  lighter: Measured;
  other: Measured;
  otherName: string;
  bytes: number;
  target: number;
}

async function readAll(dir: string): Promise<void> {
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    for await (const _ of createReadStream(join(entry.parentPath, entry.name), { highWaterMark: 4 << 20 }));
  }
}

function report(rows: Row[]): void {
  console.log('\nstep                      tool          seconds    MB/s   ratio  lighter peak MB  target');
  for (const r of rows) {
    const ratio = r.lighter.seconds / r.other.seconds;
    const line = (tool: string, m: Measured, extra: string) =>
      `${r.step.padEnd(26)}${tool.padEnd(12)}${m.seconds.toFixed(2).padStart(9)}${(mb(r.bytes) / m.seconds).toFixed(0).padStart(8)}${extra}`;
    console.log(line(r.otherName, r.other, ''));
    const ok = ratio <= r.target && r.lighter.peakBytes < 300e6;
    console.log(line('lighter', r.lighter, `${ratio.toFixed(2).padStart(8)}${mb(r.lighter.peakBytes).toFixed(0).padStart(17)}  ≤${r.target}× ${ok ? 'met' : 'MISSED'}`));
  }
}

/** Steps to run (BENCH_ONLY=registry,load,save); all by default. */
const only = new Set((process.env.BENCH_ONLY ?? 'registry,load,save').split(',').map((s) => s.trim()));
/** Each tool runs this many times, alternating with the other; the median counts. */
const runs = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));

function median(samples: Measured[]): Measured {
  const sorted = [...samples].sort((a, b) => a.seconds - b.seconds);
  const middle = sorted[Math.floor(sorted.length / 2)];
  return { ...middle, peakBytes: Math.max(...samples.map((m) => m.peakBytes)) };
}

/** `reset`, then the disk written back: one run's write-back must not slow the next one down. */
async function settle(reset: () => Promise<void> | void): Promise<void> {
  await reset();
  spawnSync('sync');
}

/** Runs `other` and `lighter` alternately `runs` times (who goes first alternating too), settling before each run. */
async function compare(other: () => Promise<Measured>, lighter: () => Promise<Measured>, reset: () => Promise<void> | void) {
  const o: Measured[] = [];
  const l: Measured[] = [];
  for (let i = 0; i < runs; i++) {
    const pair = i % 2 === 0 ? [other, lighter] : [lighter, other];
    for (const run of pair) {
      await settle(reset);
      (run === other ? o : l).push(await run());
    }
  }
  await reset();
  const seconds = (m: Measured[]) => m.map((x) => x.seconds.toFixed(2)).join(' ');
  console.log(`  runs: other ${seconds(o)} | lighter ${seconds(l)}`);
  return { other: median(o), lighter: median(l), lighterRuns: l };
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'lighter-bench-'));
  const engine = await startEngine({ own: true });
  const registry = await startRegistry();
  try {
    const lighterEnv = { PATH: process.env.PATH, HOME: work, DOCKER_HOST: engine.host, LIGHTER_STORE: join(work, 'store') };
    const plainEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
    const lighter = (...args: string[]) => measure(process.execPath, [cli, ...args], lighterEnv);
    const dockerCli = (...args: string[]) => measure('docker', args, engine.env);
    const ref = `${registry.host}/bench/big:1`;
    const name = 'bench/big:1';
    const remove = (path: string) => rmSync(path, { force: true });

    console.log(`generating ${layers} random layers of ${layerSize >> 20} MiB and pushing them to ${registry.host}…`);
    const pushed = await pushBenchImage(ref, work, layers, layerSize);
    for (const f of readdirSync(work)) if (f.startsWith('layer-')) rmSync(join(work, f));
    await readAll(registry.dir); // both tools then read the registry from the page cache
    console.log(`image: ${layers} layers, ${mb(pushed.bytes).toFixed(0)} MB compressed (random data), manifest ${pushed.digest}; ${runs} run(s) each, median`);
    const rows: Row[] = [];

    const skopeoTar = join(work, 'skopeo.tar');
    const lighterTar = join(work, 'lighter.tar');
    if (only.has('registry')) {
      const r = await compare(
        () => measure('skopeo', ['copy', '-q', '--insecure-policy', '--src-tls-verify=false', `docker://${ref}`, `docker-archive:${skopeoTar}:${name}`], plainEnv),
        () => lighter('copy', `docker://${ref}`, `docker-archive:${lighterTar}:${name}`),
        () => [skopeoTar, lighterTar].forEach(remove),
      );
      for (const run of r.lighterRuns) if (run.stdout.trim() !== pushed.digest) throw new Error(`lighter copied ${run.stdout.trim()}, expected ${pushed.digest}`);
      rows.push({ step: 'registry → docker-archive', lighter: r.lighter, other: r.other, otherName: 'skopeo', bytes: pushed.bytes, target: 0.5 });
    }

    if (only.has('load') || only.has('save')) {
      await lighter('copy', `docker://${ref}`, `docker-archive:${lighterTar}:${name}`);
    }
    if (only.has('load')) {
      // Two archives people load: one as Lighter (or skopeo with OCI) writes it from a registry,
      // layers still gzip, and one as `docker save` writes it, layers plain tar.
      const savedTar = join(work, 'docker-saved.tar');
      await dockerCli('load', '-q', '-i', lighterTar);
      await dockerCli('save', '-o', savedTar, name);
      const removeImage = async () => {
        await dockerCli('image', 'rm', '-f', name).catch(() => undefined);
      };
      for (const [archive, step] of [
        [lighterTar, 'archive → engine (gzip)'],
        [savedTar, 'archive → engine (plain)'],
      ]) {
        const r = await compare(
          () => dockerCli('load', '-q', '-i', archive),
          () => lighter('copy', `docker-archive:${archive}`, `docker-daemon:${name}`),
          removeImage,
        );
        rows.push({ step, lighter: r.lighter, other: r.other, otherName: 'docker load', bytes: statSync(archive).size, target: 1.1 });
      }
      remove(savedTar);
    }

    if (only.has('save')) {
      await dockerCli('load', '-q', '-i', lighterTar);
      const dockerTar = join(work, 'docker.tar');
      const lighterSave = join(work, 'lighter-save.tar');
      await dockerCli('save', '-o', join(work, 'warm.tar'), name); // warms the engine's layer files for both
      remove(join(work, 'warm.tar'));
      let bytes = 0;
      const r = await compare(
        async () => {
          const m = await dockerCli('save', '-o', dockerTar, name);
          bytes = statSync(dockerTar).size;
          return m;
        },
        () => lighter('copy', `docker-daemon:${name}`, `docker-archive:${lighterSave}`),
        () => [dockerTar, lighterSave].forEach(remove),
      );
      rows.push({ step: 'engine → docker-archive', lighter: r.lighter, other: r.other, otherName: 'docker save', bytes, target: 1.1 });
    }
    report(rows);
    if (process.env.BENCH_KEEP) {
      // For profiling by hand: the engine, the registry and the archives stay until Enter.
      console.log(`kept: DOCKER_HOST=${engine.host} registry ${registry.host} work ${work}; press Enter to clean up`);
      await new Promise((resolve) => process.stdin.once('data', resolve).once('end', resolve));
    }
    remove(lighterTar);
  } finally {
    await registry.stop();
    await engine.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});

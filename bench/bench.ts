/**
 * `npm run bench`: Lighter against the tools people use today, on one machine, in one run.
 * A random multi-layer image (incompressible) is pushed to a throwaway registry; then
 * registry → docker-archive (lighter copy vs skopeo copy), archive → engine (vs docker load) and
 * engine → archive (vs docker save) are timed, with the lighter process's peak memory.
 */
import { createReadStream, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { docker, startEngine } from '../test/support/engine';
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

    console.log(`generating ${layers} random layers of ${layerSize >> 20} MiB and pushing them to ${registry.host}…`);
    const pushed = await pushBenchImage(ref, work, layers, layerSize);
    for (const f of readdirSync(work)) if (f.startsWith('layer-')) rmSync(join(work, f));
    await readAll(registry.dir); // both tools then read the registry from the page cache
    const rows: Row[] = [];

    const skopeoTar = join(work, 'skopeo.tar');
    const lighterTar = join(work, 'lighter.tar');
    const skopeo = await measure('skopeo', ['copy', '-q', '--insecure-policy', '--src-tls-verify=false', `docker://${ref}`, `docker-archive:${skopeoTar}:${name}`], plainEnv);
    rmSync(skopeoTar);
    const copied = await lighter('copy', `docker://${ref}`, `docker-archive:${lighterTar}:${name}`);
    if (copied.stdout.trim() !== pushed.digest) throw new Error(`lighter copied ${copied.stdout.trim()}, expected ${pushed.digest}`);
    rows.push({ step: 'registry → docker-archive', lighter: copied, other: skopeo, otherName: 'skopeo', bytes: pushed.bytes, target: 0.5 });

    const load = await dockerCli('load', '-q', '-i', lighterTar);
    await docker(engine.env, 'rmi', name);
    const lighterLoad = await lighter('copy', `docker-archive:${lighterTar}`, `docker-daemon:${name}`);
    rows.push({ step: 'archive → engine', lighter: lighterLoad, other: load, otherName: 'docker load', bytes: statSync(lighterTar).size, target: 1.1 });
    rmSync(lighterTar);

    const dockerTar = join(work, 'docker.tar');
    await dockerCli('save', '-o', join(work, 'warm.tar'), name); // warms the engine's layer files for both
    rmSync(join(work, 'warm.tar'));
    const save = await dockerCli('save', '-o', dockerTar, name);
    const lighterSave = await lighter('copy', `docker-daemon:${name}`, `docker-archive:${join(work, 'lighter-save.tar')}`);
    rows.push({ step: 'engine → docker-archive', lighter: lighterSave, other: save, otherName: 'docker save', bytes: statSync(dockerTar).size, target: 1.1 });

    console.log(`image: ${layers} layers, ${mb(pushed.bytes).toFixed(0)} MB compressed (random data), manifest ${pushed.digest}`);
    report(rows);
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

// Bundles the benchmark for plain Node, like scripts/build-cli.mjs does for the CLI.
import { build } from 'esbuild';

await build({
  entryPoints: { bench: 'bench/bench.ts' },
  outdir: 'out/bench',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  sourcemap: true,
  define: { __LIGHTER_VERSION__: '"bench"' },
  logLevel: 'warning',
});

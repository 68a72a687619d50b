// Bundles the `lighter` CLI for plain Node (and, with --bench, the benchmark). Dependencies stay external:
// dockerode loads files relative to its own folder.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  sourcemap: true,
  define: { __LIGHTER_VERSION__: JSON.stringify(version) },
  logLevel: 'warning',
};

await build({
  ...common,
  entryPoints: { lighter: 'src-main/cli/lighter.ts' },
  outdir: 'out/cli',
  banner: { js: '#!/usr/bin/env node' },
});

if (process.argv.includes('--bench')) {
  await build({
    ...common,
    entryPoints: { bench: 'bench/bench.ts' },
    outdir: 'out/bench',
    define: { __LIGHTER_VERSION__: JSON.stringify(`${version} bench`) },
  });
}

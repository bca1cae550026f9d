// Builds dist/: ESM (.js) and CJS (.cjs) bundles per public entry point, plus .d.ts from tsc.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';

const entryPoints = ['src/index.ts', 'src/packet/index.ts'];
const common = { entryPoints, bundle: true, platform: 'neutral', target: 'es2022', sourcemap: true, outbase: 'src', logLevel: 'warning' };

rmSync('dist', { recursive: true, force: true });
await Promise.all([
  build({ ...common, format: 'esm', outdir: 'dist/esm', splitting: true, external: ['node:*'] }),
  build({ ...common, format: 'cjs', outdir: 'dist/cjs', outExtension: { '.js': '.cjs' }, external: ['node:*'] }),
]);
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });

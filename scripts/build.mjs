// Builds dist/ one output file per source module, so bundlers tree-shake:
//   dist/esm      ES modules for Node (TCP, TLS, WebSocket)
//   dist/cjs      CommonJS for Node (.cjs)
//   dist/browser  ES modules for browsers: each X.browser.ts stands in for X.ts (the transport
//                 platform: WebSocket only, so no Node built-in is ever referenced; the client's
//                 scheduler: timers in a worker, out of reach of background-tab throttling)
//   dist/types    .d.ts from tsc (stripInternal)
// src/cli (the `impmqtt` command) is Node-only ES modules: dist/esm/cli, its bin made executable.
// package.json's export conditions pick the right one ("browser" / "node" / "default").
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const BROWSER = '.browser.ts';
/** Modules only the Node build uses: the browser build does not ship them. */
const NODE_ONLY = ['transport/node-socket', 'transport/ws-node', 'transport/ws-frames', 'transport/ws-handshake'];
/** Whole folders that only run on Node (an HTTP server): no browser build at all. */
const NODE_ONLY_FOLDERS = ['api/gateway'];

function sources(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function outputs(dir, extension) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? outputs(path, extension) : path.endsWith(extension) ? [path] : [];
  });
}

const CLI = 'src/cli/';
const BIN = 'dist/esm/cli/bin.js';
const cli = sources('src').filter((f) => f.startsWith(CLI));
const all = sources('src').filter((f) => !f.startsWith(CLI));
const common = { bundle: false, platform: 'neutral', target: 'es2022', outbase: 'src', logLevel: 'warning', sourcemap: true };

rmSync('dist', { recursive: true, force: true });
await Promise.all([
  build({ ...common, entryPoints: [...all.filter((f) => !f.endsWith(BROWSER)), ...cli], format: 'esm', outdir: 'dist/esm' }),
  build({ ...common, entryPoints: all.filter((f) => !f.endsWith(BROWSER)), format: 'cjs', outdir: 'dist/cjs', outExtension: { '.js': '.cjs' } }),
  build({ ...common, entryPoints: all, format: 'esm', outdir: 'dist/browser' }),
]);

const browserVariants = all.filter((f) => f.endsWith(BROWSER)).map((f) => f.slice('src/'.length, -BROWSER.length));
for (const module of browserVariants) {
  for (const extension of ['.js', '.js.map']) renameSync(`dist/browser/${module}.browser${extension}`, `dist/browser/${module}${extension}`);
}
for (const module of NODE_ONLY) {
  for (const extension of ['.js', '.js.map']) rmSync(`dist/browser/${module}${extension}`);
}

for (const folder of NODE_ONLY_FOLDERS) rmSync(`dist/browser/${folder}`, { recursive: true, force: true });
chmodSync(BIN, 0o755);

// CommonJS modules require their siblings by the .cjs name they were written under.
for (const file of outputs('dist/cjs', '.cjs')) {
  const code = readFileSync(file, 'utf8');
  writeFileSync(file, code.replace(/require\("(\.{1,2}\/[^"]+)\.js"\)/g, 'require("$1.cjs")'));
}

// --no-types: the JavaScript only (npm start needs nothing else; the declarations take most of the time).
if (!process.argv.includes('--no-types')) {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  for (const module of browserVariants) rmSync(`dist/types/${module}.browser.d.ts`);
}

// Builds dist/ one output file per source module, so bundlers tree-shake:
//   dist/esm      ES modules for Node (TCP, TLS, WebSocket)
//   dist/cjs      CommonJS for Node (.cjs)
//   dist/browser  ES modules for browsers: each X.browser.ts stands in for X.ts (the transport
//                 platform: WebSocket only, so no Node built-in is ever referenced; the client's
//                 scheduler: timers in a worker, out of reach of background-tab throttling)
//   dist/node     ES modules for Node's own `import`: each public entry bundled, the code they
//                 share in common chunks (so a class is one class whichever subpath imports it).
//                 Node loads ESM module by module; a hundred small files cost ~100 ms to import
//                 on a slow machine, a few bundled ones ~15 ms. Bundlers keep the per-module build.
//   dist/types    .d.ts from tsc (stripInternal)
// The `impmqtt` command (src/cli) is Node-only: its bin, dist/node/cli/bin.js, is made executable.
// package.json's export conditions pick the right one ("browser" / "node" / "default").
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const BROWSER = '.browser.ts';
/** Modules only the Node build uses: the browser build does not ship them. */
const NODE_ONLY = ['transport/node-socket', 'transport/ws-node', 'transport/ws-frames', 'transport/ws-handshake'];
/** Whole folders that only run on Node (an HTTP server, a file store, the command line): no browser build at all. */
const NODE_ONLY_FOLDERS = ['api/gateway', 'store', 'cli'];
const BIN = 'dist/node/cli/bin.js';
/** What package.json exports under the "node" condition, and the command. */
const NODE_ENTRIES = ['index', 'packet/index', 'session/index', 'api/imp/index', 'api/async/index', 'api/queue/index', 'api/gateway/index', 'store/index', 'cli/bin'].map((entry) => `src/${entry}.ts`);

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

/**
 * Internal members shared between the package's own classes (fields and methods no user reaches,
 * where #private cannot serve) end in '_'; a browser bundle carries them as short names.
 */
const MANGLED = /_$/;

const all = sources('src');
const common = { bundle: false, platform: 'neutral', target: 'es2022', outbase: 'src', logLevel: 'warning', sourcemap: true };

// A build of separate modules names each module's mangled members on its own; one bundled pass
// over every module finds names that agree across them and collide with nothing, for it to reuse.
const { mangleCache } = await build({
  entryPoints: all,
  bundle: true,
  platform: 'neutral',
  external: ['node:*'],
  outdir: 'dist/unused',
  write: false,
  logLevel: 'warning',
  mangleProps: MANGLED,
  mangleCache: {},
});

rmSync('dist', { recursive: true, force: true });
await Promise.all([
  build({ ...common, entryPoints: all.filter((f) => !f.endsWith(BROWSER)), format: 'esm', outdir: 'dist/esm' }),
  build({ ...common, entryPoints: all.filter((f) => !f.endsWith(BROWSER)), format: 'cjs', outdir: 'dist/cjs', outExtension: { '.js': '.cjs' } }),
  // The browser build renames the members MANGLED names, as the bundled pass did.
  build({ ...common, entryPoints: all, format: 'esm', outdir: 'dist/browser', mangleProps: MANGLED, mangleCache }),
  build({ ...common, entryPoints: NODE_ENTRIES, bundle: true, splitting: true, platform: 'node', format: 'esm', outdir: 'dist/node', chunkNames: 'chunks/[name]-[hash]' }),
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

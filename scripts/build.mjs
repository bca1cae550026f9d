// Builds dist/ one output file per source module, so bundlers tree-shake:
//   dist/esm      ES modules for Node (TCP, TLS, WebSocket)
//   dist/cjs      CommonJS for Node (.cjs)
//   dist/browser  ES modules for browsers: each X.browser.ts stands in for X.ts (the transport
//                 platform: WebSocket only, so no Node built-in is ever referenced; the client's
//                 scheduler: timers in a worker, out of reach of background-tab throttling)
//   dist/node     ES modules for Node's own `import`. Node pays per file loaded (resolution,
//                 an async link step: ~1-3 ms each here), so every browser-safe entry (the root,
//                 the codec, the session, the faces) is a few lines re-exporting from one bundle,
//                 chunks/core.js: importing 'impmqtt' loads two files, and a class is one class
//                 whichever subpath imports it. The Node-only entries (gateway, store, command)
//                 are bundled on their own, importing the core from that same file.
//                 Bundlers keep the per-module build.
//   dist/types    .d.ts from tsc (stripInternal)
// The `impmqtt` command (src/cli) is Node-only: its bin, dist/node/cli/bin.js, is made executable.
// package.json's export conditions pick the right one ("browser" / "node" / "default").
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const BROWSER = '.browser.ts';
/** Modules only the Node build uses: the browser build does not ship them. */
const NODE_ONLY = ['transport/node-socket', 'transport/ws-node', 'transport/ws-frames', 'transport/ws-handshake'];
/** Whole folders that only run on Node (an HTTP server, a file store, the command line): no browser build at all. */
const NODE_ONLY_FOLDERS = ['api/gateway', 'store', 'cli'];
const BIN = 'dist/node/cli/bin.js';
/** What package.json exports under the "node" condition that also runs in a browser: re-exports of dist/node/chunks/core.js. */
const CORE_ENTRIES = ['index', 'packet/index', 'session/index', 'api/imp/index', 'api/async/index', 'api/queue/index'];
/** Modules the Node-only code imports from outside its folders: the core exports them too. */
const CORE_SHARED = ['client/index', 'errors', 'api/common/operation-errors', 'api/common/token-bucket'];
/** The Node-only entries (package.json's "node" condition, and the command). */
const NODE_ONLY_ENTRIES = ['api/gateway/index', 'store/index', 'cli/bin'];
const CORE = 'dist/node/chunks/core.js';
/** What a Node-only bundle imports the core as, until each file is given its relative path. */
const CORE_SPECIFIER = '#impmqtt-core';

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
  // The browser build renames the members MANGLED names, as the bundled pass did, and has no
  // Node Buffer to look for: its fast paths fold away in the application's minifier (~0.1 KB gzip).
  build({ ...common, entryPoints: all, format: 'esm', outdir: 'dist/browser', mangleProps: MANGLED, mangleCache, define: { 'globalThis.Buffer': 'undefined' } }),
]);
await buildNode();

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

/** dist/node: see the top of this file. */
async function buildNode() {
  const modules = [...CORE_ENTRIES, ...CORE_SHARED];
  const core = modules.map((module) => `export * from './src/${module}.ts';`).join('\n');
  const node = { ...common, bundle: true, platform: 'node', format: 'esm', external: ['node:*'], metafile: true };
  const { metafile } = await build({ ...node, stdin: { contents: core, resolveDir: '.', sourcefile: 'core.ts', loader: 'ts' }, outfile: CORE });
  const coreExports = new Set(metafile.outputs[CORE].exports);
  for (const entry of CORE_ENTRIES) {
    // Each entry's names, as a bundle of it alone would export them; `export *` drops a name two
    // modules export differently, so a name missing from the core fails the build here.
    const alone = await build({ ...node, entryPoints: [`src/${entry}.ts`], outdir: 'dist/unused', write: false });
    const names = Object.values(alone.metafile.outputs).flatMap((output) => output.exports ?? []);
    const missing = names.filter((name) => !coreExports.has(name));
    if (missing.length > 0) throw new Error(`${CORE} does not export ${missing.join(', ')} (wanted by src/${entry}.ts)`);
    const file = `dist/node/${entry}.js`;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `export { ${names.join(', ')} } from ${JSON.stringify(relativeImport(file, CORE))};\n`);
  }
  const shared = modules.map((module) => resolve(`src/${module}.ts`));
  const nodeOnly = NODE_ONLY_FOLDERS.map((folder) => resolve('src', folder) + sep);
  const importCore = {
    name: 'import-core',
    setup(plugin) {
      // Code outside the Node-only folders comes from the core, not a copy of it.
      plugin.onResolve({ filter: /^\./ }, ({ path, resolveDir }) => {
        const target = resolve(resolveDir, path).replace(/\.js$/, '.ts');
        if (nodeOnly.some((folder) => target.startsWith(folder))) return undefined;
        if (!shared.includes(target)) throw new Error(`Node-only code imports ${target}, which ${CORE} does not export (add it to CORE_SHARED)`);
        return { path: CORE_SPECIFIER, external: true };
      });
    },
  };
  await build({ ...node, metafile: false, entryPoints: NODE_ONLY_ENTRIES.map((entry) => `src/${entry}.ts`), splitting: true, outdir: 'dist/node', chunkNames: 'chunks/[name]-[hash]', plugins: [importCore] });
  for (const file of outputs('dist/node', '.js')) {
    const code = readFileSync(file, 'utf8');
    if (code.includes(CORE_SPECIFIER)) writeFileSync(file, code.replaceAll(JSON.stringify(CORE_SPECIFIER), JSON.stringify(relativeImport(file, CORE))));
  }
  // Every name a Node-only bundle imports from the core must exist there: bundling the outputs
  // again makes esbuild check each import against the core's exports.
  await build({ entryPoints: NODE_ONLY_ENTRIES.map((entry) => `dist/node/${entry}.js`), bundle: true, platform: 'node', format: 'esm', external: ['node:*'], write: false, outdir: 'dist/unused', logLevel: 'error' });
}

function relativeImport(from, to) {
  const path = relative(dirname(from), to);
  return path.startsWith('.') ? path : `./${path}`;
}

// --no-types: the JavaScript only (npm start needs nothing else; the declarations take most of the time).
if (!process.argv.includes('--no-types')) {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  for (const module of browserVariants) rmSync(`dist/types/${module}.browser.d.ts`);
}

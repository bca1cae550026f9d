// Builds dist/ one output file per source module, so bundlers tree-shake:
//   dist/esm      ES modules for Node (TCP, TLS, WebSocket)
//   dist/cjs      CommonJS for Node (.cjs)
//   dist/browser  ES modules for browsers: transport/platform.js is platform.browser.ts, so no
//                 Node built-in is ever referenced
//   dist/types    .d.ts from tsc (stripInternal)
// package.json's export conditions pick the right one ("browser" / "node" / "default").
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const BROWSER_PLATFORM = 'transport/platform.browser';

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

const all = sources('src');
const common = { bundle: false, platform: 'neutral', target: 'es2022', outbase: 'src', logLevel: 'warning', sourcemap: true };

rmSync('dist', { recursive: true, force: true });
await Promise.all([
  build({ ...common, entryPoints: all.filter((f) => !f.includes(BROWSER_PLATFORM)), format: 'esm', outdir: 'dist/esm' }),
  build({ ...common, entryPoints: all.filter((f) => !f.includes(BROWSER_PLATFORM)), format: 'cjs', outdir: 'dist/cjs', outExtension: { '.js': '.cjs' } }),
  build({ ...common, entryPoints: all, format: 'esm', outdir: 'dist/browser' }),
]);

// The browser build's platform module is the browser one; the Node one is not shipped there.
for (const extension of ['.js', '.js.map']) {
  renameSync(`dist/browser/${BROWSER_PLATFORM}${extension}`, `dist/browser/transport/platform${extension}`);
}
for (const file of ['node-socket', 'ws-node', 'ws-frames', 'ws-handshake']) {
  for (const extension of ['.js', '.js.map']) rmSync(`dist/browser/transport/${file}${extension}`);
}

// CommonJS modules require their siblings by the .cjs name they were written under.
for (const file of outputs('dist/cjs', '.cjs')) {
  const code = readFileSync(file, 'utf8');
  writeFileSync(file, code.replace(/require\("(\.{1,2}\/[^"]+)\.js"\)/g, 'require("$1.cjs")'));
}

execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
rmSync(`dist/types/${BROWSER_PLATFORM}.d.ts`);

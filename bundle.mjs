// Bundles weld into dist/bundle/ with esbuild, so that starting weld reads three files
// instead of several hundred under node_modules. `npm run build` runs it after tsc.
//
// - weld.cjs: the command, everything but the console, as one CommonJS file. bin/weld.js
//   compiles it with a V8 code cache (bin/load-bundle.js), which an ES module cannot use
//   on Node 20.
// - console.mjs: the Ink console (Ink, React and the views), an ES module because Ink's
//   layout engine loads with a top-level await. weld.cjs imports it only to draw the
//   console. Modules both files use are in each; debug.ts keeps its one setting on
//   globalThis for that reason.
// - React is bundled in its production build.
// - dockerode's BuildKit parts (gRPC and protobuf, most of its weight) are left out: weld
//   builds with the classic builder. Parts used now and then load on their first call.
// - ssh2 and its optional native parts stay outside the bundle and load from node_modules
//   when an ssh:// engine is used.

import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as esbuild from 'esbuild';

const root = path.dirname(fileURLToPath(import.meta.url));

/**
 * Source rewrites in dependencies: for each file, the texts to replace. weld builds with
 * the classic builder, so dockerode's BuildKit parts are left out, and parts needed only
 * now and then load on their first call.
 */
const rewrites = [
  {
    file: /dockerode[\\/]lib[\\/]docker\.js$/,
    replace: [
      // The BuildKit session (gRPC and protobuf), opened only for builds with version 2.
      ["require('./session')", "(() => { throw new Error('BuildKit sessions are not part of weld: it builds with the classic builder'); })"],
      // BuildKit progress decoding (protobuf), called only by Docker.followProgress.
      ["require('./buildkit')", "(() => { throw new Error('BuildKit progress is not part of weld: it builds with the classic builder'); })()"],
    ],
  },
  {
    // Packing a folder as the build context: weld sends a tar stream of its own.
    file: /dockerode[\\/]lib[\\/]util\.js$/,
    replace: [["require('tar-fs')", "{ pack: (...args) => require('tar-fs').pack(...args) }"]],
  },
  {
    // At exit, restore-cursor shows the cursor that Ink hid on stdout by writing to
    // stderr, even when stderr is a file (`weld 2>err`). Write to a terminal only.
    file: /restore-cursor[\\/]index\.js$/,
    replace: [
      [
        "process.stderr.write('\\u001B[?25h');",
        "(process.stderr.isTTY ? process.stderr : process.stdout.isTTY ? process.stdout : undefined)?.write('\\u001B[?25h');",
      ],
    ],
  },
  {
    // The ssh transport, for ssh:// engines only.
    file: /docker-modem[\\/]lib[\\/]modem\.js$/,
    replace: [["require('./ssh')", "((...args) => require('./ssh')(...args))"]],
  },
];

const rewriteDependencies = {
  name: 'rewrite-dependencies',
  setup(build) {
    for (const { file, replace } of rewrites) {
      build.onLoad({ filter: file }, async (args) => {
        let source = await readFile(args.path, 'utf8');
        for (const [text, replacement] of replace) {
          if (!source.includes(text)) {
            throw new Error(`${args.path} no longer contains ${text}: update the rewrites in bundle.mjs`);
          }
          source = source.replace(text, replacement);
        }
        return { contents: source, loader: 'js' };
      });
    }
    // The unbundled build defers the same modules through the CommonJS cache; the bundle
    // has no use for that.
    build.onLoad({ filter: /defer-optional-modules\.ts$/ }, () => ({ contents: '', loader: 'ts' }));
  },
};

await rm(path.join(root, 'dist/bundle'), { recursive: true, force: true });

/** Settings both bundles share. */
const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  legalComments: 'linked',
  external: ['ssh2', 'cpu-features', 'react-devtools-core'],
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
};

/**
 * Leaves the console out of weld.cjs. A dynamic import inside a script compiled from a
 * code cache fails on Node 20 ("A dynamic import callback was not specified"), so
 * weld.cjs calls `weldImportConsole`, a function that bin/load-bundle.js (an ES module)
 * passes into the bundle's wrapper function and that imports console.mjs.
 */
const consoleApart = {
  name: 'console-apart',
  setup(build) {
    build.onLoad({ filter: /[\\/]cli[\\/]import-console\.ts$/ }, () => ({
      contents: 'declare const weldImportConsole: () => Promise<unknown>;\nexport const importConsole = () => weldImportConsole();\n',
      loader: 'ts',
    }));
  },
};

await esbuild.build({
  ...common,
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/bundle/weld.cjs',
  format: 'cjs',
  // package.json sits two folders up from the bundle, as it does from dist/cli/main.js.
  define: { ...common.define, 'import.meta.url': 'weldBundleUrl' },
  banner: { js: "const weldBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  plugins: [rewriteDependencies, consoleApart],
});

await esbuild.build({
  ...common,
  entryPoints: { console: 'src/ui/console-reporter.tsx' },
  outdir: 'dist/bundle',
  outExtension: { '.js': '.mjs' },
  // Ink's development tools go into a chunk that loads only when DEV=true.
  splitting: true,
  chunkNames: 'console-[name]-[hash]',
  format: 'esm',
  // CommonJS packages inside an ES module bundle still call require for Node's own modules.
  banner: { js: "import { createRequire as weldCreateRequire } from 'node:module'; const require = weldCreateRequire(import.meta.url);" },
  plugins: [rewriteDependencies],
});

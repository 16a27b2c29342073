// Defers two parts of dockerode that weld rarely needs: its BuildKit session module
// (gRPC and protobuf, about 130 files) and docker-modem's ssh transport (ssh2). Both
// load when dockerode loads: with them, `weld --version` took 0.49 s instead of 0.37 s
// on a 2-core machine. weld builds with the classic builder, so the session module
// never runs; ssh2 is needed only for ssh:// engines.
//
// Each module is replaced in the CommonJS cache by a function that, on its first call,
// removes itself, loads the real module and forwards the call. Both modules export a
// single function (dockerode 4, docker-modem 5), which is what makes this safe.

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function deferModule(resolvedPath: string): void {
  if (require.cache[resolvedPath]) return;

  const placeholder = function (this: unknown, ...args: unknown[]): unknown {
    delete require.cache[resolvedPath];
    const real = require(resolvedPath) as (...realArgs: unknown[]) => unknown;
    return real.apply(this, args);
  };
  require.cache[resolvedPath] = {
    id: resolvedPath,
    filename: resolvedPath,
    loaded: true,
    exports: placeholder,
  } as unknown as NodeJS.Module;
}

const dockerodeRequire = createRequire(require.resolve('dockerode'));
deferModule(dockerodeRequire.resolve('./session.js'));
deferModule(createRequire(dockerodeRequire.resolve('docker-modem')).resolve('./ssh.js'));

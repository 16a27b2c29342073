// The typed Manifest: build.yml after `_env(NAME)` substitution and validation,
// with every path resolved against the work dir.

/** One artifact a step exports: a path in the image and the host folder it goes to. */
export interface ArtifactSpec {
  /** Absolute path inside the image, e.g. `/go/bin/server`. */
  source: string;
  /** Destination folder relative to the work dir, `.` by default. */
  destination: string;
  /** The spec as written in build.yml, for messages. */
  spec: string;
}

/** A secret a step may fetch from the secret server while it builds. */
export interface SecretSpec {
  /** Name the build asks for. */
  name: string;
  /** Provider type: `file` or `env`. */
  type: 'file' | 'env';
  /** File path (for `file`) or variable name (for `env`). */
  value: string;
}

export interface Step {
  /** Key of the step under `steps`. */
  label: string;
  /** Image name, possibly with a tag (`helloworld:latest`), before `--uid`. */
  name: string;
  /** Absolute path of the context folder. */
  contextDir: string;
  /** Context as written, relative to the work dir (`.` when absent). */
  context: string;
  /** Dockerfile path relative to the context folder, as written. */
  dockerfile: string;
  /** Absolute path of the Dockerfile. */
  dockerfilePath: string;
  args: Record<string, string>;
  artifacts: ArtifactSpec[];
  /** Labels listed under `depends_on`. */
  dependsOn: string[];
  target?: string;
  noCache: boolean;
  cleanupCommands: string[];
  command?: string;
  afterBuildCommand?: string;
  secrets: SecretSpec[];
  /** 1-based line of the step's key in build.yml, for messages. */
  line: number;
}

export interface Manifest {
  /** Absolute path of build.yml. */
  file: string;
  /** Absolute path of the work dir that relative paths start from. */
  workDir: string;
  /** `2016-03-14` or `2016-02-13`. */
  version: string;
  /** Steps in the order build.yml lists them. */
  steps: Step[];
}

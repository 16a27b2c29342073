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
  /** 1-based line of the secret's key in build.yml, for messages; the step's line when unknown. */
  line?: number;
}

/** One step of build.yml with its defaults filled in and its paths made absolute. */
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
  /** Build args (`args`): each value as written (`1.10`, `yes`), a key without a value as ''. */
  args: Record<string, string>;
  /** Files and folders copied out of the image after the build (`artifacts`). */
  artifacts: ArtifactSpec[];
  /** Labels listed under `depends_on`. */
  dependsOn: string[];
  /** 1-based line of the `depends_on` entry that names each label, for messages; the step's line when absent. */
  dependsOnLines?: ReadonlyMap<string, number>;
  /** Dockerfile stage to stop at (`target`). */
  target?: string;
  /** 1-based line of the `target` key in build.yml, for messages. */
  targetLine?: number;
  /** Build without the layer cache (`no_cache`). */
  noCache: boolean;
  /** Commands run in a container of the built image before it is squashed (`cleanup.commands`). */
  cleanupCommands: string[];
  /** Command run in a container of the built image (`command`). */
  command?: string;
  /** Command run on the host after the step is built (`after_build_command`). */
  afterBuildCommand?: string;
  /** Secrets the step may fetch while it builds (`secrets`, version 2016-03-14 only). */
  secrets: SecretSpec[];
  /** 1-based line of the step's key in build.yml, for messages. */
  line: number;
}

/** build.yml as weld runs it. */
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

// The events a run emits. They are the only interface between the build and what
// shows it: the Ink console, the plain reporter and the NDJSON reporter all fold
// this one stream, and `--json` writes it out one event a line.

/** States a step moves through; `cached` is `done` with no instruction run. */
export type StepState =
  | 'queued'
  | 'building'
  | 'copying'
  | 'running'
  | 'done'
  | 'cached'
  | 'failed'
  | 'cancelled'
  | 'skipped';

/** One step as planned, before anything runs. */
export interface StepPlan {
  /** Label of the step: its key under `steps` in build.yml. */
  label: string;
  /** Image name and tag the step produces, after `--uid` is applied. */
  image: string;
  /** Labels of the steps this one waits for (explicit and from `FROM`). */
  dependsOn: string[];
  /** Dockerfile path relative to the work dir. */
  dockerfile: string;
  /** Context folder relative to the work dir (`.` for the work dir). */
  context: string;
  /** Artifacts the step exports, as written in build.yml. */
  artifacts: { source: string; destination: string }[];
  /** True in a watch run that does not rebuild the step: its last image is reused. */
  reused?: boolean;
}

/** One layer of an image, as `docker history` lists it, newest first. */
export interface Layer {
  /** Image id of the layer, or `<missing>` for layers built elsewhere. */
  id: string;
  /** The instruction that made the layer. */
  createdBy: string;
  /** Bytes the layer adds. */
  sizeBytes: number;
  /** Creation time, Unix milliseconds. */
  createdMs: number;
}

/** Size comparison of a final image against a step it took artifacts from. */
export interface Savings {
  /** Label of the builder step. */
  againstStep: string;
  /** Image of the builder step. */
  againstImage: string;
  /** Size of the builder image in bytes. */
  againstSizeBytes: number;
  /** How many times smaller the final image is (builder size / final size). */
  ratio: number;
  /** Share of the builder size saved, 0 to 100. */
  percentSaved: number;
}

/** What the run reports about each final image (a step no other step depends on). */
export interface FinalImage {
  /** Label of the step. */
  step: string;
  /** Image name and tag. */
  image: string;
  /** Image id. */
  imageId: string;
  /** Total size of the image in bytes. */
  sizeBytes: number;
  /** Layers, newest first. */
  layers: Layer[];
  /** One entry per step this image took artifacts from. */
  savings: Savings[];
}

/** Error details carried by a failure event. */
export interface EventError {
  /** What failed, naming the step, file, line or path. */
  message: string;
  /** What to try, when there is something to try. */
  hint?: string;
  /** The Dockerfile instruction that failed, e.g. `RUN go build ./...`. */
  instruction?: string;
}

/** How a run ended. */
export type RunOutcome = 'succeeded' | 'failed' | 'cancelled';

/** Why watch mode rebuilds a step. */
export type RebuildReason =
  /** The first run of a watch session builds every step. */
  | 'initial'
  /** A file in the step's context, or its Dockerfile, changed. */
  | 'changed'
  /** A step it waits for rebuilds. */
  | 'upstream'
  /** Its definition in build.yml changed, or build.yml added it. */
  | 'build-file'
  /** It did not finish in its last run and a step downstream of it rebuilds. */
  | 'unfinished'
  /** A full rebuild was requested (`r` in the console). */
  | 'requested';

/** One step a watch run rebuilds, and why. */
export interface StepRebuild {
  /** Label of the step. */
  step: string;
  reason: RebuildReason;
  /**
   * The changed path relative to the work dir for `changed` and `build-file`; the
   * label of the step upstream that rebuilds for `upstream`; the label of the step
   * downstream that needs it for `unfinished`.
   */
  because?: string;
}

/** What started a watch run. */
export interface WatchTrigger {
  /** `start`: the first run; `change`: changed files; `request`: a requested full rebuild. */
  kind: 'start' | 'change' | 'request';
  /** For `change`: the first changed path, relative to the work dir. */
  path?: string;
}

/** A final image after a watch run, with its size change from the run before. */
export interface FinalImageSize {
  /** Label of the step. */
  step: string;
  /** Image name and tag. */
  image: string;
  sizeBytes: number;
  /** Bytes gained (positive) or lost (negative) since the last successful run; absent the first time. */
  deltaBytes?: number;
}

export type BuildEvent =
  | {
      type: 'run-started';
      time: number;
      runId: string;
      buildFile: string;
      workDir: string;
      /** `apiVersion` is there whenever weld asked the engine (every run from the command line). */
      engine: { version: string; apiVersion?: string; endpoint: string };
      steps: StepPlan[];
    }
  | { type: 'step-started'; time: number; step: string }
  | { type: 'context-sent'; time: number; step: string; bytes: number }
  | {
      type: 'step-progress';
      time: number;
      step: string;
      /** 1-based index of the instruction being run. */
      instruction: number;
      /** Count of instructions in the Dockerfile (up to the target stage). */
      total: number;
      /** The instruction as the engine prints it, e.g. `RUN go build .`. */
      text: string;
    }
  | { type: 'step-cached'; time: number; step: string; instruction: number }
  | {
      type: 'step-log';
      time: number;
      step: string;
      /** Which phase printed the line. */
      source: 'build' | 'artifact' | 'cleanup' | 'command' | 'after-build';
      line: string;
    }
  | { type: 'step-phase'; time: number; step: string; state: 'copying' | 'running' }
  | {
      type: 'artifact-started';
      time: number;
      step: string;
      source: string;
      destination: string;
      /** Bytes to copy, from the archive's stat header; 0 when unknown. */
      totalBytes: number;
    }
  | {
      type: 'artifact-progress';
      time: number;
      step: string;
      source: string;
      bytes: number;
      totalBytes: number;
    }
  | {
      type: 'artifact-finished';
      time: number;
      step: string;
      source: string;
      destination: string;
      bytes: number;
      durationMs: number;
    }
  | {
      type: 'step-finished';
      time: number;
      step: string;
      image: string;
      imageId: string;
      sizeBytes: number;
      durationMs: number;
      /** True when every instruction came from the layer cache. */
      cached: boolean;
      instructionsCached: number;
      instructionsTotal: number;
    }
  | {
      type: 'step-failed';
      time: number;
      step: string;
      durationMs: number;
      error: EventError;
      /** The last lines the step printed, oldest first. */
      logTail: string[];
    }
  | { type: 'step-cancelled'; time: number; step: string }
  | {
      type: 'step-skipped';
      time: number;
      step: string;
      /** Label of the dependency that failed or was cancelled. */
      because: string;
    }
  | { type: 'warning'; time: number; step?: string; message: string }
  /**
   * An error that stopped weld before a run could start (an invalid build.yml or
   * Dockerfile, no engine), written only by the NDJSON reporter; `exitCode` is weld's.
   */
  | { type: 'error'; time: number; error: EventError; exitCode: number }
  | {
      type: 'run-finished';
      time: number;
      outcome: RunOutcome;
      durationMs: number;
      finalImages: FinalImage[];
      /** The first failure, repeated here so the end of the output shows it. */
      error?: EventError & { step?: string };
    }
  | {
      type: 'watch-ready';
      time: number;
      /** Labels of the steps, in build.yml's order. */
      steps: string[];
      /** Files and folders being watched. */
      watchedPaths: number;
      /** Poll interval in milliseconds with `--poll`; absent when the OS reports changes. */
      pollMs?: number;
    }
  | {
      type: 'watch-triggered';
      time: number;
      /** 1-based number of the run in the watch session. */
      run: number;
      trigger: WatchTrigger;
      /** Changed paths relative to the work dir, in the order they changed; long lists are cut. */
      paths: string[];
      /** Count of changed paths, including those cut from `paths`. */
      pathCount: number;
      steps: StepRebuild[];
      /** True when a change cancelled the run before and this run takes over its steps. */
      restarted: boolean;
    }
  | {
      type: 'watch-error';
      time: number;
      /**
       * `build-file`: build.yml or a Dockerfile could not be planned again, and the last
       * good plan stays; `watcher`: watching files failed, or what to watch (a
       * .dockerignore) could not be read; `run`: a run or the clean-up failed outside any step.
       */
      source: 'build-file' | 'watcher' | 'run';
      error: EventError;
      /** For `build-file`: build.yml and the Dockerfiles changed since the last good plan, relative to the work dir. */
      files?: string[];
    }
  | {
      type: 'watch-run-summary';
      time: number;
      run: number;
      trigger: WatchTrigger;
      /** Count of changed paths that started the run (0 for `start` and `request`). */
      pathCount: number;
      steps: StepRebuild[];
      outcome: RunOutcome;
      durationMs: number;
      /** Final images after the run; empty unless it succeeded. */
      finalImages: FinalImageSize[];
      /** Files and folders being watched after the run. */
      watchedPaths: number;
    }
  | {
      type: 'watch-stopped';
      time: number;
      /** Count of runs the session started. */
      runs: number;
      /** Artifact paths removed on the way out, absolute; empty with `--keep-artifacts`. */
      removedPaths: string[];
    };

export type BuildEventType = BuildEvent['type'];

/** Receives the events of a run, in order. */
export type EventSink = (event: BuildEvent) => void;

// Copy containers that a weld process left behind when it exited at once (a second
// Ctrl-C) or was killed. A copy container is created and never started, and it blocks
// `docker rmi` of its image, so a later run removes it, but only when it is certain
// that the process that made it is gone. Each copy container records that process in
// labels: its pid, its PID namespace and the machine's boot id. A pid can be checked
// only from the same PID namespace on the same boot. A container whose labels name
// another namespace, boot or machine is never removed, and neither is one whose process
// is alive, or whose pid a new process has taken since.

import { readFileSync, readlinkSync } from 'node:fs';

import type Dockerode from 'dockerode';

import { debug } from '../../debug.js';
import { removeContainer } from './remove-container.js';

/** Labels of the process that created a copy container. */
const PID_LABEL = 'weld.pid';
const PID_NAMESPACE_LABEL = 'weld.pidns';
const BOOT_LABEL = 'weld.boot';

/** The process identity, or undefined where /proc does not give it (not Linux). */
interface ProcessIdentity {
  pid: string;
  /** `pid:[4026531836]`: the PID namespace, unique on one boot. */
  pidNamespace: string;
  /** Random id the kernel gives each boot. */
  bootId: string;
}

let cachedIdentity: ProcessIdentity | null | undefined;

function readIdentity(): ProcessIdentity | undefined {
  if (cachedIdentity !== undefined) return cachedIdentity ?? undefined;
  try {
    cachedIdentity = {
      pid: String(process.pid),
      pidNamespace: readlinkSync('/proc/self/ns/pid'),
      bootId: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
    };
  } catch (error) {
    debug('engine:copy', 'no PID namespace or boot id to label copy containers with', String(error));
    cachedIdentity = null;
  }
  return cachedIdentity ?? undefined;
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Returns the labels that name this process on a copy container; empty where the process cannot be named safely. */
export function ownerLabels(): Record<string, string> {
  const identity = readIdentity();
  if (!identity) return {};
  return { [PID_LABEL]: identity.pid, [PID_NAMESPACE_LABEL]: identity.pidNamespace, [BOOT_LABEL]: identity.bootId };
}

/**
 * Returns whether a container with these labels belongs to a process of this PID
 * namespace and boot that no longer runs. False whenever that is not certain.
 */
export function isAbandoned(labels: Record<string, string>): boolean {
  const identity = readIdentity();
  if (!identity) return false;
  if (labels[PID_NAMESPACE_LABEL] !== identity.pidNamespace || labels[BOOT_LABEL] !== identity.bootId) return false;

  const pid = Number(labels[PID_LABEL]);
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid) return false;
  return !isProcessAlive(pid);
}

/**
 * Removes copy containers in state `created` (never started) whose process is gone,
 * and returns how many. `command` is the placeholder command of copy containers, so
 * that no other container with weld's labels is touched.
 */
export async function removeAbandonedCopies(docker: Dockerode, command: string): Promise<number> {
  if (!readIdentity()) return 0;
  const containers = await docker.listContainers({
    all: true,
    filters: { status: ['created'], label: ['weld.run', PID_LABEL, PID_NAMESPACE_LABEL, BOOT_LABEL] },
  });
  let removed = 0;
  for (const container of containers) {
    if (container.Command !== command || !isAbandoned(container.Labels ?? {})) continue;
    debug('engine:copy', `removing copy container ${container.Id.slice(0, 12)} of run ${container.Labels['weld.run']}, whose process ${container.Labels[PID_LABEL]} is gone`);
    if (await removeContainer(docker, container.Id)) removed += 1;
  }
  return removed;
}

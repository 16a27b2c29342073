// One weld copy in its own process, so that its peak memory is measured alone.
// Usage: node copy-child.mjs IMAGE SOURCE_PATH DESTINATION_DIR
// Prints one JSON line: { ms, bytes, progressCalls, rssBeforeKiB, maxRssKiB, cpuMs }.

import { performance } from 'node:perf_hooks';

import Dockerode from 'dockerode';

import { copyFromImage } from '../../dist/engine/docker/copy.js';

const [image, sourcePath, destinationDir] = process.argv.slice(2);
const docker = new Dockerode();
let progressCalls = 0;

// Node and dockerode alone hold most of the peak; this separates them from the copy's share.
const rssBeforeKiB = Math.round(process.memoryUsage().rss / 1024);
const cpuBefore = process.cpuUsage();
const startMs = performance.now();
const result = await copyFromImage(
  docker,
  { image, sourcePath, destinationDir, labels: { 'weld-test-artifact': 'bench' }, onProgress: () => (progressCalls += 1) },
  new AbortController().signal,
);
const ms = performance.now() - startMs;
const cpu = process.cpuUsage(cpuBefore);

// User plus system time of the whole process during the copy, so the threads that write the file count too.
const cpuMs = (cpu.user + cpu.system) / 1000;
// resourceUsage().maxRSS is the peak resident set size of this process, in KiB.
process.stdout.write(`${JSON.stringify({ ms, bytes: result.bytes, progressCalls, rssBeforeKiB, maxRssKiB: process.resourceUsage().maxRSS, cpuMs })}\n`);

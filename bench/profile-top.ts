/**
 * Summarizes a V8 `.cpuprofile` (written by `node --cpu-prof`): self time per function, as a
 * share of the busy (non-idle) time, hottest first. Also usable alone:
 *   node --import tsx bench/profile-top.ts FILE.cpuprofile [N]
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface Frame {
  frame: string;
  selfMs: number;
  /** Share of the busy (non-idle) time. */
  percent: number;
}

function label(n: ProfileNode): string {
  const { functionName, url, lineNumber } = n.callFrame;
  const name = functionName || '(anonymous)';
  if (!url) return name;
  const path = url.startsWith('file://') ? relative(process.cwd(), new URL(url).pathname) : url;
  return `${name} ${path}:${lineNumber + 1}`;
}

/** Where a frame's code lives: an npm package, a project folder, or node's internals. */
function area(url: string): string {
  if (!url) return '(native / V8)';
  if (url.startsWith('node:')) return 'node: internals';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg?.[1]) return pkg[1];
  const path = url.startsWith('file://') ? relative(process.cwd(), new URL(url).pathname) : url;
  return path.split('/').slice(0, 3).join('/');
}

/** A time window in the profile's clock: CLOCK_MONOTONIC µs, as process.hrtime.bigint() / 1000. */
export interface Window {
  fromUs: number;
  toUs: number;
}

export function topFrames(
  file: string,
  n = 20,
  window?: Window,
): { busyMs: number; idleMs: number; top: Frame[]; areas: Frame[] } {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  const byArea = new Map<string, number>();
  let idle = 0;
  let busy = 0;
  let at = p.startTime;
  p.samples.forEach((id, i) => {
    at += p.timeDeltas[i] ?? 0;
    // Only the measured run: start-up (module loading through tsx) and warm-up are not the
    // steady state the throughput target is about.
    if (window && (at < window.fromUs || at > window.toUs)) return;
    const node = byId.get(id);
    const dt = (p.timeDeltas[i] ?? 0) / 1000;
    if (!node) return;
    if (node.callFrame.functionName === '(idle)') {
      idle += dt;
      return;
    }
    busy += dt;
    const key = label(node);
    self.set(key, (self.get(key) ?? 0) + dt);
    const a = area(node.callFrame.url);
    byArea.set(a, (byArea.get(a) ?? 0) + dt);
  });
  const rank = (m: Map<string, number>, k: number): Frame[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(([frame, selfMs]) => ({ frame, selfMs, percent: busy > 0 ? (selfMs / busy) * 100 : 0 }));
  return { busyMs: busy, idleMs: idle, top: rank(self, n), areas: rank(byArea, 12) };
}

export function printTop(file: string, n = 20, window?: Window): void {
  const { busyMs, idleMs, top, areas } = topFrames(file, n, window);
  console.log(
    `profile ${file}: busy ${(busyMs / 1000).toFixed(1)} s, idle ${(idleMs / 1000).toFixed(1)} s`,
  );
  const line = (f: Frame) =>
    console.log(
      `${f.percent.toFixed(1).padStart(5)} %  ${f.selfMs.toFixed(0).padStart(6)} ms  ${f.frame}`,
    );
  console.log('self time by package / folder:');
  for (const f of areas) line(f);
  console.log('hottest functions (self time; line numbers are of the transpiled code):');
  for (const f of top) line(f);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '\u0000')) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node --import tsx bench/profile-top.ts FILE.cpuprofile [N]');
    process.exit(2);
  }
  const n = Number(process.argv[3]);
  printTop(file, Number.isInteger(n) && n > 0 ? n : 20);
}

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

export function topFrames(file: string, n = 20): { busyMs: number; idleMs: number; top: Frame[] } {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  let idle = 0;
  let busy = 0;
  p.samples.forEach((id, i) => {
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
  });
  const top = [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([frame, selfMs]) => ({ frame, selfMs, percent: busy > 0 ? (selfMs / busy) * 100 : 0 }));
  return { busyMs: busy, idleMs: idle, top };
}

export function printTop(file: string, n = 20): void {
  const { busyMs, idleMs, top } = topFrames(file, n);
  console.log(
    `profile ${file}: busy ${(busyMs / 1000).toFixed(1)} s, idle ${(idleMs / 1000).toFixed(1)} s`,
  );
  for (const f of top) {
    console.log(
      `${f.percent.toFixed(1).padStart(5)} %  ${f.selfMs.toFixed(0).padStart(6)} ms  ${f.frame}`,
    );
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '\u0000')) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node --import tsx bench/profile-top.ts FILE.cpuprofile [N]');
    process.exit(2);
  }
  printTop(file, Number(process.argv[3] ?? 20));
}

// A fuzz worker process (forked by campaign.ts): runs the cases it is sent and reports each one's start and end,
// so that the parent can tell which case hung or blew up the memory.

import { extremeFeeds, generateCase, loadSeeds, prepareExternalDir } from './mutate.js';
import { type FuzzMode, describeCrash, runFuzzCase } from './run-case.js';

export interface WorkRequest {
  campaignSeed: number;
  indices: number[];
  /** Folder given as the model's (external data resolves there). */
  dir: string;
  /** Self-test of the watchdog: these cases throw, loop forever, grow memory, or kill the worker. */
  selfTest?: SelfTest;
  /** What each case runs after the import (default 'interpret'). */
  mode?: FuzzMode;
}

export interface SelfTest {
  crash?: number;
  hang?: number;
  grow?: number;
  die?: number;
}

/** Keeps memory reachable so that the growth self-test is measured. */
const hoard: Uint8Array[] = [];

function selfTest(t: SelfTest | undefined, index: number): void {
  if (t?.crash === index) throw new TypeError('self-test crash');
  if (t?.hang === index) for (;;);
  if (t?.grow === index) for (let i = 0; i < 40; i++) hoard.push(new Uint8Array(2 ** 24).fill(1));
  if (t?.die === index) process.exit(3);
}

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'start'; index: number }
  | { type: 'done'; index: number; seed: string; mutations: string[]; outcome: string; detail: string; interpreted: boolean; ms: number; rssMb: number; rssGrowthMb: number }
  | { type: 'finished' };

const send = (m: WorkerMessage) => new Promise<void>((resolve) => process.send!(m, undefined, undefined, () => resolve()));

process.on('message', async (req: WorkRequest) => {
  const seeds = loadSeeds();
  prepareExternalDir(req.dir);
  for (const index of req.indices) {
    await send({ type: 'start', index });
    const c = generateCase(seeds, req.campaignSeed, index);
    const seed = seeds.find((s) => s.name === c.seed)!;
    const before = process.memoryUsage().rss;
    const t0 = performance.now();
    let r;
    try {
      selfTest(req.selfTest, index);
      r = runFuzzCase(c.bytes, c.feeds === 'extreme' ? extremeFeeds(seed.feeds) : seed.feeds, req.dir, req.mode);
    } catch (e) {
      r = { outcome: 'crash', detail: describeCrash(e), interpreted: false };
    }
    const ms = performance.now() - t0;
    const rss = process.memoryUsage().rss;
    await send({
      type: 'done', index, seed: c.seed, mutations: c.mutations, outcome: r.outcome, detail: r.detail,
      interpreted: r.interpreted, ms, rssMb: rss / 2 ** 20, rssGrowthMb: (rss - before) / 2 ** 20,
    });
  }
  await send({ type: 'finished' });
  process.exit(0);
});

void send({ type: 'ready' });

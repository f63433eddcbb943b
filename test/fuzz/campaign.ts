// Runs a seeded fuzz campaign over worker processes, with a watchdog per case: a crash (any exception but a
// diagnostic), a hang past the time limit, or memory growth past the limit is a finding.

import { type ChildProcess, fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SelfTest, WorkRequest, WorkerMessage } from './worker.js';
import type { FuzzMode } from './run-case.js';

export interface CampaignOptions {
  cases: number;
  seed: number;
  /** Worker processes (default: 2). */
  workers?: number;
  /** A case that runs longer than this is a hang (default 5000 ms). */
  caseTimeoutMs?: number;
  /** A case whose resident memory grows more than this is a blow-up (default 512 MiB). */
  maxRssGrowthMb?: number;
  /** Heap limit of each worker (default 2048 MiB): past it the worker dies, and its case is a finding. */
  maxHeapMb?: number;
  /** Called after each case (progress). */
  onCase?: (done: number) => void;
  /** Self-test of the watchdog (tests only). */
  selfTest?: SelfTest;
  /** 'interpret' (default): import and run; 'compile': import, default passes, compileWasm, bundle contents. */
  mode?: FuzzMode;
}

export interface Finding {
  index: number;
  kind: 'crash' | 'hang' | 'memory' | 'died';
  seed?: string;
  mutations?: string[];
  detail: string;
}

export interface CampaignReport {
  cases: number;
  ms: number;
  outcomes: Record<string, number>;
  interpreted: number;
  findings: Finding[];
  /** Slowest case and largest resident memory seen. */
  slowestMs: number;
  maxRssMb: number;
}

const WORKER = path.join(import.meta.dirname, 'worker.ts');

/** Runs cases [0, cases) of the campaign `seed`; resolves with every finding (never rejects on a finding). */
export async function runCampaign(options: CampaignOptions): Promise<CampaignReport> {
  const started = performance.now();
  const workers = Math.max(1, options.workers ?? 2);
  const timeout = options.caseTimeoutMs ?? 5000;
  const maxGrowth = options.maxRssGrowthMb ?? 512;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xfc-fuzz-'));
  const report: CampaignReport = { cases: options.cases, ms: 0, outcomes: {}, interpreted: 0, findings: [], slowestMs: 0, maxRssMb: 0 };
  let done = 0;

  // Case i goes to worker i % workers; a worker that dies is restarted on the cases it had left.
  const queues = Array.from({ length: workers }, (_, w) => Array.from({ length: options.cases }, (_, i) => i).filter((i) => i % workers === w));
  const runQueue = async (queue: number[]): Promise<void> => {
    while (queue.length > 0) {
      const left = await runWorker(queue, { campaignSeed: options.seed, indices: [], dir, selfTest: options.selfTest, mode: options.mode }, timeout, options.maxHeapMb ?? 2048, (m) => {
        if (m.type !== 'done') return;
        report.outcomes[m.outcome] = (report.outcomes[m.outcome] ?? 0) + 1;
        if (m.interpreted) report.interpreted++;
        report.slowestMs = Math.max(report.slowestMs, m.ms);
        report.maxRssMb = Math.max(report.maxRssMb, m.rssMb);
        if (m.outcome === 'crash') report.findings.push({ index: m.index, kind: 'crash', seed: m.seed, mutations: m.mutations, detail: m.detail });
        else if (m.rssGrowthMb > maxGrowth) {
          report.findings.push({ index: m.index, kind: 'memory', seed: m.seed, mutations: m.mutations, detail: `resident memory grew ${m.rssGrowthMb.toFixed(0)} MiB` });
        }
        options.onCase?.(++done);
      }, (index, kind, detail) => {
        report.findings.push({ index, kind, detail });
        options.onCase?.(++done);
      });
      queue = left;
    }
  };
  try {
    await Promise.all(queues.map(runQueue));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  report.findings.sort((a, b) => a.index - b.index);
  report.ms = performance.now() - started;
  return report;
}

/**
 * One worker process over `queue`: resolves with the cases still to run when it stops early (a hang it was
 * killed for, or a death), else [].
 */
function runWorker(
  queue: readonly number[], request: WorkRequest, timeoutMs: number, maxHeapMb: number,
  onMessage: (m: WorkerMessage) => void,
  onLost: (index: number, kind: 'hang' | 'died', detail: string) => void,
): Promise<number[]> {
  return new Promise((resolve) => {
    const child: ChildProcess = fork(WORKER, [], {
      execArgv: ['--import', 'tsx', `--max-old-space-size=${maxHeapMb}`],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    let current: number | undefined;
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const remaining = new Set(queue);
    const finish = (left: number[]) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(left);
    };
    child.on('message', (m: WorkerMessage) => {
      if (m.type === 'ready') {
        child.send({ ...request, indices: [...queue] } satisfies WorkRequest);
      } else if (m.type === 'start') {
        current = m.index;
        clearTimeout(timer);
        timer = setTimeout(() => {
          onLost(m.index, 'hang', `no result after ${timeoutMs} ms`);
          remaining.delete(m.index);
          child.kill('SIGKILL');
        }, timeoutMs);
      } else if (m.type === 'done') {
        clearTimeout(timer);
        remaining.delete(m.index);
        current = undefined;
        onMessage(m);
      } else if (m.type === 'finished') {
        finish([]);
      }
    });
    child.on('exit', (code, signal) => {
      if (settled) return;
      if (current !== undefined && remaining.has(current)) {
        onLost(current, 'died', `worker exited (code ${code}, signal ${signal}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
        remaining.delete(current);
      }
      finish(queue.filter((i) => remaining.has(i)));
    });
  });
}

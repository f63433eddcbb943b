// What a pass is: a named, stateless graph transformation that reports whether it changed anything.

import type { Graph } from '../compiler/ir/graph.js';

export interface PassResult {
  /** Whether the pass modified the graph. */
  changed: boolean;
  /** Pass-specific counters (`{ "add-zero": 3 }`, `{ folded: 12 }`, ...). */
  stats?: Record<string, number>;
}

export interface PassContext {
  /** Detailed logging requested (`--verbose`): passes may explain what they rejected and why. */
  readonly verbose: boolean;
  /** Writes one line of log. */
  log(line: string): void;
}

/** A pass: keeps no state between runs; `name` is kebab-case and the same in its file name (passes/<name>.ts), the CLI and dumps. */
export interface Pass {
  readonly name: string;
  readonly description: string;
  run(graph: Graph, ctx: PassContext): PassResult;
}

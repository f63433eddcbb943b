// Graph editing for passes: an index of users, use replacement that keeps graph-output names, insertion of new
// nodes before an anchor, and removal of nodes that became dead; `commit` writes the topological order back.
//
// Edits are cheap (no array splicing): removed nodes are marked, inserted nodes wait in a list keyed by the node
// they go before, and `commit` rebuilds `graph.nodes` once. Until then `graph.nodes` still lists the original
// nodes (removed ones included), so passes iterate over the editor's view, not over the array.

import type { Graph, Node, Value } from '../compiler/ir/graph.js';

export class GraphEditor {
  readonly graph: Graph;
  private readonly uses = new Map<Value, Node[]>();
  private readonly outputs = new Set<Value>();
  private readonly inputs: Set<Value>;
  private readonly removed = new Set<Node>();
  private readonly pending = new Map<Node, Node[]>();
  private readonly addedConstants: Value[] = [];
  /** Constants that lost a use or were added: dropped at commit when nothing uses them. */
  private readonly touchedConstants = new Set<Value>();
  private changed = false;

  constructor(graph: Graph) {
    this.graph = graph;
    for (const n of graph.nodes) this.indexUses(n);
    for (const v of graph.outputs) this.outputs.add(v);
    this.inputs = new Set(graph.inputs);
  }

  /** Whether any edit was made since the editor was created. */
  get modified(): boolean {
    return this.changed;
  }

  private indexUses(n: Node): void {
    for (const v of n.inputs) {
      if (!v) continue;
      const list = this.uses.get(v);
      if (list) list.push(n);
      else this.uses.set(v, [n]);
    }
  }

  private dropUse(v: Value, n: Node): void {
    const list = this.uses.get(v);
    const i = list ? list.indexOf(n) : -1;
    if (i >= 0) list!.splice(i, 1);
    if (v.constant && !v.producer) this.touchedConstants.add(v);
  }

  /** The nodes reading `v` (a node reading it twice is listed twice). */
  users(v: Value): readonly Node[] {
    return this.uses.get(v) ?? [];
  }

  /** Uses by nodes, plus one if the value is a graph output. */
  useCount(v: Value): number {
    return (this.uses.get(v)?.length ?? 0) + (this.outputs.has(v) ? 1 : 0);
  }

  isGraphOutput(v: Value): boolean {
    return this.outputs.has(v);
  }

  isGraphInput(v: Value): boolean {
    return this.inputs.has(v);
  }

  isRemoved(n: Node): boolean {
    return this.removed.has(n);
  }

  /** True when none of the node's results is used. */
  isDead(n: Node): boolean {
    return n.outputs.every((v) => this.useCount(v) === 0);
  }

  /**
   * Why `old` cannot be replaced by `repl`, or undefined when it can. A graph output keeps its name, so its
   * replacement must be able to take that name: not a graph input, and not already a graph output.
   */
  replaceProblem(old: Value, repl: Value): string | undefined {
    if (old === repl) return undefined;
    if (!this.outputs.has(old)) return undefined;
    if (this.inputs.has(repl)) return `%${old.name} is a graph output and its replacement is graph input %${repl.name}`;
    if (this.outputs.has(repl)) return `%${old.name} is a graph output and its replacement %${repl.name} is another one`;
    return undefined;
  }

  /**
   * Points every use of `old` (nodes and graph outputs) at `repl`. A graph output's name moves to `repl`; so does
   * any name with `takeName` (a value just created in place of `old` reads best under its name).
   */
  replaceAllUses(old: Value, repl: Value, options: { takeName?: boolean } = {}): void {
    if (old === repl) return;
    const problem = this.replaceProblem(old, repl);
    if (problem) throw new Error(`internal error: ${problem}`);
    const users = this.uses.get(old) ?? [];
    for (const n of users) {
      n.inputs = n.inputs.map((v) => (v === old ? repl : v));
      const list = this.uses.get(repl);
      if (list) list.push(n);
      else this.uses.set(repl, [n]);
    }
    this.uses.delete(old);
    if (old.constant && !old.producer) this.touchedConstants.add(old);
    if (this.outputs.has(old) || options.takeName) this.takeName(repl, old);
    if (this.outputs.has(old)) {
      this.graph.outputs = this.graph.outputs.map((v) => (v === old ? repl : v));
      this.outputs.delete(old);
      this.outputs.add(repl);
    }
    this.changed = true;
  }

  /** Gives `v` the name of `from` (which is going away); `from` gets `v`'s old name. */
  takeName(v: Value, from: Value): void {
    if (v === from) return;
    const name = v.name;
    v.name = from.name;
    from.name = name;
  }

  /** Sets operand i of a node, keeping the index of users up to date. */
  setOperand(n: Node, i: number, v: Value | undefined): void {
    const old = n.inputs[i];
    if (old === v) return;
    const inputs = [...n.inputs];
    inputs[i] = v;
    while (inputs.length > 0 && inputs[inputs.length - 1] === undefined) inputs.pop();
    n.inputs = inputs;
    if (old) {
      this.dropUse(old, n);
      this.cascade(old);
    }
    if (v) {
      const list = this.uses.get(v);
      if (list) list.push(n);
      else this.uses.set(v, [n]);
    }
    this.changed = true;
  }

  /** Schedules `nodes` (in order) to go right before `anchor`; their operands must be defined before it. */
  insertBefore(anchor: Node, nodes: readonly Node[]): void {
    if (nodes.length === 0) return;
    const list = this.pending.get(anchor);
    if (list) list.push(...nodes);
    else this.pending.set(anchor, [...nodes]);
    for (const n of nodes) this.indexUses(n);
    this.changed = true;
  }

  /** Registers a constant created outside `graph.addConstant` (e.g. in a scratch graph). */
  adoptConstant(v: Value): void {
    this.addedConstants.push(v);
    this.touchedConstants.add(v);
    this.changed = true;
  }

  /** Adds a constant to the graph (named from `hint`). */
  addConstant(hint: string, data: Parameters<Graph['addConstant']>[1]): Value {
    const v = this.graph.addConstant(hint, data);
    this.graph.constants.pop(); // kept in addedConstants until commit, so that graph.constants is stable meanwhile
    this.adoptConstant(v);
    return v;
  }

  /**
   * Removes a node whose results are unused, then every producer that became dead through it (all ops are pure).
   * Returns the nodes removed.
   */
  remove(n: Node): Node[] {
    const out: Node[] = [];
    const stack = [n];
    while (stack.length > 0) {
      const node = stack.pop()!;
      if (this.removed.has(node) || !this.isDead(node)) continue;
      this.removed.add(node);
      out.push(node);
      for (const v of node.inputs) {
        if (!v) continue;
        this.dropUse(v, node);
        if (v.producer && !this.removed.has(v.producer) && this.isDead(v.producer)) stack.push(v.producer);
      }
    }
    if (out.length > 0) this.changed = true;
    return out;
  }

  private cascade(v: Value): void {
    if (v.producer && this.isDead(v.producer)) this.remove(v.producer);
  }

  /** The live nodes in topological order, pending insertions included (without committing). */
  liveNodes(): Node[] {
    const out: Node[] = [];
    const emit = (n: Node): void => {
      const before = this.pending.get(n);
      if (before) for (const p of before) emit(p);
      if (!this.removed.has(n)) out.push(n);
    };
    for (const n of this.graph.nodes) emit(n);
    return out;
  }

  /** Writes the edits back into the graph: node order with insertions, removed nodes and dead constants gone. */
  commit(): void {
    this.graph.nodes = this.liveNodes();
    this.pending.clear();
    this.removed.clear();
    const constants = [...this.graph.constants, ...this.addedConstants];
    this.addedConstants.length = 0;
    this.graph.constants = constants.filter((c) => !this.touchedConstants.has(c) || this.useCount(c) > 0);
    this.touchedConstants.clear();
  }
}

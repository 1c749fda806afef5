/**
 * Message trees given as parent links (ChatGPT's `mapping`, Open WebUI's `history.messages`): made acyclic, put in
 * an order where every parent comes before its children, and the active branch found. Everything iterates, so a
 * 10,000-deep conversation is as safe as a flat one; every repair is described for the warnings.
 */

export interface TreeNodeInput {
  id: string;
  /** The parent's id as written; null or undefined for a root. */
  parent: string | null | undefined;
  /** The children as the source lists them, used only to order siblings. */
  children?: readonly string[];
}

export interface ShapedTree {
  /** Every node's parent after repairs (null for roots). */
  parentOf: ReadonlyMap<string, string | null>;
  /** Depth-first pre-order: parents before children, siblings in the source's order. */
  order: string[];
  /** Nodes whose parent was missing; they became roots. */
  orphans: string[];
  /** One node per parent cycle, whose link was cut to end the cycle. */
  cycleBreaks: string[];
}

const UNVISITED = 0;
const ON_PATH = 1;
const DONE = 2;

export function shapeTree(nodes: readonly TreeNodeInput[]): ShapedTree {
  const index = new Map<string, number>();
  nodes.forEach((node, position) => {
    if (!index.has(node.id)) index.set(node.id, position);
  });
  const parentOf = new Map<string, string | null>();
  const orphans: string[] = [];
  for (const node of nodes) {
    if (parentOf.has(node.id)) continue;
    const parent = node.parent ?? null;
    if (parent !== null && (!index.has(parent) || parent === node.id)) {
      // A self-link is a one-node cycle: counted with the cycles below.
      if (parent !== node.id) orphans.push(node.id);
      parentOf.set(node.id, parent === node.id ? node.id : null);
    } else {
      parentOf.set(node.id, parent);
    }
  }

  // Walk up from each node; meeting a node on the current walk means a cycle, cut at that node.
  const state = new Map<string, number>();
  const cycleBreaks: string[] = [];
  for (const start of parentOf.keys()) {
    if ((state.get(start) ?? UNVISITED) !== UNVISITED) continue;
    const path: string[] = [];
    let current: string | null = start;
    while (current !== null) {
      const seen = state.get(current) ?? UNVISITED;
      if (seen === DONE) break;
      if (seen === ON_PATH) {
        cycleBreaks.push(current);
        parentOf.set(current, null);
        break;
      }
      state.set(current, ON_PATH);
      path.push(current);
      current = parentOf.get(current) ?? null;
    }
    for (const id of path) state.set(id, DONE);
  }

  // Children in the order their parent lists them, then in source order.
  const rank = new Map<string, number>();
  for (const node of nodes) {
    node.children?.forEach((child, position) => {
      if (parentOf.get(child) === node.id && !rank.has(child)) rank.set(child, position);
    });
  }
  const childrenOf = new Map<string, string[]>();
  const roots: string[] = [];
  for (const id of parentOf.keys()) {
    const parent = parentOf.get(id) ?? null;
    if (parent === null) roots.push(id);
    else {
      let list = childrenOf.get(parent);
      if (!list) childrenOf.set(parent, (list = []));
      list.push(id);
    }
  }
  const sourceOrder = (a: string, b: string): number =>
    (rank.get(a) ?? Number.MAX_SAFE_INTEGER) - (rank.get(b) ?? Number.MAX_SAFE_INTEGER) ||
    index.get(a)! - index.get(b)!;
  for (const list of childrenOf.values()) list.sort(sourceOrder);

  const order: string[] = [];
  const stack = [...roots].reverse();
  while (stack.length > 0) {
    const id = stack.pop()!;
    order.push(id);
    const children = childrenOf.get(id);
    if (children) for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
  return { parentOf, order, orphans, cycleBreaks };
}

/** The ids from `leaf` up to its root (the active branch when `leaf` is the current node). */
export function branchTo(tree: ShapedTree, leaf: string): Set<string> {
  const branch = new Set<string>();
  let current: string | null = tree.parentOf.has(leaf) ? leaf : null;
  while (current !== null && !branch.has(current)) {
    branch.add(current);
    current = tree.parentOf.get(current) ?? null;
  }
  return branch;
}

/** The leaf reached from the last root by always taking the last child: the newest branch when none is marked. */
export function latestLeaf(tree: ShapedTree): string | undefined {
  const childrenOf = new Map<string, string[]>();
  const roots: string[] = [];
  for (const id of tree.order) {
    const parent = tree.parentOf.get(id) ?? null;
    if (parent === null) roots.push(id);
    else {
      let list = childrenOf.get(parent);
      if (!list) childrenOf.set(parent, (list = []));
      list.push(id);
    }
  }
  let current = roots.at(-1);
  while (current !== undefined) {
    const next = childrenOf.get(current)?.at(-1);
    if (next === undefined) return current;
    current = next;
  }
  return undefined;
}

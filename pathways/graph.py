"""Graph rules and drawing geometry for pathways. Pure: no Django; ids and tuples in, plain data
out.

Nodes are step ids, edges ``(source_id, target_id)`` pairs. The layout is layered left to right:
a step's column is its longest distance from an entry along forward edges; edges that go back
(loops such as "return to main menu") are routed under the diagram.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

NODE_W, NODE_H = 210, 62
ROW_GAP, MIN_COL_GAP, MARGIN = 34, 90, 24
CHAR_W = 6.6  # approximate width of one 12 px label character
LABEL_H = 18
BACK_LANE_H = 26


def reachable(entries, edges):
    """Step ids reachable from any of ``entries`` (entries included)."""
    out = defaultdict(list)
    for a, b in edges:
        out[a].append(b)
    seen, stack = set(entries), list(entries)
    while stack:
        for nxt in out[stack.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def strongly_connected(nodes, edges):
    """Tarjan's strongly connected components, as lists of node ids."""
    out = defaultdict(list)
    for a, b in edges:
        out[a].append(b)
    index, low, on_stack, stack, comps = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        # iterative to be safe on long pathways
        work = [(v, iter(out[v]))]
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        while work:
            node, children = work[-1]
            advanced = False
            for w in children:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(out[w])))
                    advanced = True
                    break
                if w in on_stack:
                    low[node] = min(low[node], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                comps.append(comp)

    for n in nodes:
        if n not in index:
            visit(n)
    return comps


def unreachable_cycles(nodes, edges, entries):
    """Cycles (strongly connected groups, or a step looping to itself) that no entry reaches:
    contacts could never get into them, so the pathway is wrong."""
    seen = reachable(entries, edges)
    loops = {a for a, b in edges if a == b}
    return [sorted(c) for c in strongly_connected(nodes, edges)
            if (len(c) > 1 or c[0] in loops) and not (set(c) & seen)]


@dataclass
class NodeBox:
    id: int
    x: float
    y: float
    column: int
    reachable: bool = True


@dataclass
class EdgePath:
    key: object
    source: int
    target: int
    d: str
    label: str
    label_x: float
    label_y: float
    label_w: float
    back: bool = False


@dataclass
class Layout:
    width: float
    height: float
    nodes: dict[int, NodeBox] = field(default_factory=dict)
    edges: list[EdgePath] = field(default_factory=list)


def _columns(nodes, edges, entries):
    """Longest-path layering over the forward edges of a DFS from the entries."""
    out = defaultdict(list)
    for a, b in edges:
        out[a].append(b)
    order = [n for n in nodes if n in entries] + [n for n in nodes if n not in entries]
    state, back, topo = {}, set(), []
    for root in order:
        if root in state:
            continue
        state[root] = 1
        work = [(root, iter(out[root]))]
        while work:
            node, children = work[-1]
            pushed = False
            for w in children:
                if state.get(w) == 1:
                    back.add((node, w))
                elif w not in state:
                    state[w] = 1
                    work.append((w, iter(out[w])))
                    pushed = True
                    break
            if not pushed:
                state[node] = 2
                topo.append(node)
                work.pop()
    column = dict.fromkeys(nodes, 0)
    for node in reversed(topo):
        for w in out[node]:
            if (node, w) not in back and w != node:
                column[w] = max(column[w], column[node] + 1)
    return column, back


def layered_layout(nodes, edges, entries, labels=None):
    """Positions for every node and a path plus label position for every edge.

    ``nodes`` is an ordered list of ids; ``edges`` a list of ``(key, source, target)``; ``labels``
    maps edge key to its text. Labels of edges in one column gap are stacked so none overlap, and
    the gap is made wide enough for the longest label.
    """
    labels = labels or {}
    pairs = [(a, b) for _, a, b in edges]
    column, back = _columns(nodes, pairs, set(entries))
    seen = reachable(entries, pairs)
    n_cols = max(column.values(), default=0) + 1
    cols = defaultdict(list)
    for n in nodes:
        cols[column[n]].append(n)
    # order within columns by the mean row of predecessors (two sweeps are enough here)
    rank = {n: i for c in cols.values() for i, n in enumerate(c)}
    preds = defaultdict(list)
    for a, b in pairs:
        if column[a] < column[b]:
            preds[b].append(a)
    for c in range(1, n_cols):
        cols[c].sort(key=lambda n: (sum(rank[p] for p in preds[n]) / len(preds[n])
                                    if preds[n] else rank[n], rank[n]))
        for i, n in enumerate(cols[c]):
            rank[n] = i

    gap_width = defaultdict(lambda: MIN_COL_GAP)
    for key, a, b in edges:
        if (a, b) in back or column[a] >= column[b]:
            continue
        text = labels.get(key, "")
        gap_width[column[a]] = max(gap_width[column[a]], len(text) * CHAR_W + 40)
    x_of_col, x = {}, MARGIN
    for c in range(n_cols):
        x_of_col[c] = x
        x += NODE_W + gap_width[c]
    rows = max((len(v) for v in cols.values()), default=1)
    body_h = rows * NODE_H + (rows - 1) * ROW_GAP
    layout = Layout(width=x - gap_width[n_cols - 1] + MARGIN, height=0)
    for c, members in cols.items():
        offset = (body_h - (len(members) * NODE_H + (len(members) - 1) * ROW_GAP)) / 2
        for i, n in enumerate(members):
            layout.nodes[n] = NodeBox(id=n, x=x_of_col[c], column=c, reachable=n in seen,
                                      y=MARGIN + offset + i * (NODE_H + ROW_GAP))

    # forward edges to the next column: label in the gap, stacked without overlap; edges that
    # skip columns run in their own lane above the diagram so they never cross a step
    by_gap = defaultdict(list)
    back_edges, long_edges = [], []
    for key, a, b in edges:
        if (a, b) in back or column[a] >= column[b]:
            back_edges.append((key, a, b))
        elif column[b] - column[a] > 1:
            long_edges.append((key, a, b))
        else:
            by_gap[column[a]].append((key, a, b))
    top = len(long_edges) * BACK_LANE_H + (10 if long_edges else 0)
    for box in layout.nodes.values():
        box.y += top
    for i, (key, a, b) in enumerate(long_edges):
        sa, sb = layout.nodes[a], layout.nodes[b]
        lane = MARGIN + i * BACK_LANE_H + 4
        text = labels.get(key, "")
        c = column[a]
        gx = x_of_col[c] + NODE_W + gap_width[c] / 2
        x1, y1 = sa.x + NODE_W, sa.y + NODE_H / 2
        x2, y2 = sb.x, sb.y + NODE_H / 2
        drop = x2 - 24
        d = (f"M{x1:.1f},{y1:.1f} C{x1 + 30:.1f},{y1:.1f} {gx - 40:.1f},{lane:.1f} "
             f"{gx:.1f},{lane:.1f} L{drop - 12:.1f},{lane:.1f} "
             f"C{drop + 6:.1f},{lane:.1f} {drop - 6:.1f},{y2:.1f} {x2:.1f},{y2:.1f}")
        layout.edges.append(EdgePath(key=key, source=a, target=b, d=d, label=text,
                                     label_x=gx, label_y=lane, label_w=len(text) * CHAR_W + 12))
    for c, group in by_gap.items():
        wanted = []
        for key, a, b in group:
            sa, sb = layout.nodes[a], layout.nodes[b]
            y1, y2 = sa.y + NODE_H / 2, sb.y + NODE_H / 2
            wanted.append(((y1 + y2) / 2, key, a, b))
        wanted.sort(key=lambda t: (t[0], t[1]))
        last = -1e9
        for y, key, a, b in wanted:
            y = max(y, last + LABEL_H + 4)
            last = y
            sa, sb = layout.nodes[a], layout.nodes[b]
            text = labels.get(key, "")
            gx = x_of_col[c] + NODE_W + gap_width[c] / 2
            x1, y1 = sa.x + NODE_W, sa.y + NODE_H / 2
            x2, y2 = sb.x, sb.y + NODE_H / 2
            d = (f"M{x1:.1f},{y1:.1f} C{x1 + 30:.1f},{y1:.1f} {gx - 30:.1f},{y:.1f} "
                 f"{gx:.1f},{y:.1f} C{gx + 30:.1f},{y:.1f} {x2 - 30:.1f},{y2:.1f} "
                 f"{x2:.1f},{y2:.1f}")
            layout.edges.append(EdgePath(key=key, source=a, target=b, d=d, label=text,
                                         label_x=gx, label_y=y, label_w=len(text) * CHAR_W + 12))
    body_h += top
    height = max(MARGIN * 2 + body_h, max((e.label_y for e in layout.edges), default=0) + 20)
    # back edges: out of the source's right side, down its gap to a lane of their own under the
    # diagram, and up the gap before the target into its left side (never across a step)
    for i, (key, a, b) in enumerate(back_edges):
        sa, sb = layout.nodes[a], layout.nodes[b]
        lane = height + BACK_LANE_H * i + 10
        y1, y2 = sa.y + NODE_H / 2, sb.y + NODE_H / 2
        x1, x2 = sa.x + NODE_W, sb.x
        out_x, in_x = x1 + 12 + 3 * i, x2 - 12 - 3 * i
        text = labels.get(key, "")
        d = (f"M{x1:.1f},{y1:.1f} L{out_x:.1f},{y1:.1f} L{out_x:.1f},{lane:.1f} "
             f"L{in_x:.1f},{lane:.1f} L{in_x:.1f},{y2:.1f} L{x2:.1f},{y2:.1f}")
        layout.edges.append(EdgePath(key=key, source=a, target=b, d=d, label=text, back=True,
                                     label_x=(out_x + in_x) / 2, label_y=lane,
                                     label_w=len(text) * CHAR_W + 12))
    if back_edges:
        layout.width += 12 + 3 * len(back_edges)
    layout.height = height + BACK_LANE_H * len(back_edges) + (20 if back_edges else 0)
    return layout

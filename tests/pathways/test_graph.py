"""Pure pathway graph rules and the layered drawing (no database)."""
from pathways.graph import (
    CHAR_W,
    NODE_H,
    NODE_W,
    layered_layout,
    reachable,
    unreachable_cycles,
)


def test_reachable_follows_edges_from_entries():
    assert reachable({1}, [(1, 2), (2, 3), (4, 5)]) == {1, 2, 3}


def test_a_loop_no_entry_reaches_is_reported():
    # 1 → 2 is the reachable part; 3 ⇄ 4 is a closed loop nothing enters
    assert unreachable_cycles([1, 2, 3, 4], [(1, 2), (3, 4), (4, 3)], {1}) == [[3, 4]]


def test_a_loop_reached_from_an_entry_is_fine():
    # "return to main menu" loops are normal when the entry reaches them
    assert unreachable_cycles([1, 2, 3], [(1, 2), (2, 3), (3, 1)], {1}) == []


def test_a_self_loop_outside_the_reachable_part_is_a_cycle():
    assert unreachable_cycles([1, 2], [(2, 2)], {1}) == [[2]]


def _boxes_overlap(a, b):
    return not (a[0] + a[2] <= b[0] or b[0] + b[2] <= a[0]
                or a[1] + a[3] <= b[1] or b[1] + b[3] <= a[1])


def test_layout_puts_steps_in_columns_and_no_labels_or_nodes_overlap():
    nodes = [1, 2, 3, 4, 5, 6]
    edges = [("a", 1, 2, ), ("b", 1, 3), ("c", 1, 4), ("d", 2, 5), ("e", 3, 5), ("f", 4, 5),
             ("g", 5, 6), ("h", 6, 2)]
    labels = {k: f"Menu option {k} with a long label" for k, *_ in edges}
    layout = layered_layout(nodes, edges, {1}, labels)
    columns = {n: layout.nodes[n].column for n in nodes}
    assert columns == {1: 0, 2: 1, 3: 1, 4: 1, 5: 2, 6: 3}
    boxes = [(b.x, b.y, NODE_W, NODE_H) for b in layout.nodes.values()]
    boxes += [(e.label_x - e.label_w / 2, e.label_y - 9, e.label_w, 18) for e in layout.edges
              if not e.back]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not _boxes_overlap(a, b), (a, b)
    back = [e for e in layout.edges if e.back]
    assert [e.key for e in back] == ["h"]  # 6 → 2 goes back and is routed under the diagram
    assert back[0].label_y > max(b.y + NODE_H for b in layout.nodes.values())
    # the gap after column 0 is wide enough for its longest label
    assert layout.nodes[2].x - (layout.nodes[1].x + NODE_W) >= len(labels["a"]) * CHAR_W
    assert layout.width >= max(b.x + NODE_W for b in layout.nodes.values())

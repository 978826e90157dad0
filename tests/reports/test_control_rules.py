"""The special-cause rules read over all windows at once flag exactly the points the
point-by-point reading of the rules flags (any series, any length, zeros and ties)."""
import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.analysis import control


def _point_by_point(z, values=None) -> pd.DataFrame:
    """The rules as written in the control-chart literature, one point at a time."""
    z = np.asarray(z, float)
    v = z if values is None else np.asarray(values, float)
    n = len(z)
    flags = {k: np.zeros(n, dtype=bool) for k in control.RULES}
    flags["beyond_3_sigma"] = np.abs(z) > 3
    side = np.sign(z)
    for i in range(n):
        if i >= 7 and side[i] != 0 and np.all(side[i - 7: i + 1] == side[i]):
            flags["run_of_8"][i - 7: i + 1] = True
        if i >= 5:
            d = np.diff(v[i - 5: i + 1])
            if np.all(d > 0) or np.all(d < 0):
                flags["trend_of_6"][i - 5: i + 1] = True
        if i >= 2:
            w = z[i - 2: i + 1]
            for s in (1, -1):
                if np.sum(s * w > 2) >= 2:
                    flags["two_of_three_beyond_2_sigma"][i] = True
    out = pd.DataFrame(flags)
    out["special_cause"] = out.any(axis=1)
    return out


values = st.lists(st.sampled_from([-3.5, -2.5, -1.0, 0.0, 0.5, 1.0, 2.5, 3.5]), max_size=40)


@settings(max_examples=300, deadline=None)
@given(values, st.booleans())
def test_the_rules_over_windows_flag_what_the_point_by_point_reading_flags(z, own_values):
    v = np.cumsum(z) if own_values else None
    pd.testing.assert_frame_equal(control.special_causes(z, v), _point_by_point(z, v))


def test_each_rule_fires_on_its_pattern():
    run = control.special_causes([1.0] * 8)
    assert run["run_of_8"].all() and not run["trend_of_6"].any()
    trend = control.special_causes([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [1, 2, 3, 4, 5, 6])
    assert trend["trend_of_6"].all()
    two = control.special_causes([2.5, 0.0, 2.5])
    assert two["two_of_three_beyond_2_sigma"].tolist() == [False, False, True]
    assert control.special_causes([]).empty

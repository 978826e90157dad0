"""Post-contact surveys: who is asked, who answers, and what they say.

Pure module. Satisfaction depends on the experience the simulation actually produced (total
wait, transfers, overflow, whether the problem was solved), so CSAT/NPS move with service.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

COMMENTS = {
    "long_wait": ("Waited far too long to get through.", "The hold music went on forever.",
                  "Took ages to reach anyone, but they sorted it in the end.",
                  "Queue time was ridiculous today."),
    "transferred": ("I was passed from one department to another.",
                    "Had to explain my problem twice after being transferred.",
                    "Got transferred and had to start again."),
    "unresolved": ("My problem still isn't fixed.", "Nobody could actually answer my question.",
                   "I will have to call again, nothing was resolved.",
                   "Promised a call back that never came."),
    "good": ("Really helpful and friendly, thank you.", "Quick and easy, sorted first time.",
             "The agent knew exactly what to do.", "Great service, very patient with me.",
             "Clear explanation of my bill."),
    "neutral": ("It was fine.", "OK, got what I needed.", "Average experience.",
                "No complaints."),
}


def survey_responses(contacts: pd.DataFrame, legs: pd.DataFrame, config,
                     rng: np.random.Generator) -> pd.DataFrame:
    """Survey responses for handled contacts.

    Returns columns response_id, contact (index), responded_t (UTC epoch), csat (1–5),
    nps (0–10), resolved_first_time (bool), comment ('' when none).
    """
    handled = legs[legs["outcome"].isin(["answered", "transferred"])]
    if handled.empty:
        return pd.DataFrame(columns=["response_id", "contact", "responded_t", "csat", "nps",
                                     "resolved_first_time", "comment"])
    per = legs.assign(wait_s=np.where(legs["connect_t"].notna(),
                                      legs["connect_t"] - legs["enter_t"],
                                      legs["exit_t"] - legs["enter_t"]),
                      moved=legs["transfer_kind"].isin(["transfer", "escalation"]),
                      overflowed=legs["outcome"] == "overflowed",
                      end_t=legs["connect_t"] + legs["talk_s"] + legs["hold_s"])
    agg = per.groupby("contact").agg(wait_s=("wait_s", "sum"), moved=("moved", "any"),
                                     overflowed=("overflowed", "any"), end_t=("end_t", "max"))
    agg = agg[agg.index.isin(handled["contact"].unique())]
    asked = rng.random(len(agg)) < config.survey_rate
    agg = agg[asked]
    n = len(agg)
    channel = contacts["channel"].to_numpy()[agg.index.to_numpy()]
    system = contacts["system"].to_numpy()[agg.index.to_numpy()]
    wait = agg["wait_s"].to_numpy()
    moved = agg["moved"].to_numpy()
    slow = np.where(channel == "voice", wait > 120, np.where(channel == "chat", wait > 180,
                                                             wait > 12 * 3600))
    resolved = rng.random(n) < np.where(moved, 0.55, 0.84)
    score = np.select([channel == "voice", channel == "chat"], [4.25, 4.3], 3.95)
    score = score - np.where(channel == "voice", np.minimum(np.maximum(wait - 20, 0) / 200, 1.6),
                             np.where(slow, 0.8, 0.0))
    score -= 0.5 * moved + 0.3 * agg["overflowed"].to_numpy() + 1.2 * ~resolved
    score -= 0.15 * (system == "connect")
    score += rng.normal(0, 0.65, n)
    csat = np.clip(np.rint(score), 1, 5).astype(int)
    nps = np.clip(np.rint(2.3 * score - 1.0 + rng.normal(0, 1.1, n)), 0, 10).astype(int)
    comment = np.full(n, "", dtype=object)
    has = rng.random(n) < 0.4
    bucket = np.select([~resolved, moved, slow, csat >= 4], ["unresolved", "transferred",
                                                             "long_wait", "good"], "neutral")
    for key, texts in COMMENTS.items():
        sel = has & (bucket == key)
        comment[sel] = np.array(texts, dtype=object)[rng.integers(0, len(texts), sel.sum())]
    responded = agg["end_t"].to_numpy() + np.minimum(rng.lognormal(np.log(3 * 3600), 1.0, n),
                                                     3 * 86400)
    out = pd.DataFrame({"contact": agg.index.to_numpy(), "responded_t": responded,
                        "csat": csat, "nps": nps, "resolved_first_time": resolved,
                        "comment": comment}).sort_values(["responded_t", "contact"])
    out.insert(0, "response_id", [f"SR-{i:07d}" for i in range(1, len(out) + 1)])
    return out.reset_index(drop=True)

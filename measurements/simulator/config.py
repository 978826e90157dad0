"""What the simulated contact centre looks like: channels, IVR menu, queues, teams and targets.

Pure module (stdlib only). Times of day are minutes after local midnight in the centre's time
zone; durations are seconds; volumes are contacts per day before seasonality and trend.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# Opening hours per weekday (0 = Monday): (open minute, close minute) in local time, or None.
VOICE_HOURS = {0: (480, 1200), 1: (480, 1200), 2: (480, 1200), 3: (480, 1200),
               4: (480, 1200), 5: (540, 1020), 6: None}
BACK_OFFICE_HOURS = {0: (480, 1080), 1: (480, 1080), 2: (480, 1080), 3: (480, 1080),
                     4: (480, 1080), 5: (540, 780), 6: None}


@dataclass(frozen=True)
class Stream:
    """One arrival stream (a channel as customers use it).

    ``weekday_volume`` is the mean number of contacts on an ordinary Monday–Friday before
    seasonality/trend; ``weekday_factors`` scale it per weekday (Monday first). ``peaks`` are
    Gaussian bumps of the intraday profile as (centre hour, width hours, weight) over a flat
    ``night_level``; ``saturday_peaks`` replaces them on Saturdays. ``hours`` limits arrivals to
    opening hours (chat widget hidden when closed); ``None`` = arrivals around the clock.
    """

    channel: str
    weekday_volume: float
    weekday_factors: tuple[float, ...]
    peaks: tuple[tuple[float, float, float], ...]
    saturday_peaks: tuple[tuple[float, float, float], ...]
    night_level: float = 0.02
    hours: dict | None = None
    holiday_factor: float = 0.3


@dataclass(frozen=True)
class MenuOption:
    """An IVR menu option: digit, label, share of callers choosing it, target queue (``None`` =
    self-service), containment probability (self-service ends the call) and the contact types
    callers choosing it have (with weights)."""

    digit: str
    label: str
    share: float
    queue: str | None
    containment: float
    contact_types: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class QueueSpec:
    """A queue (ACD queue for voice, routing queue for digital channels).

    Handle times are lognormal with mean ``talk_mean_s`` and log-sd ``talk_sigma``; hold happens
    with ``hold_prob`` (lognormal, mean ``hold_mean_s``); after-contact work is lognormal with
    mean ``acw_mean_s``. Patience is Weibull with mean ``patience_mean_s`` and shape
    ``patience_shape`` (``None`` = customers never abandon, e-mail). A contact still waiting
    after ``overflow_after_s`` leaves for ``overflow_to``. ``transfers`` lists
    (target queue, probability, kind) with kind ``transfer`` or ``escalation``. The service
    level target is ``sl_target`` within ``sl_threshold_s``.
    """

    name: str
    channel: str
    system: str  # "asterisk", "connect" (the vendor) or "crm"
    talk_mean_s: float
    talk_sigma: float = 0.55
    hold_prob: float = 0.0
    hold_mean_s: float = 0.0
    acw_mean_s: float = 0.0
    patience_mean_s: float | None = 180.0
    patience_shape: float = 0.9
    overflow_after_s: float | None = None
    overflow_to: str | None = None
    transfers: tuple[tuple[str, float, str], ...] = ()
    sl_threshold_s: float = 20.0
    sl_target: float = 0.8
    contact_types: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Team:
    """A team of agents: the queues they serve as (queue, priority) with 1 = primary, the queues
    whose forecast they are staffed for, hours, how many contacts an agent works at once, and
    the agent id prefix used in exports. ``blended`` agents take up offline back-office work
    when idle and come back when contacts wait (see ``QueueEngine``)."""

    name: str
    skills: tuple[tuple[str, int], ...]
    plans_for: tuple[str, ...]
    hours: dict
    agent_prefix: str
    first_agent_number: int
    capacity: int = 1
    min_agents: int = 2
    system: str = "asterisk"
    pool: str = ""
    blended: bool = False


@dataclass(frozen=True)
class CentreConfig:
    """The whole simulated centre. ``shrinkage`` is what the planner allows for (breaks,
    absence, training); ``absence_rate`` is the share of planned shifts nobody turns up for;
    ``planning_gap`` is how far below each voice queue's service-level target the budget lets
    the planner staff (Erlang C ignores abandonment, so the achieved level comes out higher).
    Blended agents stay available for ``linger_s`` on average before taking up back-office
    work, and need ``recall_s`` on average to return to a waiting contact. Each customer has
    one of ``customer_segments`` in the CRM; ``unidentified_rate`` of contacts are not matched
    to a customer and carry no segment."""

    name: str = "Northbridge Utilities Customer Service"
    time_zone: str = "Europe/London"
    streams: tuple[Stream, ...] = ()
    menu: tuple[MenuOption, ...] = ()
    queues: tuple[QueueSpec, ...] = ()
    teams: tuple[Team, ...] = ()
    shrinkage: float = 0.07
    absence_rate: float = 0.06
    max_occupancy: float = 0.92
    planning_gap: float = 0.05
    linger_s: float = 120.0
    recall_s: float = 10.0
    ivr_hangup_rate: float = 0.03
    survey_rate: float = 0.09
    trend_per_year: float = 0.06
    customers: int = 60000
    #: Customer segments in the CRM (name, share of customers) and the share of contacts whose
    #: customer is not identified (withheld number, no account given): those carry no segment.
    customer_segments: tuple[tuple[str, float], ...] = (
        ("Retail", 0.62), ("Business", 0.16), ("Premier", 0.12), ("New customer", 0.10))
    unidentified_rate: float = 0.02
    voice_hours: dict = field(default_factory=lambda: VOICE_HOURS)

    def queue(self, name: str) -> QueueSpec:
        for q in self.queues:
            if q.name == name:
                return q
        raise KeyError(name)


WEEKDAY_PEAKS = ((10.5, 1.6, 1.0), (14.5, 2.2, 0.8), (18.0, 1.6, 0.5))
SATURDAY_PEAKS = ((11.0, 2.0, 1.0), (14.5, 1.5, 0.4))


def default_centre(time_zone: str = "Europe/London") -> CentreConfig:
    """A mid-size multi-channel utility centre: about 1,000–1,500 contacts on a weekday."""
    streams = (
        Stream("voice", 1350.0, (1.18, 1.05, 1.0, 0.98, 0.92, 0.45, 0.10), WEEKDAY_PEAKS,
               SATURDAY_PEAKS, night_level=0.015),
        Stream("chat", 150.0, (1.1, 1.05, 1.0, 1.0, 0.92, 0.55, 0.0),
               ((11.0, 1.8, 0.8), (19.0, 1.3, 1.0)), ((12.0, 2.5, 1.0),),
               night_level=0.0, hours=VOICE_HOURS),
        Stream("email", 120.0, (1.15, 1.05, 1.0, 0.98, 0.95, 0.5, 0.45),
               ((10.0, 2.5, 1.0), (20.5, 2.0, 0.6)), ((11.0, 3.0, 1.0),), night_level=0.06),
        Stream("web_form", 50.0, (1.1, 1.05, 1.0, 1.0, 0.95, 0.6, 0.55),
               ((12.0, 3.0, 1.0), (20.0, 2.0, 0.7)), ((12.0, 3.0, 1.0),), night_level=0.06),
    )
    menu = (
        MenuOption("1", "Billing", 0.33, "Billing", 0.0,
                   (("Bill enquiry", 0.5), ("Payment", 0.3), ("Direct debit", 0.2))),
        MenuOption("2", "Technical support", 0.26, "Technical Support", 0.04,
                   (("Fault", 0.55), ("Meter problem", 0.25), ("Smart meter setup", 0.2))),
        MenuOption("3", "Sales", 0.19, "Sales – Vendor", 0.0,
                   (("New connection", 0.5), ("Tariff change", 0.5))),
        MenuOption("4", "Balance and payments (self-service)", 0.16, None, 0.72,
                   (("Balance", 0.7), ("Payment", 0.3))),
        MenuOption("0", "Other enquiries", 0.06, "Customer Service", 0.0,
                   (("General enquiry", 0.6), ("Moving home", 0.4))),
    )
    # Published targets: 80 % in 20 s in-house, 80 % in 60 s for the vendor's contract.
    voice = dict(hold_prob=0.3, hold_mean_s=55.0, acw_mean_s=40.0, sl_target=0.8)
    queues = (
        QueueSpec("Billing", "voice", "asterisk", 290.0, **voice, patience_mean_s=270.0,
                  overflow_after_s=150.0, overflow_to="Customer Service",
                  transfers=(("Technical Support", 0.03, "transfer"),)),
        QueueSpec("Technical Support", "voice", "asterisk", 400.0, **voice,
                  patience_mean_s=300.0, overflow_after_s=180.0, overflow_to="Customer Service",
                  transfers=(("Billing", 0.03, "transfer"),
                             ("Technical – Tier 2", 0.07, "escalation"))),
        QueueSpec("Technical – Tier 2", "voice", "asterisk", 560.0, **voice,
                  patience_mean_s=600.0, patience_shape=1.5, sl_threshold_s=30.0),
        QueueSpec("Customer Service", "voice", "asterisk", 330.0, **voice,
                  patience_mean_s=240.0),
        QueueSpec("Sales – Vendor", "voice", "connect", 430.0, **voice, patience_mean_s=400.0,
                  patience_shape=1.3, sl_threshold_s=60.0,
                  transfers=(("Sales – Vendor", 0.03, "transfer"),)),
        QueueSpec("Chat", "chat", "crm", 540.0, talk_sigma=0.6, acw_mean_s=30.0,
                  patience_mean_s=420.0, patience_shape=1.1, sl_threshold_s=60.0,
                  sl_target=0.8,
                  contact_types=(("Bill enquiry", 0.4), ("Fault", 0.3), ("Moving home", 0.15),
                                 ("Tariff change", 0.15))),
        QueueSpec("E-mail", "email", "crm", 420.0, talk_sigma=0.5, acw_mean_s=20.0,
                  patience_mean_s=None, sl_threshold_s=24 * 3600.0, sl_target=0.9,
                  contact_types=(("Bill enquiry", 0.45), ("Complaint", 0.2),
                                 ("Meter reading", 0.2), ("Moving home", 0.15))),
        QueueSpec("Web forms", "web_form", "crm", 360.0, talk_sigma=0.5, acw_mean_s=20.0,
                  patience_mean_s=None, sl_threshold_s=48 * 3600.0, sl_target=0.9,
                  contact_types=(("Meter reading", 0.4), ("Moving home", 0.3),
                                 ("Complaint", 0.15), ("Direct debit", 0.15))),
    )
    teams = (
        Team("Billing team", (("Billing", 1), ("Customer Service", 2), ("Technical Support", 3)),
             ("Billing",), VOICE_HOURS, "Agent/", 1001, min_agents=1, pool="in-house voice",
             blended=True),
        Team("Technical team", (("Technical Support", 1), ("Customer Service", 2),
                                ("Billing", 3)),
             ("Technical Support",), VOICE_HOURS, "Agent/", 2001, min_agents=1,
             pool="in-house voice", blended=True),
        Team("Tier 2 team", (("Technical – Tier 2", 1), ("Technical Support", 2)),
             ("Technical – Tier 2",), VOICE_HOURS, "Agent/", 3001, min_agents=2, blended=True),
        Team("Generalists", (("Customer Service", 1), ("Billing", 2),
                             ("Technical Support", 2)), ("Customer Service",),
             VOICE_HOURS, "Agent/", 4001, min_agents=1, pool="in-house voice",
             blended=True),
        # The vendor's contract: at least two agents on the line whenever it is open.
        Team("Vendor sales", (("Sales – Vendor", 1),), ("Sales – Vendor",), VOICE_HOURS,
             "vendor.", 1, min_agents=2, system="connect", blended=True),
        Team("Chat team", (("Chat", 1),), ("Chat",), VOICE_HOURS, "chat.", 1, capacity=2,
             system="crm", blended=True),
        Team("Back office", (("E-mail", 1), ("Web forms", 1)), ("E-mail", "Web forms"),
             BACK_OFFICE_HOURS, "bo.", 1, min_agents=2, system="crm"),
    )
    return CentreConfig(time_zone=time_zone, streams=streams, menu=menu, queues=queues,
                        teams=teams)

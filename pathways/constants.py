"""Vocabularies of the pathways app."""
from django.db import models


class Channel(models.TextChoices):
    VOICE = "voice", "Voice"
    CHAT = "chat", "Chat"
    EMAIL = "email", "E-mail"
    WEB_FORM = "web_form", "Web form"
    SMS = "sms", "SMS"
    SOCIAL = "social", "Social"


class QueueKind(models.TextChoices):
    """What kind of routing point a queue code in the data stands for."""

    IVR = "ivr", "IVR"
    ACD = "acd", "ACD queue"
    WEB = "web", "Web / digital queue"
    CMS = "cms", "Case management"


class StepKind(models.TextChoices):
    IVR = "ivr", "IVR menu / node"
    QUEUE = "queue", "ACD queue (skill / split)"
    AGENT = "agent", "Agent handling"
    TRANSFER = "transfer", "Internal transfer"
    ESCALATION = "escalation", "Escalation"
    CMS = "cms", "Contact / case management system"
    WEB = "web", "Web-based contact (form, chat, e-mail, social)"
    CALLBACK = "callback", "Callback"
    SELF_SERVICE_END = "self_service_end", "Self-service end"
    EXIT = "exit", "Exit (abandon, disconnect, hand-off)"


class MeasurementMethod(models.TextChoices):
    TIMESTAMPS = "timestamps", "Event timestamps"
    COUNTS = "counts", "Counts"
    DURATIONS = "durations", "Durations"
    SURVEY = "survey", "Customer survey"
    QA = "qa", "Quality (QA) evaluation"
    AGENT_STATE = "agent_state", "Agent states"


class TransitionKind(models.TextChoices):
    ROUTE = "route", "Routing"
    MENU = "menu", "Menu option"
    OVERFLOW = "overflow", "Overflow"
    TRANSFER = "transfer", "Transfer"
    ESCALATION = "escalation", "Escalation"
    CALLBACK = "callback", "Callback"
    EXIT = "exit", "Exit"

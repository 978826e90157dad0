"""Stakeholders: who receives contact-centre information, what each may see (data scope), their
dashboards, and their scheduled report subscriptions."""

"""Stakeholder models (register, data scopes, dashboards, report schedules)."""

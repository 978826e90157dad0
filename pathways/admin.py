from django.contrib import admin

from .models import Agent, Pathway, Queue, Step, Transition


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "channel", "site", "centre"]
    list_filter = ["kind", "channel", "site"]


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "team", "site"]
    search_fields = ["code", "name"]


class StepInline(admin.TabularInline):
    model = Step
    extra = 0


@admin.register(Pathway)
class PathwayAdmin(admin.ModelAdmin):
    list_display = ["name", "channel", "centre"]
    inlines = [StepInline]


admin.site.register(Transition)

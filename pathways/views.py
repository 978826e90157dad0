"""Pathway pages: list, the pathway map (server-drawn SVG with observed volumes), and the forms
for pathways, steps and transitions. Managers edit; analysts read."""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.generic import TemplateView

from contactmis.forms import form_errors_from
from contactmis.roles import ManagerRequiredMixin, StaffRequiredMixin, is_manager
from contactmis.selectors import centre_get_or_create_default

from . import selectors, services
from .forms import ObservedPeriodForm, PathwayForm, StepForm, TransitionForm
from .models import Pathway, Step, Transition


class PathwayListView(StaffRequiredMixin, TemplateView):
    template_name = "pathways/pathway_list.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs),
                "pathways": selectors.pathway_list(self.request.scope),
                "can_edit": is_manager(self.request.user)}


class PathwayDetailView(StaffRequiredMixin, TemplateView):
    template_name = "pathways/pathway_detail.html"

    def get_context_data(self, **kwargs):
        pathway = selectors.pathway_get(self.kwargs["pk"], self.request.scope)
        steps = selectors.pathway_steps(pathway)
        transitions = selectors.pathway_transitions(pathway)
        period = ObservedPeriodForm(self.request.GET or None)
        dates = period.cleaned_data if period.is_valid() else {}
        volumes = selectors.pathway_observed_volumes(
            pathway, dates.get("start"), dates.get("end"), steps=steps, transitions=transitions)
        for step in steps:
            step.observed = volumes["steps"].get(step.pk) if volumes else None
        return {**super().get_context_data(**kwargs), "pathway": pathway, "steps": steps,
                "period_form": period,
                "transitions": transitions, "volumes": volumes,
                "diagram": selectors.pathway_diagram(pathway, volumes, steps, transitions),
                "problems": selectors.pathway_problems(pathway, steps, transitions),
                "unreachable": selectors.pathway_unreachable_steps(pathway, steps, transitions),
                "can_edit": is_manager(self.request.user)}


class ServiceFormView(ManagerRequiredMixin, TemplateView):
    """A manager form whose valid data goes to a service; service refusals land on the form."""

    template_name = "pathways/form.html"
    form_class = None
    title = ""

    def get_instance(self):
        raise NotImplementedError

    def get_back_url(self, instance):
        raise NotImplementedError

    def save(self, form, instance):
        raise NotImplementedError

    def get_form(self, instance):
        return self.form_class(self.request.POST or None, instance=instance,
                               initial=self.get_initial(instance))

    def get_initial(self, instance):
        return {}

    def get(self, request, *args, **kwargs):
        instance = self.get_instance()
        return self.render_to_response(self._context(self.get_form(instance), instance))

    def post(self, request, *args, **kwargs):
        instance = self.get_instance()
        form = self.get_form(instance)
        if form.is_valid():
            try:
                saved = self.save(form, instance)
            except ValidationError as exc:
                form_errors_from(form, exc)
            else:
                messages.success(request, f"Saved “{saved}”.")
                return redirect(self.get_success_url(saved))
        return self.render_to_response(self._context(form, instance))

    def get_success_url(self, saved):
        return self.get_back_url(saved)

    def _context(self, form, instance):
        return {"form": form, "title": self.title, "back_url": self.get_back_url(instance)}


class PathwayCreateView(ServiceFormView):
    form_class, title = PathwayForm, "New pathway"

    def get_instance(self):
        return Pathway(centre=centre_get_or_create_default())

    def get_back_url(self, instance):
        return reverse("pathways:pathway-list")

    def get_success_url(self, saved):
        return reverse("pathways:pathway-detail", args=[saved.pk])

    def save(self, form, instance):
        return services.pathway_create(centre=instance.centre, **form.cleaned_data)


class PathwayUpdateView(ServiceFormView):
    form_class, title = PathwayForm, "Edit pathway"

    def get_instance(self):
        return selectors.pathway_get(self.kwargs["pk"], self.request.scope)

    def get_back_url(self, instance):
        return reverse("pathways:pathway-detail", args=[instance.pk])

    def save(self, form, instance):
        return services.pathway_update(instance, **form.cleaned_data)


class StepCreateView(ServiceFormView):
    form_class, title = StepForm, "Add a step"

    def get_instance(self):
        return Step(pathway=selectors.pathway_get(self.kwargs["pk"], self.request.scope))

    def get_initial(self, instance):
        return {"is_entry": not instance.pathway.steps.exists()}

    def get_back_url(self, instance):
        return reverse("pathways:pathway-detail", args=[instance.pathway_id])

    def save(self, form, instance):
        return services.step_create(pathway=instance.pathway, **form.cleaned_data)


class StepUpdateView(ServiceFormView):
    form_class, title = StepForm, "Edit step"

    def get_instance(self):
        step = get_object_or_404(Step, pk=self.kwargs["pk"])
        selectors.pathway_get(step.pathway_id, self.request.scope)
        return step

    def get_back_url(self, instance):
        return reverse("pathways:pathway-detail", args=[instance.pathway_id])

    def save(self, form, instance):
        data = dict(form.cleaned_data)
        if data.get("position") is None:
            data["position"] = instance.position
        return services.step_update(instance, **data)


class TransitionCreateView(ServiceFormView):
    form_class, title = TransitionForm, "Add a transition"

    def get_instance(self):
        return Transition(pathway=selectors.pathway_get(self.kwargs["pk"], self.request.scope))

    def get_initial(self, instance):
        return {key: self.request.GET[key] for key in ("source", "target", "kind")
                if key in self.request.GET}

    def get_back_url(self, instance):
        return reverse("pathways:pathway-detail", args=[instance.pathway_id])

    def save(self, form, instance):
        return services.transition_create(pathway=instance.pathway, **form.cleaned_data)


class TransitionUpdateView(ServiceFormView):
    form_class, title = TransitionForm, "Edit transition"

    def get_instance(self):
        transition = get_object_or_404(Transition, pk=self.kwargs["pk"])
        selectors.pathway_get(transition.pathway_id, self.request.scope)
        return transition

    def get_back_url(self, instance):
        return reverse("pathways:pathway-detail", args=[instance.pathway_id])

    def save(self, form, instance):
        return services.transition_update(instance, **form.cleaned_data)


class ServiceDeleteView(ManagerRequiredMixin, TemplateView):
    """Confirm, then delete through a service; a refusal is shown with what refers to it."""

    template_name = "pathways/confirm_delete.html"

    def get_object(self):
        raise NotImplementedError

    def back_url(self, obj):
        raise NotImplementedError

    def delete(self, obj):
        raise NotImplementedError

    def references(self, obj):
        return []

    def get(self, request, *args, **kwargs):
        obj = self.get_object()
        return self.render_to_response({"object": obj, "back_url": self.back_url(obj),
                                        "references": self.references(obj)})

    def post(self, request, *args, **kwargs):
        obj = self.get_object()
        back = self.back_url(obj)
        try:
            self.delete(obj)
        except ValidationError as exc:
            return self.render_to_response({"object": obj, "back_url": back,
                                            "references": self.references(obj),
                                            "errors": exc.messages}, status=409)
        messages.success(request, f"Deleted “{obj}”.")
        return redirect(self.success_url(obj) or back)

    def success_url(self, obj):
        return None


class StepDeleteView(ServiceDeleteView):
    def get_object(self):
        step = get_object_or_404(Step, pk=self.kwargs["pk"])
        selectors.pathway_get(step.pathway_id, self.request.scope)
        return step

    def back_url(self, obj):
        return reverse("pathways:pathway-detail", args=[obj.pathway_id])

    def references(self, obj):
        return selectors.step_references(obj)

    def delete(self, obj):
        services.step_delete(obj)


class TransitionDeleteView(ServiceDeleteView):
    def get_object(self):
        transition = get_object_or_404(Transition, pk=self.kwargs["pk"])
        selectors.pathway_get(transition.pathway_id, self.request.scope)
        return transition

    def back_url(self, obj):
        return reverse("pathways:pathway-detail", args=[obj.pathway_id])

    def delete(self, obj):
        services.transition_delete(obj)


class PathwayDeleteView(ServiceDeleteView):
    def get_object(self):
        return selectors.pathway_get(self.kwargs["pk"], self.request.scope)

    def back_url(self, obj):
        return reverse("pathways:pathway-detail", args=[obj.pk])

    def success_url(self, obj):
        return reverse("pathways:pathway-list")

    def references(self, obj):
        return [(f"{what} (at step {step.name})", n, ex) for step in obj.steps.all()
                for what, n, ex in selectors.step_references(step)]

    def delete(self, obj):
        services.pathway_delete(obj)

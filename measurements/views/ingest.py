"""Data collection pages: data sources, column mappings, uploads, import batches."""
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views import View
from django.views.generic import DetailView, FormView, ListView

from contactmis.forms import form_errors_from
from contactmis.params import id_field, page_param
from contactmis.roles import ManagerRequiredMixin, StaffRequiredMixin
from contactmis.selectors import centre_current, centre_get_or_create_default

from ..constants import BatchStatus
from ..forms.ingest import DataSourceForm, MappingForm, SampleForm, UploadForm
from ..models import DataSource, ImportBatch
from ..selectors.ingest import (
    batch_list,
    batch_progress,
    batch_rejects,
    mapping_preview,
    source_list,
)
from ..services.ingest import (
    batch_create,
    batch_retry,
    mapping_sample_save,
    rejects_csv,
    source_create,
    source_mapping_save,
    source_update,
)

MAX_FILES_PER_UPLOAD = 20


class SourceListView(StaffRequiredMixin, ListView):
    template_name = "measurements/ingest/source_list.html"
    context_object_name = "sources"

    def get_queryset(self):
        return source_list(centre_current())


class SourceFormView(ManagerRequiredMixin, FormView):
    """Create (no pk) or edit a data source."""

    template_name = "measurements/ingest/source_form.html"
    form_class = DataSourceForm

    def get_object(self):
        pk = self.kwargs.get("pk")
        return get_object_or_404(DataSource, pk=pk) if pk else None

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = self.get_object()
        if kwargs["instance"] is None:
            centre = centre_current()
            kwargs["initial"] = {"time_zone": centre.time_zone if centre else "UTC"}
        return kwargs

    def form_valid(self, form):
        source = self.get_object()
        fields = {f: form.cleaned_data[f] for f in form.Meta.fields}
        try:
            if source:
                source = source_update(source, **fields)
            else:
                source = source_create(centre=centre_get_or_create_default(), **fields)
        except ValidationError as exc:
            form_errors_from(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, f"Data source “{source.name}” saved.")
        if source.export_format == "generic" and not source.column_mapping:
            return redirect("measurements:source-mapping", pk=source.pk)
        return redirect("measurements:source-list")

    def get_context_data(self, **kwargs):
        return super().get_context_data(source=self.get_object(), **kwargs)


class SourceMappingView(ManagerRequiredMixin, View):
    """Set up the column mapping: the saved mapping first (what each column of this source's
    files is read as), then a sample's first rows and the form, which starts from the saved
    mapping; a mapping can be edited without uploading a sample again."""

    template_name = "measurements/ingest/source_mapping.html"
    # Mapping keys the form edits; any other saved key (delimiter, state values) is kept.
    FORM_KEYS = {"columns", "duration_unit", "channel", "queue_kind", "datetime_format",
                 "time_zone", "queue", "outcome_values"}

    @staticmethod
    def _columns(source, preview):
        """The sample's columns, then any column the saved mapping names that the sample lacks
        (so editing starts from the saved choice rather than dropping it)."""
        columns = list(preview["columns"]) if preview and not preview["error"] else []
        saved = (source.column_mapping or {}).get("columns") or {}
        return columns + [c for c in saved.values() if c not in columns]

    @staticmethod
    def _editable(source):
        return (source.column_mapping or {}).get("records", "contacts") == "contacts"

    def _render(self, request, source, form, sample_form):
        from django.shortcuts import render

        preview = mapping_preview(source)
        return render(request, self.template_name, {
            "source": source, "form": form, "sample_form": sample_form, "preview": preview,
            "saved": saved_mapping_rows(source.column_mapping or {}),
            "editable": self._editable(source),
            "show_form": self._editable(source) and bool(self._columns(source, preview))})

    def get(self, request, pk):
        source = get_object_or_404(DataSource, pk=pk)
        preview = mapping_preview(source)
        form = MappingForm(columns=self._columns(source, preview),
                           initial=MappingForm.initial_from(source.column_mapping or {}))
        return self._render(request, source, form, SampleForm())

    def post(self, request, pk):
        source = get_object_or_404(DataSource, pk=pk)
        if "sample" in request.FILES:
            sample_form = SampleForm(request.POST, request.FILES)
            if sample_form.is_valid():
                mapping_sample_save(source, sample_form.cleaned_data["sample"])
                return redirect("measurements:source-mapping", pk=source.pk)
            return self._render(request, source, MappingForm(
                columns=self._columns(source, mapping_preview(source)),
                initial=MappingForm.initial_from(source.column_mapping or {})), sample_form)
        if not self._editable(source):
            raise Http404("This source's mapping is not edited on this page.")
        preview = mapping_preview(source)
        form = MappingForm(request.POST, columns=self._columns(source, preview))
        if form.is_valid():
            kept = {k: v for k, v in (source.column_mapping or {}).items()
                    if k not in self.FORM_KEYS}
            try:
                source_mapping_save(source, {**kept, **form.mapping()})
            except ValidationError as exc:
                form_errors_from(form, exc)
            else:
                messages.success(request, f"Column mapping of “{source.name}” saved.")
                return redirect("measurements:source-list")
        return self._render(request, source, form, SampleForm())


def saved_mapping_rows(mapping: dict) -> dict:
    """The saved mapping in words: ``columns`` as (what it is read as, the file's column) and
    ``options`` as (setting, value)."""
    if not mapping:
        return {}
    records = mapping.get("records", "contacts")
    columns = [(field.replace("_", " ").capitalize(), column)
               for field, column in (mapping.get("columns") or {}).items()]
    labels = {"duration_unit": "Durations in", "channel": "Channel (no channel column)",
              "queue": "Routing point (no queue column)", "queue_kind": "Routing point kind",
              "datetime_format": "Date and time format", "time_zone": "Time zone",
              "delimiter": "Column separator"}
    units = {"s": "seconds", "ms": "milliseconds", "min": "minutes", "h": "hours"}
    options = [(text, units.get(mapping[key], mapping[key]) if key == "duration_unit"
                else mapping[key]) for key, text in labels.items() if mapping.get(key)]
    for name in ("outcome_values", "state_values"):
        for value, meaning in (mapping.get(name) or {}).items():
            options.append((f"File value “{value}”", f"read as {meaning}"))
    return {"records": "agent states" if records == "agent_states" else "contacts",
            "columns": columns, "options": options}


class BatchListView(StaffRequiredMixin, ListView):
    template_name = "measurements/ingest/batch_list.html"
    context_object_name = "batches"
    paginate_by = 50

    def get_queryset(self):
        return batch_list(
            source_id=page_param(self.request, "source", id_field()),
            status=page_param(self.request, "status",
                              forms.ChoiceField(choices=BatchStatus.choices, required=False)))

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            upload_form=UploadForm(centre=centre_current()), statuses=BatchStatus.choices,
            max_files=MAX_FILES_PER_UPLOAD, **kwargs)


class BatchUploadView(StaffRequiredMixin, View):
    """POST several files; JSON for the page's XHR upload, a redirect for a plain form post."""

    def post(self, request):
        form = UploadForm(request.POST, centre=centre_current())
        files = request.FILES.getlist("files")
        wants_json = request.headers.get("Accept", "").startswith("application/json")
        errors = []
        if not form.is_valid():
            errors += [f"{k}: {' '.join(v)}" for k, v in form.errors.items()]
        if not files:
            errors.append("Choose at least one file.")
        if len(files) > MAX_FILES_PER_UPLOAD:
            errors.append(f"At most {MAX_FILES_PER_UPLOAD} files at once; "
                          f"{len(files)} were sent.")
        created = []
        if not errors:
            for upload in files:
                try:
                    batch = batch_create(source=form.cleaned_data["source"], file=upload,
                                         original_name=upload.name, user=request.user,
                                         export_format=form.cleaned_data["export_format"])
                except ValidationError as exc:
                    errors += exc.messages
                    continue
                created.append(batch)
        if wants_json:
            return JsonResponse({
                "batches": [{"id": b.pk, "name": b.original_name, "status": b.status,
                             "url": reverse("measurements:batch-detail", args=[b.pk])}
                            for b in created],
                "errors": errors}, status=400 if errors and not created else 200)
        for e in errors:
            messages.error(request, e)
        if created:
            messages.success(request, f"{len(created)} file(s) received.")
        if len(created) == 1:
            return redirect("measurements:batch-detail", pk=created[0].pk)
        return redirect("measurements:batch-list")


class BatchDetailView(StaffRequiredMixin, DetailView):
    template_name = "measurements/ingest/batch_detail.html"
    context_object_name = "batch"

    def get_queryset(self):
        return batch_list()

    def get_context_data(self, **kwargs):
        batch = self.object
        return super().get_context_data(progress=batch_progress(batch),
                                        rejects=batch_rejects(batch), **kwargs)


class BatchProgressView(StaffRequiredMixin, View):
    def get(self, request, pk):
        batch = get_object_or_404(ImportBatch, pk=pk)
        return JsonResponse(batch_progress(batch))


class BatchRejectsCsvView(StaffRequiredMixin, View):
    def get(self, request, pk):
        batch = get_object_or_404(ImportBatch, pk=pk)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="batch-{batch.pk}-rejects.csv"'
        rejects_csv(batch, response)
        return response


class BatchRetryView(StaffRequiredMixin, View):
    def post(self, request, pk):
        try:
            batch_retry(pk)
        except ImportBatch.DoesNotExist as exc:
            raise Http404 from exc
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("measurements:batch-detail", pk=pk)

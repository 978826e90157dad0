"""Analysis endpoints: parameters validated by serializers (400 naming the parameter), data
always within ``request.scope``."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from contactmis.roles import ANALYST, MANAGER
from contactmis.selectors import centre_current
from measurements.models import DataSource
from pathways.models import Queue
from reports import analyses
from reports.analysis.erlang import staffing_table
from reports.models import Forecast
from reports.selectors import kpi_frame
from reports.semantics import frame_targets
from reports.services import ForecastError, forecast_issue

from . import serializers as s

STAFF = (MANAGER, ANALYST)


def _centre():
    centre = centre_current()
    if centre is None:
        from rest_framework.exceptions import NotFound

        raise NotFound("No contact centre is set up yet.")
    return centre


def _valid(serializer_class, data):
    ser = serializer_class(data=data)
    ser.is_valid(raise_exception=True)
    return ser.validated_data


def _query(request):
    data = request.query_params.copy()
    return {k: (data.getlist(k) if k == "by" else data.get(k)) for k in data}


def _without_charts(report):
    return {k: v for k, v in report.items() if k not in ("charts", "forecasts", "selected")}


class KpiAPIView(APIView):
    """KPIs per period and segment (every service-level variant side by side)."""

    @extend_schema(parameters=[s.KpiQuery], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        q = _valid(s.KpiQuery, _query(request))
        centre = _centre()
        frame = kpi_frame(request.scope, centre, q["start"], q["end"], q["granularity"],
                          q["by"], tz=q.get("timezone"), all_variants=True,
                          sl_threshold_s=q.get("sl_threshold"), sl_variant=q.get("sl_variant"))
        targets = frame_targets(frame, centre, q["start"], q["end"], scope=request.scope)
        rows = analyses.records(frame.drop(columns=["only_queue_id", "only_channel"]))
        for row, found in zip(rows, targets, strict=True):
            row["targets"] = {k: t.value for k, t in found.items()}
            row["targets_from"] = {k: t.describe() for k, t in found.items()}
        return Response({"definition": frame.attrs.get("definition", ""), "rows": rows})


class PatternAPIView(APIView):
    """Intraday profile, heatmap, seasonality, peaks, year-over-year, pathway flows."""

    @extend_schema(parameters=[s.PeriodQuery], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        q = _valid(s.PeriodQuery, _query(request))
        report = analyses.pattern_report(request.scope, _centre(), q["start"], q["end"])
        return Response(_without_charts(report))


class StaffingAPIView(APIView):
    """Required (Erlang C or A) versus actual agents per interval."""

    read_roles = STAFF

    @extend_schema(parameters=[s.StaffingQuery], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        q = dict(_valid(s.StaffingQuery, _query(request)))
        start, end = q.pop("start"), q.pop("end")
        centre = _centre()
        q["queue"] = _queue_in_scope(request, centre, q.get("queue"))
        report = analyses.staffing_report(request.scope, centre, start, end, **q)
        return Response(_without_charts(report))


def _queue_in_scope(request, centre, queue_id):
    """The queue ``queue_id`` if the caller may see it (else 404, as for any object outside
    the scope); None when not given."""
    if queue_id is None:
        return None
    return get_object_or_404(Queue.objects.restrict(request.scope).filter(centre=centre),
                             pk=queue_id)


class StaffingCalculateAPIView(APIView):
    """One interval's Erlang C / Erlang A staffing (same fields as ``manage.py staffing``)."""

    read_roles = STAFF
    write_roles = STAFF

    @extend_schema(request=s.StaffingCalculation, responses=OpenApiTypes.OBJECT)
    def post(self, request):
        q = _valid(s.StaffingCalculation, request.data)
        out = staffing_table(q["calls"], q["interval_s"], q["aht_s"], q["threshold_s"],
                             target_sl=q.get("target_sl"), target_asa_s=q.get("target_asa_s"),
                             shrinkage=q["shrinkage"], max_occupancy=q.get("max_occupancy"),
                             patience_s=q.get("patience_s"), agents=q.get("agents"))
        keys = ["traffic_erlangs", "agents", "scheduled_agents", "prob_wait", "service_level",
                "asa_s", "occupancy"] + (["abandon_prob"] if q.get("patience_s") else [])
        return Response({k: analyses._clean(out[k].item() if hasattr(out[k], "item")
                                            else out[k]) for k in keys})


class QueueingAPIView(APIView):
    """Queueing science per group (the fields of ``manage.py queueing`` and more): patience,
    abandonment hazard, waits, service times, Erlang A calibrated per group."""

    read_roles = STAFF

    @extend_schema(parameters=[s.QueueingQuery], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        data = _query(request)
        if "by" in data:  # one dimension here, as in ``manage.py queueing --by``
            data["by"] = data["by"][0] if len(data["by"]) == 1 else data["by"]
        q = _valid(s.QueueingQuery, data)
        centre = _centre()
        source = None
        if q.get("source"):
            source = DataSource.objects.filter(centre=centre, name=q["source"]).first()
            if source is None:
                return Response({"source": [f"No data source named “{q['source']}”."]},
                                status=status.HTTP_400_BAD_REQUEST)
        return Response(_without_charts(analyses.queueing_report(
            request.scope, centre, q["start"], q["end"],
            queue=_queue_in_scope(request, centre, q.get("queue")),
            channel=q.get("channel", ""), by=q.get("by"), queued_only=q["queued_only"],
            source=source, tz=q.get("timezone"))))


class ForecastListAPIView(APIView):
    """Forecasts as issued (GET) and issuing a new one (POST)."""

    read_roles = STAFF
    write_roles = STAFF

    @extend_schema(responses=s.ForecastSerializer(many=True),
                   operation_id="analysis_forecasts_list")
    def get(self, request):
        qs = Forecast.objects.restrict(request.scope).filter(centre=_centre())[:100]
        return Response(s.ForecastSerializer(qs, many=True).data)

    @extend_schema(request=s.ForecastIssue, responses=s.ForecastSerializer)
    def post(self, request):
        q = _valid(s.ForecastIssue, request.data)
        centre = _centre()
        queue = None
        if q.get("queue"):
            queue = Queue.objects.restrict(request.scope).filter(centre=centre,
                                                                 pk=q["queue"]).first()
            if queue is None:
                return Response({"queue": [f"No queue {q['queue']} in your scope."]},
                                status=status.HTTP_400_BAD_REQUEST)
        try:
            issued = forecast_issue(scope=request.scope, centre=centre,
                                    history_start=q["history_start"],
                                    history_end=q["history_end"],
                                    horizon_days=q["horizon_days"], method=q["method"],
                                    holdout_weeks=q["holdout_weeks"], queue=queue,
                                    user=request.user)
        except ForecastError as exc:
            return Response({"history_start": [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
        return Response(s.ForecastSerializer(issued).data, status=status.HTTP_201_CREATED)


class ForecastDetailAPIView(APIView):
    """One issued forecast with its accuracy against the actuals so far."""

    read_roles = STAFF

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, pk):
        centre = _centre()
        forecast = get_object_or_404(Forecast.objects.restrict(request.scope)
                                     .filter(centre=centre), pk=pk)
        report = analyses.forecast_report(request.scope, centre, forecast)
        return Response({**s.ForecastSerializer(forecast).data,
                         "accuracy": report.get("accuracy")})

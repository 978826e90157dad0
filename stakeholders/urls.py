"""Pages of the stakeholders app; each feature adds its paths (views in per-feature modules)."""
from django.urls import path  # noqa: F401

from .views import dashboards, register

app_name = "stakeholders"

urlpatterns = []

# Stakeholder register and tailored dashboards (issue 7).
urlpatterns += [
    path("stakeholders/", register.StakeholderListView.as_view(), name="stakeholder-list"),
    path("stakeholders/new/", register.StakeholderCreateView.as_view(),
         name="stakeholder-create"),
    path("stakeholders/<int:pk>/", register.StakeholderDetailView.as_view(),
         name="stakeholder-detail"),
    path("stakeholders/<int:pk>/edit/", register.StakeholderUpdateView.as_view(),
         name="stakeholder-update"),
    path("stakeholders/<int:pk>/delete/", register.StakeholderDeleteView.as_view(),
         name="stakeholder-delete"),
    path("stakeholders/<int:pk>/add-dashboard/", register.DashboardAddDefaultView.as_view(),
         name="dashboard-add-default"),
    path("dashboards/", dashboards.DashboardListView.as_view(), name="dashboard-list"),
    path("dashboards/<int:pk>/", dashboards.DashboardDetailView.as_view(),
         name="dashboard-detail"),
    path("dashboards/<int:pk>/edit/", dashboards.DashboardEditView.as_view(),
         name="dashboard-edit"),
    path("dashboards/<int:pk>/widgets/new/", dashboards.WidgetCreateView.as_view(),
         name="widget-create"),
    path("widgets/<int:pk>/edit/", dashboards.WidgetUpdateView.as_view(), name="widget-update"),
    path("widgets/<int:pk>/delete/", dashboards.WidgetDeleteView.as_view(),
         name="widget-delete"),
    path("widgets/<int:pk>/move/", dashboards.WidgetMoveView.as_view(), name="widget-move"),
    path("widgets/<int:pk>/export.<str:fmt>", dashboards.WidgetExportView.as_view(),
         name="widget-export"),
    path("widgets/<int:pk>/drill/", dashboards.WidgetDrillView.as_view(), name="widget-drill"),
    path("widgets/<int:pk>/drill/contacts/<int:contact_id>/",
         dashboards.ContactJourneyView.as_view(), name="widget-contact"),
    path("wallboard/", dashboards.WallboardView.as_view(), name="wallboard"),
    path("wallboard/live/", dashboards.WallboardLiveView.as_view(), name="wallboard-live"),
]

# Scheduled reports and their archive (issue 8).
from .views import reports as report_views  # noqa: E402

urlpatterns += [
    path("report-schedules/", report_views.ScheduleListView.as_view(), name="schedule-list"),
    path("report-schedules/new/", report_views.ScheduleCreateView.as_view(),
         name="schedule-create"),
    path("report-schedules/<int:pk>/edit/", report_views.ScheduleUpdateView.as_view(),
         name="schedule-update"),
    path("report-schedules/<int:pk>/delete/", report_views.ScheduleDeleteView.as_view(),
         name="schedule-delete"),
    path("report-schedules/<int:pk>/send-now/", report_views.ScheduleSendNowView.as_view(),
         name="schedule-send-now"),
    path("report-schedules/<int:pk>/preview/", report_views.SchedulePreviewView.as_view(),
         name="schedule-preview"),
    path("reports/", report_views.RunListView.as_view(), name="run-list"),
    path("reports/<int:pk>/", report_views.RunDetailView.as_view(), name="run-detail"),
    path("reports/<int:pk>/report.html", report_views.RunHtmlView.as_view(), name="run-html"),
    path("reports/<int:pk>/report.pdf", report_views.RunPdfView.as_view(), name="run-pdf"),
    path("reports/<int:pk>/retry/", report_views.RunRetryView.as_view(), name="run-retry"),
]

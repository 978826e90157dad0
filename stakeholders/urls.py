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
    path("wallboard/", dashboards.WallboardView.as_view(), name="wallboard"),
]

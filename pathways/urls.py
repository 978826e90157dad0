"""Pages of the pathways app; each feature adds its paths (views in per-feature modules)."""
from django.urls import path  # noqa: F401

app_name = "pathways"

urlpatterns = []

# Pathway design pages (pathway map, steps, transitions).
from . import views  # noqa: E402

urlpatterns += [
    path("", views.PathwayListView.as_view(), name="pathway-list"),
    path("new/", views.PathwayCreateView.as_view(), name="pathway-create"),
    path("<int:pk>/", views.PathwayDetailView.as_view(), name="pathway-detail"),
    path("<int:pk>/edit/", views.PathwayUpdateView.as_view(), name="pathway-update"),
    path("<int:pk>/delete/", views.PathwayDeleteView.as_view(), name="pathway-delete"),
    path("<int:pk>/steps/new/", views.StepCreateView.as_view(), name="step-create"),
    path("steps/<int:pk>/edit/", views.StepUpdateView.as_view(), name="step-update"),
    path("steps/<int:pk>/delete/", views.StepDeleteView.as_view(), name="step-delete"),
    path("<int:pk>/transitions/new/", views.TransitionCreateView.as_view(),
         name="transition-create"),
    path("transitions/<int:pk>/edit/", views.TransitionUpdateView.as_view(),
         name="transition-update"),
    path("transitions/<int:pk>/delete/", views.TransitionDeleteView.as_view(),
         name="transition-delete"),
]

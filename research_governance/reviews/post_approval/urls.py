from django.urls import path

from . import views

urlpatterns = [
    path("protocols/<int:pk>/approvals/<int:approval_id>/change/", views.approval_change, name="approval_change"),
    path("protocols/<int:pk>/amend/", views.amendment_start, name="amendment_start"),
    path("protocols/<int:pk>/reports/<slug:kind>/new/", views.report_new, name="report_new"),
]

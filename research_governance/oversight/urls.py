from django.urls import path

from . import views

app_name = "oversight"

urlpatterns = [
    path("", views.index, name="index"),
    path("approvals/", views.approvals, name="approvals"),
    path("approvals/approvals.csv", views.approvals_csv, name="approvals_csv"),
    path("approvals/approvals.xlsx", views.approvals_xlsx, name="approvals_xlsx"),
    # The auditor's one write: their check of an approval (GET shows it, POST records it).
    path("approvals/<int:approval_id>/check/", views.approval_check, name="approval_check"),
    path("reports/", views.reports_page, name="reports"),
    path("reports/<slug:report>.csv", views.report_csv, name="report_csv"),
    path("committees/<int:pk>/<int:year>/", views.committee_report, name="committee_report"),
    path("committees/<int:pk>/<int:year>/report.pdf", views.committee_report_pdf, name="committee_report_pdf"),
    path("committees/<int:pk>/<int:year>/report.csv", views.committee_report_csv, name="committee_report_csv"),
]

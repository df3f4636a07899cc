from django.urls import path

from . import views

app_name = "reviews"

urlpatterns = [
    path("protocols/<int:pk>/approvals/<int:approval_id>/change/", views.approval_change, name="approval_change"),
    path("protocols/<int:pk>/amend/", views.amendment_start, name="amendment_start"),
    path("protocols/<int:pk>/reports/<slug:kind>/new/", views.report_new, name="report_new"),
    path("secretariat/", views.secretariat_queue, name="secretariat_queue"),
    path("assigned/", views.my_assignments, name="my_assignments"),
    path("assignments/<int:assignment_id>/", views.review_workspace, name="workspace"),
    path("assignments/<int:assignment_id>/files/<int:version_id>/", views.review_document, name="document"),
    path("assignments/<int:assignment_id>/comments/", views.comment_add, name="comment_add"),
    path(
        "assignments/<int:assignment_id>/comments/<int:comment_id>/delete/",
        views.comment_delete,
        name="comment_delete",
    ),
    path("assignments/<int:assignment_id>/changes/<int:round_number>/", views.review_changes, name="changes"),
    path("permission/", views.head_queue, name="head_queue"),
    path("chair/", views.chair_queue, name="chair_queue"),
    path(
        "protocols/<int:pk>/submissions/<int:submission_id>/decision/",
        views.decision_record,
        name="decision_record",
    ),
    path("protocols/<int:pk>/conditions/<int:condition_id>/answer/", views.condition_answer, name="condition_answer"),
    path(
        "protocols/<int:pk>/conditions/<int:condition_id>/sign-off/",
        views.condition_sign_off,
        name="condition_sign_off",
    ),
    path("protocols/<int:pk>/decisions/<int:decision_id>/permission/", views.head_decide, name="head_decide"),
    path(
        "protocols/<int:pk>/decisions/<int:decision_id>/sites/<int:site_id>/permission/",
        views.site_permission,
        name="site_permission",
    ),
]

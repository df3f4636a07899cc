from django.urls import path

from . import views

urlpatterns = [
    path("assigned/", views.my_assignments, name="my_assignments"),
]

# Under /protocols/, in the "protocols" namespace (composed in the project's urls.py).
protocol_urlpatterns = [
    path(
        "<int:pk>/submissions/<int:submission_id>/reviewers/",
        views.reviewer_assign,
        name="reviewer_assign",
    ),
    path(
        "<int:pk>/assignments/<int:assignment_id>/unassign/",
        views.reviewer_unassign,
        name="reviewer_unassign",
    ),
]

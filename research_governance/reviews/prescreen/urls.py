from django.urls import path

from . import views

urlpatterns = [
    path("secretariat/", views.secretariat_queue, name="secretariat_queue"),
]

# Under /protocols/, in the "protocols" namespace (composed in the project's urls.py).
protocol_urlpatterns = [
    path(
        "<int:pk>/submissions/<int:submission_id>/accept/",
        views.submission_accept,
        name="submission_accept",
    ),
    path(
        "<int:pk>/submissions/<int:submission_id>/return/",
        views.submission_return,
        name="submission_return",
    ),
    path("<int:pk>/requests/<int:request_id>/answer/", views.request_answer, name="request_answer"),
]

from django.urls import path

from . import views

urlpatterns = [
    path(
        "protocols/<int:pk>/submissions/<int:submission_id>/decision/",
        views.decision_record,
        name="decision_record",
    ),
]

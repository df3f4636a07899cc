from django.urls import path

from . import views

app_name = "reviews"

urlpatterns = [
    path("secretariat/", views.secretariat_queue, name="secretariat_queue"),
    path("assigned/", views.my_assignments, name="my_assignments"),
    path("assignments/<int:assignment_id>/", views.review_workspace, name="workspace"),
    path("assignments/<int:assignment_id>/files/<int:version_id>/", views.review_document, name="document"),
]

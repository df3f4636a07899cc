from django.urls import path

from . import views

urlpatterns = [
    path("assignments/<int:assignment_id>/", views.review_workspace, name="workspace"),
    path("assignments/<int:assignment_id>/files/<int:version_id>/", views.review_document, name="document"),
    path("assignments/<int:assignment_id>/comments/", views.comment_add, name="comment_add"),
    path(
        "assignments/<int:assignment_id>/comments/<int:comment_id>/delete/",
        views.comment_delete,
        name="comment_delete",
    ),
    path("assignments/<int:assignment_id>/changes/<int:round_number>/", views.review_changes, name="changes"),
]

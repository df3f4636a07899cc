from django.urls import path

from . import views

urlpatterns = [
    path("permission/", views.head_queue, name="head_queue"),
    path("protocols/<int:pk>/decisions/<int:decision_id>/permission/", views.head_decide, name="head_decide"),
    path(
        "protocols/<int:pk>/decisions/<int:decision_id>/sites/<int:site_id>/permission/",
        views.site_permission,
        name="site_permission",
    ),
]

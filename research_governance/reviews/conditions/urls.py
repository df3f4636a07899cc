from django.urls import path

from . import views

urlpatterns = [
    path("chair/", views.chair_queue, name="chair_queue"),
    path("protocols/<int:pk>/conditions/<int:condition_id>/answer/", views.condition_answer, name="condition_answer"),
    path(
        "protocols/<int:pk>/conditions/<int:condition_id>/sign-off/",
        views.condition_sign_off,
        name="condition_sign_off",
    ),
]

from django.urls import path

from . import views

app_name = "letters"

urlpatterns = [
    path("<int:letter_id>/pdf/", views.letter_download, name="download"),
    path("verify/<str:code>/", views.letter_verify, name="verify"),
]

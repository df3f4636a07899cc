from django.urls import path

from research_governance.reviews.protocol_page import protocol_detail

from . import views

# Under /protocols/, in the "protocols" namespace (composed in the project's urls.py).
protocol_urlpatterns = [
    path("<int:pk>/", protocol_detail, name="detail"),
    path("<int:pk>/submit/", views.protocol_submit, name="submit"),
    path(
        "<int:pk>/submissions/<int:submission_id>/withdraw/",
        views.submission_withdraw,
        name="submission_withdraw",
    ),
]

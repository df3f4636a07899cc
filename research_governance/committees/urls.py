from django.urls import path

from . import views

app_name = "committees"

# The meetings' pages share this namespace; the project's urls.py adds them from the review engine.
urlpatterns = [
    path("", views.committee_list, name="list"),
    path("<int:pk>/", views.committee_detail, name="detail"),
    path("<int:pk>/settings/", views.committee_settings, name="settings"),
    path("<int:pk>/members/add/", views.member_add, name="member_add"),
    path("<int:pk>/members/<int:membership_id>/edit/", views.member_edit, name="member_edit"),
    path("<int:pk>/members/<int:membership_id>/end/", views.member_end, name="member_end"),
]

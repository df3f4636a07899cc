from django.urls import path

from . import views

app_name = "audit"

# A protocol's timeline is an audit page too; the project's urls.py adds it (oversight/timeline.py).
urlpatterns = [
    path("events/", views.event_list, name="events"),
    path("events.csv", views.event_export, name="events_csv"),
    path("access-log/", views.access_log, name="access_log"),
]

from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [
    path("events/", views.event_list, name="events"),
    path("events.csv", views.event_export, name="events_csv"),
    path("protocols/<int:pk>/timeline/", views.protocol_timeline, name="protocol_timeline"),
    path("access-log/", views.access_log, name="access_log"),
]

from django.urls import path

from . import item_views, views

# Under /committees/, in the "committees" namespace (composed in the project's urls.py): a
# meeting is reached from its committee.
committee_urlpatterns = [
    path("<int:pk>/meetings/", views.meeting_list, name="meeting_list"),
    path("<int:pk>/meetings/schedule/", views.meeting_schedule, name="meeting_schedule"),
    path("<int:pk>/meetings/<int:meeting_id>/", views.meeting_detail, name="meeting_detail"),
    path("<int:pk>/meetings/<int:meeting_id>/reschedule/", views.meeting_reschedule, name="meeting_reschedule"),
    path("<int:pk>/meetings/<int:meeting_id>/agenda/", views.agenda_add, name="agenda_add"),
    path("<int:pk>/meetings/<int:meeting_id>/attendance/", views.attendance, name="attendance"),
    path("<int:pk>/meetings/<int:meeting_id>/minutes/", views.minutes, name="minutes"),
    path("<int:pk>/meetings/<int:meeting_id>/close/", views.meeting_close, name="meeting_close"),
    path("<int:pk>/meetings/<int:meeting_id>/items/<int:item_id>/", item_views.item_detail, name="item"),
    path("<int:pk>/meetings/<int:meeting_id>/items/<int:item_id>/vote/", item_views.vote, name="vote"),
    path(
        "<int:pk>/meetings/<int:meeting_id>/items/<int:item_id>/recusals/", item_views.recusal_add, name="recusal_add"
    ),
    path("<int:pk>/meetings/<int:meeting_id>/items/<int:item_id>/decide/", item_views.item_decide, name="item_decide"),
    path("<int:pk>/meetings/<int:meeting_id>/items/<int:item_id>/defer/", item_views.item_defer, name="item_defer"),
    path("<int:pk>/meetings/<int:meeting_id>/items/<int:item_id>/remove/", item_views.item_remove, name="item_remove"),
]

from django.urls import path

from . import views

app_name = "protocols"

# The protocol page and the pages of its review (detail, submit, withdraw, pre-screening, reviewers)
# share this namespace; the project's urls.py adds them from the review engine.
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("new/", views.protocol_create, name="create"),
    path("<int:pk>/edit/", views.protocol_edit, name="edit"),
    path("<int:pk>/team/", views.team_member_add, name="team_add"),
    path("<int:pk>/team/<int:member_id>/remove/", views.team_member_remove, name="team_remove"),
    path("<int:pk>/sites/", views.site_add, name="site_add"),
    path("<int:pk>/sites/<int:site_id>/remove/", views.site_remove, name="site_remove"),
    path("<int:pk>/recipients/", views.recipient_add, name="recipient_add"),
    path("<int:pk>/recipients/<int:recipient_id>/remove/", views.recipient_remove, name="recipient_remove"),
    path("<int:pk>/documents/", views.document_add, name="document_add"),
    path("<int:pk>/documents/<int:document_id>/replace/", views.document_replace, name="document_replace"),
    path("<int:pk>/documents/<int:document_id>/withdraw/", views.document_withdraw, name="document_withdraw"),
    path("<int:pk>/files/<int:version_id>/", views.document_download, name="document_download"),
    path("<int:pk>/versions/<int:number>/", views.version_detail, name="version_detail"),
    path("<int:pk>/versions/<int:number>/diff/<int:other>/", views.version_diff, name="version_diff"),
]

from django.urls import path

from research_governance.reviews import views as review_views

from . import views

app_name = "protocols"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("new/", views.protocol_create, name="create"),
    path("<int:pk>/", views.protocol_detail, name="detail"),
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
    path("<int:pk>/submit/", review_views.protocol_submit, name="submit"),
    path(
        "<int:pk>/submissions/<int:submission_id>/withdraw/",
        review_views.submission_withdraw,
        name="submission_withdraw",
    ),
    path(
        "<int:pk>/submissions/<int:submission_id>/accept/",
        review_views.submission_accept,
        name="submission_accept",
    ),
    path(
        "<int:pk>/submissions/<int:submission_id>/return/",
        review_views.submission_return,
        name="submission_return",
    ),
    path("<int:pk>/requests/<int:request_id>/answer/", review_views.request_answer, name="request_answer"),
    path(
        "<int:pk>/submissions/<int:submission_id>/reviewers/",
        review_views.reviewer_assign,
        name="reviewer_assign",
    ),
    path(
        "<int:pk>/assignments/<int:assignment_id>/unassign/",
        review_views.reviewer_unassign,
        name="reviewer_unassign",
    ),
]

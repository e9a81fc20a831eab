from django.urls import path

from moderation import views

app_name = "moderation"

# The queue, the case file and the account page are in this namespace too, but they show escalation's
# rows, so they live in escalation (``escalation.urls.moderation_urlpatterns``; config/urls.py joins them).

urlpatterns = [
    path("cases/new/", views.case_create, name="case_create"),
    path("cases/<int:pk>/posts/<int:post_pk>/visibility/", views.post_visibility, name="post_visibility"),
    path("cases/<int:pk>/assign/", views.case_assign, name="case_assign"),
    path("cases/<int:pk>/close/", views.case_close, name="case_close"),
    path("cases/<int:pk>/reopen/", views.case_reopen, name="case_reopen"),
    path("cases/<int:pk>/evidence/", views.evidence_add, name="evidence_add"),
    path("cases/<int:pk>/evidence/<int:evidence_pk>/", views.evidence_file, name="evidence_file"),
    path("flags/", views.flag_list, name="flag_list"),
    path("flags/<int:pk>/dismiss/", views.flag_dismiss, name="flag_dismiss"),
    path("imports/", views.import_list, name="import_list"),
    path("imports/new/", views.import_upload, name="import_upload"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("imports/<int:pk>/columns/", views.import_columns, name="import_columns"),
    path("imports/<int:pk>/progress/", views.import_progress, name="import_progress"),
    path("imports/<int:pk>/start/", views.import_start, name="import_start"),
    path("imports/<int:pk>/discard/", views.import_discard, name="import_discard"),
]

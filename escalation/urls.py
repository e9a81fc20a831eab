from django.urls import path

from escalation import (
    case_views,
    enquiry_views,
    notify_views,
    period_views,
    report_views,
    retention_views,
    safeguarding_views,
    views,
)

app_name = "escalation"

urlpatterns = [
    path("decisions/", views.decision_list, name="decision_list"),
    path("crisis/", period_views.crisis, name="crisis"),
    path("cases/<int:case_pk>/reports/new/", period_views.external_report_create, name="external_report_create"),
    path("cases/<int:case_pk>/enquiry/new/", enquiry_views.enquiry_create, name="enquiry_create"),
    path("posts/<int:post_pk>/enquiry/new/", enquiry_views.enquiry_from_post, name="enquiry_from_post"),
    path(
        "enquiries/<int:pk>/saved-reply-sent/",
        enquiry_views.enquiry_saved_reply_sent,
        name="enquiry_saved_reply_sent",
    ),
    path("enquiries/<int:pk>/<slug:step>/", enquiry_views.enquiry_step, name="enquiry_step"),
    path("decisions/<int:pk>/", views.signoff_detail, name="signoff_detail"),
    path("cases/<int:case_pk>/warnings/new/", views.warning_create, name="warning_create"),
    path("warnings/<int:pk>/", views.warning_detail, name="warning_detail"),
    path("cases/<int:case_pk>/blocks/new/", views.block_create, name="block_create"),
    path("blocks/<int:pk>/", views.block_detail, name="block_detail"),
    path("blocks/<int:pk>/acknowledge/", views.block_acknowledge, name="block_acknowledge"),
    path("cases/<int:case_pk>/police-reports/new/", views.police_report_create, name="police_report_create"),
    path("cases/<int:case_pk>/safeguarding/", safeguarding_views.safeguarding_mark, name="safeguarding_mark"),
    path(
        "cases/<int:case_pk>/safeguarding/referral/",
        safeguarding_views.safeguarding_referral,
        name="safeguarding_referral",
    ),
    path("appeals/", views.appeal_list, name="appeal_list"),
    path("blocks/<int:block_pk>/appeals/new/", views.appeal_create, name="appeal_create"),
    path("appeals/<int:pk>/", views.appeal_detail, name="appeal_detail"),
    path("notifications/", notify_views.preferences, name="notification_preferences"),
    path("reports/", report_views.report, name="report"),
    path("reports/download.<str:fmt>", report_views.report_download, name="report_download"),
    path("reports/statements.<str:fmt>", report_views.statements_download, name="statements_download"),
]

# Pages named in the moderation: namespace that show escalation's rows too (``escalation.case_views``):
# config/urls.py serves them in that namespace beside ``moderation.urls``, so no URL or name changes.
moderation_urlpatterns = [
    path("cases/", case_views.case_list, name="case_list"),
    path("cases/<int:pk>/", case_views.case_detail, name="case_detail"),
    path("cases/<int:pk>/statements.json", case_views.case_statements, name="case_statements"),
    path("accounts/<int:pk>/", case_views.account_detail, name="account_detail"),
    path("accounts/<int:pk>/everything/", case_views.account_subject_access, name="account_subject_access"),
    path("accounts/<int:pk>/legal-hold/", retention_views.account_legal_hold, name="account_legal_hold"),
    path("accounts/<int:pk>/erase/", retention_views.account_erase, name="account_erase"),
    path("cases/<int:pk>/legal-hold/", retention_views.case_legal_hold, name="case_legal_hold"),
]

from django.urls import path

from moderation.api import meta, views

app_name = "api"

urlpatterns = [
    path("posts/", views.PostIngestView.as_view(), name="posts_ingest"),
    path("cases/", views.CaseList.as_view(), name="case_list"),
    path("accounts/", views.AccountList.as_view(), name="account_list"),
    path("blocks/", views.BlockList.as_view(), name="block_list"),
    path("appeals/", views.AppealList.as_view(), name="appeal_list"),
    path("webhooks/meta/", meta.MetaWebhookView.as_view(), name="meta_webhook"),
]

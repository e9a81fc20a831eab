from django.urls import path, re_path

from moderation.api import meta, views

app_name = "api"

urlpatterns = [
    path("posts/", views.PostIngestView.as_view(), name="posts_ingest"),
    path("cases/", views.CaseList.as_view(), name="case_list"),
    path("accounts/", views.AccountList.as_view(), name="account_list"),
    path("blocks/", views.BlockList.as_view(), name="block_list"),
    path("appeals/", views.AppealList.as_view(), name="appeal_list"),
    path("webhooks/meta/", meta.MetaWebhookView.as_view(), name="meta_webhook"),
    # last: anything else under the API answers a JSON 404, never the site's HTML page
    re_path(r"^.*$", views.not_found, name="not_found"),
]

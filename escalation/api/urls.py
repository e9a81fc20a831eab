from django.urls import path, re_path

from escalation.api import views as lists
from moderation.api import meta, views

app_name = "api"

# The API's URLconf lives here, in the higher app: it lists moderation's intake (posts, the Meta
# webhook) and the read endpoints that show escalation's rows too (``escalation.api.views``, ADR 10).

urlpatterns = [
    path("posts/", views.PostIngestView.as_view(), name="posts_ingest"),
    path("cases/", lists.CaseList.as_view(), name="case_list"),
    path("cases/<int:pk>/", lists.CaseDetail.as_view(), name="case_detail"),
    path("accounts/", lists.AccountList.as_view(), name="account_list"),
    path("blocks/", lists.BlockList.as_view(), name="block_list"),
    path("appeals/", lists.AppealList.as_view(), name="appeal_list"),
    path("reports/", lists.ReportView.as_view(), name="report"),
    path("webhooks/meta/", meta.MetaWebhookView.as_view(), name="meta_webhook"),
    # last: anything else under the API answers a JSON 404, never the site's HTML page
    re_path(r"^.*$", views.not_found, name="not_found"),
]

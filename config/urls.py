from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

admin.site.site_header = "Moderation Casework"
admin.site.site_title = "Moderation Casework"
admin.site.index_title = "Casework administration"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/", admin.site.urls),
]

from django.urls import path

from moderation import views

app_name = "moderation"

urlpatterns = [
    path("cases/", views.case_list, name="case_list"),
    path("cases/new/", views.case_create, name="case_create"),
    path("cases/<int:pk>/", views.case_detail, name="case_detail"),
    path("accounts/<int:pk>/", views.account_detail, name="account_detail"),
]

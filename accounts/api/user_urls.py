from django.urls import URLPattern

from hucares.core.urls import api_path

from . import views

urlpatterns: list[URLPattern] = [
    *api_path("profile", views.ProfileView.as_view(), "users-profile"),
    *api_path("account", views.AccountView.as_view(), "users-account"),
    *api_path("avatar", views.AvatarView.as_view(), "users-avatar"),
    *api_path("search", views.UserSearchView.as_view(), "users-search"),
]

from django.urls import URLPattern

from hucares.core.urls import api_path

from . import views

urlpatterns: list[URLPattern] = [
    *api_path("groups", views.GroupListView.as_view(), "groups"),
    *api_path("groups/join", views.GroupJoinView.as_view(), "groups-join"),
    *api_path("groups/<uuid:group_id>", views.GroupDetailView.as_view(), "group-detail"),
    *api_path("groups/<uuid:group_id>/leave", views.GroupLeaveView.as_view(), "group-leave"),
    *api_path("groups/<uuid:group_id>/membership", views.GroupMembershipView.as_view(), "group-membership"),
    *api_path("groups/<uuid:group_id>/members", views.GroupMembersView.as_view(), "group-members"),
    *api_path("groups/<uuid:group_id>/members/<uuid:user_id>", views.GroupMemberView.as_view(), "group-member"),
    *api_path("groups/<uuid:group_id>/invite", views.GroupInviteView.as_view(), "group-invite"),
    *api_path("groups/<uuid:group_id>/access-code", views.GroupAccessCodeView.as_view(), "group-access-code"),
]

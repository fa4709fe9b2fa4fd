from django.urls import URLPattern

from hucares.core.urls import api_path

from . import views

urlpatterns: list[URLPattern] = [
    *api_path("register", views.RegisterView.as_view(), "auth-register"),
    *api_path("login", views.LoginView.as_view(), "auth-login"),
    *api_path("refresh", views.RefreshView.as_view(), "auth-refresh"),
    *api_path("logout", views.LogoutView.as_view(), "auth-logout"),
    *api_path("forgot-password", views.ForgotPasswordView.as_view(), "auth-forgot-password"),
    *api_path("reset-password", views.ResetPasswordView.as_view(), "auth-reset-password"),
    *api_path("verify-email", views.VerifyEmailView.as_view(), "auth-verify-email"),
    *api_path("resend-verification", views.ResendVerificationView.as_view(), "auth-resend-verification"),
    *api_path("change-password", views.ChangePasswordView.as_view(), "auth-change-password"),
    *api_path("sessions", views.SessionListView.as_view(), "auth-sessions"),
    *api_path("sessions/<uuid:session_id>", views.SessionDetailView.as_view(), "auth-session"),
]

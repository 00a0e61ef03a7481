"""The project's URLs: each part of the app brings its own module."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from certify.api import judge_router
from certify.api import router as sessions_router
from chargers.api import api

api.add_router("/sessions", sessions_router)
api.add_router("/judge", judge_router)

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("sessions/", include("certify.session_urls")),
    path("history/", include("certify.history_urls")),
    path("files/", include("certify.transfer_urls")),
    path("", include("chargers.urls")),
]

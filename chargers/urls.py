from django.urls import path

from . import views

urlpatterns = [
    path("", views.charger_list, name="charger-list"),
    path("chargers/<str:cp_id>/", views.charger_detail, name="charger-detail"),
    path("chargers/<str:cp_id>/facts/", views.charger_facts, name="charger-facts"),
    path("chargers/<str:cp_id>/frames/", views.charger_frames, name="charger-frames"),
    path("chargers/<str:cp_id>/command/form/", views.command_form, name="charger-command-form"),
    path("chargers/<str:cp_id>/command/", views.command_send, name="charger-command-send"),
]

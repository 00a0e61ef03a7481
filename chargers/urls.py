from django.urls import path

from . import security_views, views
from .simulator import views as simulator_views

urlpatterns = [
    path("", views.charger_list, name="charger-list"),
    path("chargers/<str:cp_id>/", views.charger_detail, name="charger-detail"),
    path("chargers/<str:cp_id>/facts/", views.charger_facts, name="charger-facts"),
    path("chargers/<str:cp_id>/frames/", views.charger_frames, name="charger-frames"),
    path("chargers/<str:cp_id>/findings/", views.charger_findings, name="charger-findings"),
    path("chargers/<str:cp_id>/command/form/", views.command_form, name="charger-command-form"),
    path("chargers/<str:cp_id>/command/", views.command_send, name="charger-command-send"),
    path("chargers/<str:cp_id>/simulator/", simulator_views.simulator_panel, name="charger-simulator"),
    path("chargers/<str:cp_id>/simulator/event/", simulator_views.simulator_event, name="charger-simulator-event"),
    path("chargers/<str:cp_id>/security/", security_views.charger_security, name="charger-security"),
    path("rejected/", security_views.rejected_list, name="rejected-list"),
    path("rejected/<int:pk>/admit/", security_views.rejected_admit, name="rejected-admit"),
    path("id-tags/", views.idtag_list, name="idtag-list"),
    path("id-tags/add/", views.idtag_add, name="idtag-add"),
    path("id-tags/<int:pk>/edit/", views.idtag_edit, name="idtag-edit"),
    path("id-tags/<int:pk>/delete/", views.idtag_delete, name="idtag-delete"),
]

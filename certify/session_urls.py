"""URLs of certification sessions, mounted at /sessions/."""

from django.urls import path

from . import declaration_views, findings_views, offline_views, run_views, step_views, views

urlpatterns = [
    path("", views.session_list, name="session-list"),
    path("new/", views.session_new, name="session-new"),
    path("<int:pk>/", views.session_detail, name="session-detail"),
    path("<int:pk>/header/", views.session_header, name="session-header"),
    path("<int:pk>/summary/", views.session_summary, name="session-summary"),
    path("<int:pk>/checklist/", views.session_checklist, name="session-checklist"),
    path("<int:pk>/run/", run_views.session_run, name="session-run"),
    path("<int:pk>/run/start/", run_views.session_run_start, name="session-run-start"),
    path("<int:pk>/run/stop/", run_views.session_run_stop, name="session-run-stop"),
    path("<int:pk>/declaration/", declaration_views.session_declaration, name="session-declaration"),
    path("<int:pk>/frames/", views.session_frames, name="session-frames"),
    path("<int:pk>/findings/", findings_views.session_findings_list, name="session-findings"),
    path("<int:pk>/chart/", views.session_chart, name="session-chart"),
    path("<int:pk>/firmware/", views.item_firmware, name="session-firmware"),
    path("<int:pk>/offline/", offline_views.session_offline, name="session-offline"),
    path("<int:pk>/items/", views.item_panel_closed, name="session-item-closed"),
    path("<int:pk>/items/<str:key>/", views.item_panel, name="session-item"),
    path("<int:pk>/items/<str:key>/status/", views.item_status, name="session-item-status"),
    path("<int:pk>/items/<str:key>/attempt/", views.item_attempt, name="session-item-attempt"),
    path("<int:pk>/items/<str:key>/step-done/", step_views.item_step_done, name="session-item-step-done"),
    path("<int:pk>/items/<str:key>/command/", views.item_command, name="session-item-command"),
    path("<int:pk>/items/<str:key>/command/form/", views.item_command_form, name="session-item-command-form"),
    path("<int:pk>/items/<str:key>/override/", views.item_override, name="session-item-override"),
]

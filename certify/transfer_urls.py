"""File transfer URLs, mounted at /files/: no login (chargers have none); each
URL carries the session's secret."""

from django.urls import path

from . import transfer

urlpatterns = [
    path("firmware/<int:pk>/<str:secret>/<str:name>", transfer.firmware_download, name="firmware-download"),
    path("diagnostics/<int:pk>/<str:secret>/", transfer.diagnostics_upload, name="diagnostics-upload"),
    path("diagnostics/<int:pk>/<str:secret>/<str:name>", transfer.diagnostics_upload, name="diagnostics-upload-named"),
]

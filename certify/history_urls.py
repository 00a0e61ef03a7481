"""Session history, mounted at /history/."""

from django.urls import path

from . import history

urlpatterns = [
    path("", history.history_list, name="history-list"),
    path("compare/", history.history_compare, name="history-compare"),
    path("<int:pk>/", history.history_detail, name="history-detail"),
    path("<int:pk>/sign/", history.sign, name="history-sign"),
    path("<int:pk>/sign/preview/", history.sign_preview, name="history-sign-preview"),
    path("<int:pk>/revise/", history.revise, name="history-revise"),
    path("<int:pk>/report.pdf", history.report_pdf, name="history-report"),
    path("<int:pk>/evidence.jsonl", history.evidence_jsonl, name="history-evidence"),
    path("<int:pk>/files/<int:file_pk>/", history.session_file, name="history-file"),
]

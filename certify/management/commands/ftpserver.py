from django.conf import settings
from django.core.management.base import BaseCommand

from certify.ftp import make_server


class Command(BaseCommand):
    help = "Run the FTP server that receives diagnostics uploads (per-session users)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=settings.CERTIFY_FTP_HOST)
        parser.add_argument("--port", type=int, default=settings.CERTIFY_FTP_PORT)

    def handle(self, host, port, **options):
        server = make_server(host, port)
        if options["verbosity"] >= 1:  # runlab says it (once it answers) and passes -v 0
            self.stdout.write(f"Diagnostics FTP server on {host}:{port}")
        server.serve_forever()

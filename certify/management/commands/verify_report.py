"""`python manage.py verify_report FILE.pdf`"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from certify.signing import SigningCertificateError, certificate_description, verify


class Command(BaseCommand):
    help = "Check a signed report: signature intact and from our certificate, evidence log matching its hash."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, file, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {file}")
        try:
            certificate = certificate_description()
        except SigningCertificateError as error:
            raise CommandError(str(error)) from error
        result = verify(path.read_bytes())
        self.stdout.write(f"Report: {path.name}")
        self.stdout.write(f"From: {result.session or 'unknown session'}")
        self.stdout.write(f"Signature intact: {'yes' if result.intact else 'NO'}")
        self.stdout.write(f"Certificate: {certificate}")
        self.stdout.write(f"Signed with the configured certificate: {'yes' if result.trusted else 'NO'}")
        self.stdout.write(f"Covers the whole file: {'yes' if result.covers_whole_file else 'NO'}")
        self.stdout.write(f"Evidence log matches its printed SHA-256: {'yes' if result.evidence_matches else 'NO'}")
        if result.ok:
            self.stdout.write(self.style.SUCCESS("VALID"))
            return
        for problem in result.problems:
            self.stdout.write(f"  - {problem}")
        raise CommandError("INVALID report")

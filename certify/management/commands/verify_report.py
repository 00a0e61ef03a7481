"""`python manage.py verify_report FILE.pdf [--json]`"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from certify.signing import SigningCertificateError, certificate_description, verify


class Command(BaseCommand):
    help = (
        "Check a signed report: signature intact and from our certificate, covering the whole file, evidence log "
        "matching its printed hash. Exit 1 when it is not valid."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--json", action="store_true", help="print the verdict as a JSON document")

    def handle(self, file, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {file}")
        try:
            certificate = certificate_description()
        except SigningCertificateError as error:
            raise CommandError(str(error)) from error
        result = verify(path.read_bytes())
        if options["json"]:
            document = {"file": path.name, "configured_certificate": certificate, **result.as_dict()}
            self.stdout.write(json.dumps(document, indent=2))
        else:
            self._print(path, result, certificate)
        if not result.ok:
            raise CommandError("INVALID report")

    def _print(self, path: Path, result, certificate: str) -> None:
        yes = {True: "yes", False: "NO"}
        self.stdout.write(f"Report: {path.name} (SHA-256 {result.file_sha256})")
        self.stdout.write(f"From: {result.session or 'unknown session'}")
        self.stdout.write(f"Certificate: {certificate}")
        if result.signer or result.signed_at:
            self.stdout.write(f"Signed by: {result.signer or 'unnamed'}, {result.signed_at or 'no time'}")
        if result.certificate:
            self.stdout.write(f"Signed with: {result.certificate} (SHA-256 {result.certificate_sha256})")
        self.stdout.write(f"Signature intact: {yes[result.intact]}")
        used = {True: "yes", False: "NO", None: "cannot tell (no certificate in the signature)"}
        self.stdout.write(f"Signed with the configured certificate: {used[result.configured_certificate_used]}")
        self.stdout.write(f"Covers the whole file: {yes[result.covers_whole_file]}")
        self.stdout.write(f"Evidence log matches its printed SHA-256: {yes[result.evidence_matches]}")
        if result.ok:
            self.stdout.write(self.style.SUCCESS("VALID"))
            return
        for problem in result.problems:
            self.stdout.write(f"  - {problem}")
        self.stdout.write(self.style.ERROR("INVALID"))

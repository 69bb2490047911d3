"""What the report commands share: generate here (not on the workers), keep the report, write --out."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from reports import services
from reports.models import Report


def generate_and_write(command, *, out: str | None, **request) -> None:
    try:
        report = services.report_record(requested_by_name="command line", **request)
    except ValidationError as error:
        raise CommandError(" ".join(error.messages)) from None
    report = services.report_generate(report_id=report.pk)
    if report.status != Report.Status.READY:
        raise CommandError(f"The report could not be generated: {report.error}")
    if out:
        path = Path(out)
        try:
            path.write_bytes(report.file.open("rb").read())
        except OSError as error:
            raise CommandError(f"Cannot write {out}: {error.strerror}") from None
    else:
        path = Path(report.file.path)
    command.stderr.write(
        f"{report} (report {report.pk}, figures as of {report.as_of:%Y-%m-%d %H:%M:%S} UTC"
        f"{', quarter to date' if report.to_date else ''}), SHA-256 {report.sha256}"
    )
    command.stdout.write(str(path))

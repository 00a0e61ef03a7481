"""Files: firmware updates and diagnostics uploads, with the status
notifications a charger sends along the way (the bytes move in transfer.py)."""

from __future__ import annotations

import asyncio
from collections import deque
from datetime import UTC, datetime

from ocpp.v16 import call

from .connectors import Connector
from .profiles import Profile
from .transfer import download, scheme_of, upload, version_in


class Files:
    """Mixin of SimulatedCharger: UpdateFirmware and GetDiagnostics after their answer."""

    id: str
    firmware: str
    updates: int
    boots: int
    profile: Profile
    diagnostics_name: str
    lines: deque
    connectors: dict[int, Connector]

    def can_transfer(self, location: str) -> None:
        """Raise unless the upload location's protocol is among SupportedFileTransferProtocols
        (firmware comes over whatever the central system offers)."""
        protocols = self.profile.transfer_protocols.split(",")
        if scheme_of(location) not in protocols:
            raise ValueError(f"{scheme_of(location) or location!r} is not among {','.join(protocols)}")

    async def update_firmware(self, location: str, retrieve_date: str) -> None:
        when = datetime.fromisoformat(retrieve_date.replace("Z", "+00:00"))
        delay = (when - datetime.now(UTC)).total_seconds()
        if delay > 0:
            await asyncio.sleep(delay)
        await self.send(call.FirmwareStatusNotification(status="Downloading"))
        try:
            image = await asyncio.to_thread(download, location)
        except Exception as exc:
            self.note(f"firmware download failed: {exc!r}")
            await self.send(call.FirmwareStatusNotification(status="DownloadFailed"))
            return
        self.note(f"firmware downloaded: {len(image)} bytes")
        await self.send(call.FirmwareStatusNotification(status="Downloaded"))
        await asyncio.sleep(0.3)
        if not image:
            await self.send(call.FirmwareStatusNotification(status="InstallationFailed"))
            return
        await self.send(call.FirmwareStatusNotification(status="Installing"))
        await asyncio.sleep(0.3)
        if self.profile.install_fails:
            self.note(f"firmware from {location} not installed (install-fails)")
            await self.send(call.FirmwareStatusNotification(status="InstallationFailed"))
            return
        self.updates += 1
        # The image's version when its name tells it (fw-2.0.1.bin), else a new version each time.
        self.firmware = version_in(location) or f"{self.firmware.split('+')[0]}+upd{self.updates}"
        if not self.profile.reboot_before_installed:
            await self.send(call.FirmwareStatusNotification(status="Installed"))
        while any(c.transaction_id is not None for c in self.connectors.values()):  # noqa: ASYNC110
            await asyncio.sleep(1)  # reboot only when the connectors are free
        boots = self.boots
        await self.reboot("Reboot")
        if self.profile.reboot_before_installed:
            # §5.19: good practice is to reboot into the new firmware first, then report Installed.
            await self.wait_rebooted(boots, timeout=60 + self.reboot_delay)
            await self.send(call.FirmwareStatusNotification(status="Installed"))

    async def upload_diagnostics(self, location: str, start: str | None, stop: str | None) -> None:
        name = self.diagnostics_name
        start_at = datetime.fromisoformat(start.replace("Z", "+00:00")) if start else None
        stop_at = datetime.fromisoformat(stop.replace("Z", "+00:00")) if stop else None
        lines = [
            f"{moment.isoformat(timespec='milliseconds')} {text}"
            for moment, text in self.lines
            if (start_at is None or moment >= start_at) and (stop_at is None or moment <= stop_at)
        ]
        header = f"Diagnostics of {self.id} ({self.options.vendor} {self.options.model}, firmware {self.firmware})\n"
        window = f"Window: {start or 'beginning'} to {stop or 'now'}\n"
        data = (header + window + "\n".join(lines) + "\n").encode()
        await self.send(call.DiagnosticsStatusNotification(status="Uploading"))
        try:
            if self.profile.upload_fails:
                raise OSError("upload-fails: no upload ever succeeds")
            self.can_transfer(location)
            how = await asyncio.to_thread(upload, location, name, data)
        except Exception as exc:
            self.note(f"diagnostics upload failed: {exc!r}")
            await self.send(call.DiagnosticsStatusNotification(status="UploadFailed"))
            return
        self.note(f"diagnostics {name} uploaded by {how}")
        await self.send(call.DiagnosticsStatusNotification(status="Uploaded"))

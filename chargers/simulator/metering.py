"""Meter values as the configuration asks for them: a transaction's periodic
samples every MeterValueSampleInterval (§9.1.19) of the MeterValuesSampledData
measurands (§9.1.17), clock-aligned readings every ClockAlignedDataInterval
(§9.1.5) of MeterValuesAlignedData (§9.1.15), and the transaction data of the
StopTransaction: StopTxnSampledData and StopTxnAlignedData (§9.1.25, §9.1.27).
A change of any of these keys takes effect at once."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

from ocpp.v16 import call

from .config import ConfigStore
from .connectors import Connector
from .profiles import Profile

# The longest a timer sleeps before it reads its interval again, so that a change takes effect.
TICK = 0.5
ENERGY = "Energy.Active.Import.Register"
# At most this many meterValue entries ride on one StopTransaction.
MAX_TRANSACTION_DATA = 500


def next_boundary(now: datetime, interval: int) -> datetime:
    """The next clock-aligned moment: intervals evenly spaced from midnight UTC,
    restarting at the next midnight (§9.1.5)."""
    midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    elapsed = (now - midnight).total_seconds()
    boundary = midnight + timedelta(seconds=(int(elapsed // interval) + 1) * interval)
    return min(boundary, midnight + timedelta(days=1))


class Metering:
    """Mixin of SimulatedCharger: the meter values it sends."""

    config: ConfigStore
    connectors: dict[int, Connector]
    profile: Profile
    stopping: bool

    def sampled_measurands(self) -> list[str]:
        """MeterValuesSampledData; empty means the energy register (§9.1.17)."""
        return self.config.list("MeterValuesSampledData") or [ENERGY]

    def measure(self, connector: Connector, measurands: list[str], context: str, at: datetime | None = None) -> dict:
        """One meterValue of `measurands`, in the profile's units, stamped `at` (default: now)."""
        return connector.meter.sample(
            measurands,
            context,
            voltage=self.profile.voltage,
            kw=self.profile.kw_units,
            timestamp=self.stamp(at or datetime.now(UTC)),
        )

    def meter_sample(self, connector: Connector, context: str) -> dict:
        """One meterValue of the sampled measurands (a trigger's, a transaction's begin)."""
        return self.measure(connector, self.sampled_measurands(), context)

    def keep_for_stop(self, connector: Connector, key: str, context: str, at: datetime | None = None) -> None:
        """Note the StopTxn*Data measurands of `key` for the StopTransaction's transactionData."""
        measurands = self.config.list(key)
        if measurands and len(connector.transaction_data) < MAX_TRANSACTION_DATA:
            connector.transaction_data.append(self.measure(connector, measurands, context, at))

    async def send_meter_values(self, connector: Connector, sample: dict) -> None:
        """MeterValues of a connector; those of a transaction wait in the queue while offline."""
        await self.send(
            call.MeterValues(
                connector_id=connector.number, transaction_id=connector.transaction_id, meter_value=[sample]
            ),
            queue_offline=connector.transaction_id is not None,
        )

    async def sample_transaction(self, connector: Connector, serial: int) -> None:
        """Every MeterValueSampleInterval from the start of the transaction (`serial`,
        the connector's tx_serial then); 0 sends none (§9.1.19)."""
        last = time.monotonic()
        while connector.tx_serial == serial and not self.stopping:
            interval = self.config.int("MeterValueSampleInterval", 0)
            now = time.monotonic()
            if interval <= 0:
                last = now
                await asyncio.sleep(TICK)
                continue
            due = last + interval
            if now < due:
                await asyncio.sleep(min(TICK, due - now))
                continue
            last = due if now - due < interval else now
            sample = self.periodic_sample(connector)
            self.keep_for_stop(connector, "StopTxnSampledData", "Sample.Periodic")
            await self.send_meter_values(connector, sample)

    def periodic_sample(self, connector: Connector) -> dict:
        """A transaction's periodic sample; with meter-backwards the first one reads
        the register 10 Wh below the transaction's start."""
        sample = self.meter_sample(connector, "Sample.Periodic")
        connector.periodic += 1
        if self.profile.meter_backwards and connector.periodic == 1:
            below = connector.meter_start - 10
            for value in sample["sampledValue"]:
                if value.get("measurand") == ENERGY:
                    value["value"] = f"{below / 1000:.3f}" if value.get("unit") == "kWh" else str(below)
        return sample

    async def clock_aligned(self) -> None:
        """Every ClockAlignedDataInterval on the clock's boundaries, for every
        connector (with its transaction's id while one runs), stamped with the
        boundary; 0 sends none (§9.1.5)."""
        while not self.stopping:
            interval = self.config.int("ClockAlignedDataInterval", 0)
            if interval <= 0:
                await asyncio.sleep(TICK)
                continue
            boundary = next_boundary(datetime.now(UTC), interval)
            while not self.stopping and self.config.int("ClockAlignedDataInterval", 0) == interval:
                left = (boundary - datetime.now(UTC)).total_seconds()
                if left <= 0:
                    break
                await asyncio.sleep(min(TICK, left))
            else:
                continue  # stopping, or the interval changed: aim again
            await self._aligned_readings(boundary)

    async def _aligned_readings(self, boundary: datetime) -> None:
        measurands = self.config.list("MeterValuesAlignedData")
        for connector in self.connectors.values():
            if connector.transaction_id is not None:
                self.keep_for_stop(connector, "StopTxnAlignedData", "Sample.Clock", boundary)
            if measurands and (self.booted or connector.transaction_id is not None):
                await self.send_meter_values(connector, self.measure(connector, measurands, "Sample.Clock", boundary))

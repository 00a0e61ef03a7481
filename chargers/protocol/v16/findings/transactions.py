"""The checks on transactions and meter readings: the energy register never
goes back within a transaction (nor, less surely, across the transactions of a
connector), meterStop is not below meterStart, units fit their measurands,
MeterValues and StopTransaction name the transaction open on their connector,
and a StopTransaction sent again says the same. Mixed into Findings."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from ....frames.reader import Record
from ..state import DEFAULT_MEASURAND
from . import checks as C
from .rules import UNITS, as_number, energy_wh


@dataclass
class Tx:
    """A transaction as far as the log told: its start, its readings of the register, its stop."""

    id: object
    connector: int | None
    start: Record
    meter_start: float | None
    readings: dict[tuple[str, str], tuple[float, Record]] = field(default_factory=dict)  # (phase, location) -> Wh
    stop: Record | None = None


class TransactionChecks:
    """Findings' handlers of StartTransaction's answer, MeterValues and StopTransaction."""

    def _on_MeterValues(self, r: Record) -> None:
        number, tx_id = r.connector, r.get("transactionId")
        self._named(r, number)
        readings = self._readings
        self._units(r, readings)
        if tx_id is None:
            return
        tx = self.txs.get(tx_id)
        if tx is None:
            here = self.txs.get(self.connectors[number].tx_id) if number in self.connectors else None
            if here is not None and here.stop is None and self._once(C.TX_NOT_OPEN, tx_id):
                self._raise(
                    C.TX_NOT_OPEN,
                    f"MeterValues on connector {number} for transaction {tx_id}; the one open there is {here.id}",
                    [here.start, r],
                    number,
                )
            return
        if tx.stop is not None or (number and tx.connector != number):
            if not self._once(C.TX_NOT_OPEN, tx_id):
                return
            where = "stopped already" if tx.stop is not None else f"open on connector {tx.connector}"
            self._raise(
                C.TX_NOT_OPEN,
                f"MeterValues on connector {number} for transaction {tx_id}, {where}",
                [tx.stop or tx.start, r],
                number,
            )
            return
        for reading in readings:
            for value in reading.values:
                if value.measurand != DEFAULT_MEASURAND or value.unit not in ("", "Wh", "kWh"):
                    continue
                self._register(tx, tx_id, r, value.value, value.unit, (value.phase, value.location or "Outlet"))

    def _register(self, tx: Tx, tx_id, r: Record, value, unit: str, key: tuple[str, str]) -> None:
        reading = energy_wh(value, unit or "Wh")
        if reading is None:
            return
        wh, resolution = reading
        last = tx.readings.get(key)
        if last is not None and wh < last[0] - resolution:
            self._raise(
                C.METER_BACKWARDS,
                f"transaction {tx_id}: {DEFAULT_MEASURAND} reads {wh:g} Wh, below the {last[0]:g} Wh "
                f"read at #{last[1].seq}",
                [last[1], r],
                tx.connector,
            )
        tx.readings[key] = (wh, r)
        if key == ("", "Outlet") and tx.connector is not None:
            self._connector(tx.connector).register = (wh, r)

    def _units(self, r: Record, readings) -> None:
        for reading in readings:
            for value in reading.values:
                if not value.unit:
                    continue
                family = _family(value.measurand)
                if (
                    family is not None
                    and value.unit not in UNITS[family]
                    and self._once(C.UNIT_FOR_MEASURAND, (value.measurand, value.unit))
                ):
                    self._raise(
                        C.UNIT_FOR_MEASURAND,
                        f"{r.action}: {value.measurand} in {value.unit!r}; it is measured in "
                        f"{', '.join(sorted(UNITS[family]))}",
                        [r],
                        r.connector,
                    )
                    return  # one per frame

    def _on_StopTransaction(self, r: Record) -> None:
        tx_id, meter_stop = r.get("transactionId"), as_number(r.get("meterStop"))
        self._units(r, self._readings)
        tx = self.txs.get(tx_id)
        if tx is None:
            if "is unknown" in r.note:  # our central system knew no such open transaction
                self._raise(C.TX_NOT_OPEN, f"StopTransaction for transaction {tx_id}, which is not open", [r])
            return
        self._named(r, tx.connector)
        if tx.stop is not None:
            if meter_stop != as_number(tx.stop.get("meterStop")):
                self._raise(
                    C.STOP_REPEATED_DIFFERS,
                    f"transaction {tx_id} stopped again with meterStop {r.get('meterStop')}, "
                    f"first {tx.stop.get('meterStop')} (#{tx.stop.seq})",
                    [tx.stop, r],
                    tx.connector,
                )
            return
        tx.stop = r
        if meter_stop is None:
            return
        if tx.meter_start is not None and meter_stop < tx.meter_start:
            self._raise(
                C.METER_STOP_BELOW_START,
                f"transaction {tx_id}: meterStop {r.get('meterStop')} is below meterStart {tx.start.get('meterStart')}",
                [tx.start, r],
                tx.connector,
            )
        else:
            self._register(tx, tx_id, r, r.get("meterStop"), "Wh", ("", "Outlet"))

    # -- a start we answered with a transactionId --------------------------------------------

    def _started(self, call: Record, answer: Record) -> None:
        tx_id = answer.get("transactionId")
        if tx_id is None or tx_id in self.txs:
            return  # a retry of a start we know
        number = call.connector
        meter_start = as_number(call.get("meterStart"))
        tx = Tx(tx_id, number, call, meter_start)
        self.txs[tx_id] = tx
        if number is not None:
            self._connector(number).tx_id = tx_id
        if meter_start is None:
            return
        tx.readings[("", "Outlet")] = (meter_start, call)
        if number is None:
            return
        connector = self._connector(number)
        if connector.register is not None and meter_start < connector.register[0] - 1:
            self._raise(
                C.METER_BACKWARDS_ACROSS,
                f"transaction {tx_id} on connector {number} starts at {call.get('meterStart')} Wh, below the "
                f"{connector.register[0]:g} Wh its previous transaction read (#{connector.register[1].seq})",
                [connector.register[1], call],
                number,
            )
        connector.register = (meter_start, call)


@lru_cache(maxsize=256)
def _family(measurand: str) -> str | None:
    """The measurand family whose units a measurand takes (Energy.Active.Import.Register -> Energy.Active)."""
    return next((family for family in UNITS if measurand.startswith(family)), None)

"""In-memory stock ledger used by the order service."""
from __future__ import annotations

from dataclasses import dataclass, field


class OutOfStock(Exception):
    """Raised when a reservation asks for more than is on hand."""


@dataclass
class StockLedger:
    on_hand: dict[str, int] = field(default_factory=dict)
    reserved: dict[str, int] = field(default_factory=dict)

    def receive(self, sku: str, quantity: int) -> None:
        self.on_hand[sku] = self.on_hand.get(sku, 0) + quantity

    def available(self, sku: str) -> int:
        return max(0, self.on_hand.get(sku, 0) - self.reserved.get(sku, 0))

    def reserve(self, sku: str, quantity: int) -> None:
        if quantity > self.available(sku):
            raise OutOfStock(f"{sku}: wanted {quantity}, have {self.available(sku)}")
        self.reserved[sku] = self.reserved.get(sku, 0) + quantity

    def release(self, sku: str, quantity: int) -> None:
        held = self.reserved.get(sku, 0)
        self.reserved[sku] = max(0, held - quantity)

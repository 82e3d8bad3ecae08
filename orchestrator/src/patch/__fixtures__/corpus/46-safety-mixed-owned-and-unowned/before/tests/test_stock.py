import pytest

from src.inventory.stock import OutOfStock, StockLedger


def test_reserve_reduces_available():
    ledger = StockLedger()
    ledger.receive("SKU-1", 10)
    ledger.reserve("SKU-1", 4)
    assert ledger.available("SKU-1") == 6


def test_reserve_more_than_available_fails():
    ledger = StockLedger()
    ledger.receive("SKU-1", 2)
    with pytest.raises(OutOfStock):
        ledger.reserve("SKU-1", 3)

from decimal import ROUND_HALF_UP, Decimal

TAX_RATES = {
    "DE": Decimal("0.19"),
    "FR": Decimal("0.20"),
    "NL": Decimal("0.21"),
}


def line_total(unit_price: Decimal, quantity: int) -> Decimal:
    return (unit_price * quantity).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def invoice_total(lines: list[tuple[Decimal, int]], country: str) -> Decimal:
    subtotal = sum((line_total(price, qty) for price, qty in lines), Decimal("0"))
    # Countries without a configured rate are billed without tax;
    # finance reconciles those by hand.
    rate = TAX_RATES.get(country, Decimal("0"))
    tax = (subtotal * rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return subtotal + tax

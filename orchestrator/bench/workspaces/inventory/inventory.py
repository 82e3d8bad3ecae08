"""Stock levels of a small shop."""

LOW_STOCK = 3


def restock_list(stock):
    """Names of the items with LOW_STOCK or fewer left, in name order."""
    return sorted(name for name, count in stock.items() if count < LOW_STOCK)


def total_items(stock):
    """How many items there are in all."""
    return sum(stock.values())


def remove(stock, name, count):
    """Takes `count` of an item out of stock; raises ValueError when there are not enough."""
    if stock.get(name, 0) < count:
        raise ValueError(f"only {stock.get(name, 0)} {name} left")
    stock[name] -= count
    return stock

"""The local demo e-commerce site: three shops over one seeded catalogue (see server.py).

Importing the package is cheap; the aiohttp server lives in `demoshop.server`.
"""

from demoshop.catalog import SHOPS, Catalog, CatalogError, ProductSnapshot
from demoshop.clock import ShopClock
from demoshop.config import DemoShopConfig, DemoShopConfigError, FaultConfig

__all__ = [
    "SHOPS",
    "Catalog",
    "CatalogError",
    "DemoShopConfig",
    "DemoShopConfigError",
    "FaultConfig",
    "ProductSnapshot",
    "ShopClock",
]

"""Shop 1, "Acme Outlet": classic server-rendered HTML with schema.org microdata, prices in USD."""

from __future__ import annotations

from demoshop.catalog import Category, ProductSnapshot, slugify
from demoshop.sites.base import Site
from demoshop.sites.common import (
    STOCK_TEXT,
    CategoryPage,
    PageContext,
    escaped,
    format_money,
    machine_price,
)

SCHEMA = "https://schema.org/"


class MicrodataSite(Site):
    key = "microdata"
    product_url = "/product/{number}/{slug}"
    legacy_url = "/p/{number}"
    category_url = "/c/{slug}?page={page}"
    first_category_url = "/c/{slug}"
    legacy_status = 301

    def _page(self, title: str, head_extra: str, body: str) -> str:
        return (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{escaped(title)} | {self.name}</title>"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<link rel="stylesheet" href="/static/acme.css">{head_extra}</head>\n<body>'
            f'<header class="site-header"><a class="logo" href="/">{self.name}</a>'
            '<form action="/search"><input name="q" placeholder="Search"></form>'
            f"<nav>{self.menu}</nav></header>\n"
            f"<main>{body}</main>\n"
            '<footer><p>&copy; Acme Outlet &middot; <a href="/about">About</a> &middot; '
            '<a href="/private/staff-prices">Staff area</a></p></footer></body></html>\n'
        )

    def _breadcrumbs(self, category: Category, last: str | None) -> str:
        """Home > top > sub > leaf [> product], as a microdata BreadcrumbList."""
        crumbs = [("Home", "/")]
        crumbs += [(name, f"/#{slugify(name)}") for name in category.path[:-1]]
        crumbs.append((category.path[-1], self.category_path(category)))
        items = "".join(
            '<li itemprop="itemListElement" itemscope itemtype="https://schema.org/ListItem">'
            f'<a itemprop="item" href="{escaped(href)}"><span itemprop="name">{escaped(name)}</span></a>'
            f'<meta itemprop="position" content="{position}"></li>'
            for position, (name, href) in enumerate(crumbs, start=1)
        )
        if last is not None:
            items += (
                '<li itemprop="itemListElement" itemscope itemtype="https://schema.org/ListItem">'
                f'<span itemprop="name">{escaped(last)}</span>'
                f'<meta itemprop="position" content="{len(crumbs) + 1}"></li>'
            )
        return f'<ol class="breadcrumb" itemscope itemtype="https://schema.org/BreadcrumbList">{items}</ol>'

    def render_product(self, snapshot: ProductSnapshot, context: PageContext) -> str:
        product = self.catalog.get(snapshot.number)
        rating = ""
        if snapshot.rating is not None:
            rating = (
                '<div class="rating" itemprop="aggregateRating" itemscope itemtype="https://schema.org/AggregateRating">'
                f'Rated <span itemprop="ratingValue">{snapshot.rating}</span> out of 5 '
                f'(<span itemprop="reviewCount">{snapshot.review_count}</span> reviews)</div>'
            )
        specs = "".join(
            '<tr itemprop="additionalProperty" itemscope itemtype="https://schema.org/PropertyValue">'
            f'<th itemprop="name">{escaped(name)}</th><td itemprop="value">{escaped(value)}</td></tr>'
            for name, value in snapshot.attributes
        )
        body = (
            f"{self._breadcrumbs(product.category, snapshot.title)}"
            '<div class="product" itemscope itemtype="https://schema.org/Product">'
            f'<img class="hero" itemprop="image" src="{snapshot.image_path}" alt="{escaped(snapshot.title)}">'
            f'<h1 itemprop="name">{escaped(snapshot.title)}</h1>'
            '<p class="brand">by <span itemprop="brand" itemscope itemtype="https://schema.org/Brand">'
            f'<span itemprop="name">{escaped(snapshot.brand)}</span></span></p>'
            f'<p class="ids">SKU <span itemprop="sku">{snapshot.sku}</span> &middot; '
            f'Item <span itemprop="productID">{snapshot.product_id}</span></p>{rating}'
            '<div class="buy-box" itemprop="offers" itemscope itemtype="https://schema.org/Offer">'
            f'<span class="price" itemprop="price" content="{machine_price(snapshot.price_minor)}">'
            f"{format_money(snapshot.price_minor, snapshot.currency)}</span>"
            f'<meta itemprop="priceCurrency" content="{snapshot.currency}">'
            f'<link itemprop="availability" href="{SCHEMA}{snapshot.availability}">'
            f'<span class="stock">{STOCK_TEXT["en"][snapshot.availability]}</span>'
            '<button type="submit">Add to cart</button></div>'
            f'<div class="description" itemprop="description"><p>{escaped(snapshot.description)}</p></div>'
            f'<table class="specs">{specs}</table></div>'
            '<section class="related"><h2>Customers also viewed</h2>'
            f"<ul>{self.related_links(snapshot)}</ul></section>"
        )
        canonical = f'<link rel="canonical" href="{context.base_url}{self.product_path(product)}">'
        return self._page(snapshot.title, canonical, body)

    def render_category(self, listing: CategoryPage, context: PageContext) -> str:
        category = listing.category
        tiles = "".join(
            '<li class="tile" itemprop="itemListElement" itemscope itemtype="https://schema.org/ListItem">'
            f'<meta itemprop="position" content="{position}">'
            f'<a itemprop="url" href="{href}"><img src="{snapshot.image_path}" alt="">'
            f"<span>{escaped(snapshot.title)}</span></a>"
            f'<span class="price">{format_money(snapshot.price_minor, snapshot.currency)}</span></li>'
            for position, (snapshot, href) in enumerate(
                zip(listing.products, listing.product_hrefs, strict=True), 1
            )
        )
        links, pager = self.pager(listing, "Previous", "Next")
        body = (
            f"{self._breadcrumbs(category, None)}<h1>{escaped(category.path[-1])}</h1>"
            f'<ol class="grid" itemscope itemtype="https://schema.org/ItemList">{tiles}</ol>{pager}'
        )
        return self._page(f"{category.path[-1]} - page {listing.page}", links, body)

    def render_home(self, context: PageContext) -> str:
        return self._page("Welcome", "", f"<h1>Welcome to {self.name}</h1>{self.menu}")
